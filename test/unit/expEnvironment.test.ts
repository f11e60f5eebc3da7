import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { captureEnvironment, EnvironmentRecord, startEnvironmentCapture } from '../../src/core/experiments/environment';
import { environmentJson, ENVIRONMENT_NOTES_REF, MAX_NOTE_BYTES, parseEnvironmentRecord, readEnvironmentNotes, writeEnvironmentNote } from '../../src/core/experiments/environmentNotes';
import { compareVersions, diffEnvironments, renderEnvironmentDiff } from '../../src/core/experiments/environmentDiff';
import { metadataFields } from '../../src/core/experiments/environmentProbes';
import { GitObjectReader } from '../../src/core/metrics/gitObjectReader';
import { git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

/** An executable shell script that prints `output` and appends a line to `<file>.calls` each time it runs. */
function script(file: string, output: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\necho run >> '${file}.calls'\necho '${output}'\n`, { mode: 0o755 });
}
const calls = (file: string) => (fs.existsSync(`${file}.calls`) ? fs.readFileSync(`${file}.calls`, 'utf8').split('\n').filter(Boolean).length : 0);

/** A package's dist-info folder with a METADATA file (headers, then a long description that is never read). */
function distInfo(sitePackages: string, name: string, version: string): void {
  const dir = path.join(sitePackages, `${name}-${version}.dist-info`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'METADATA'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: s\n\nName: not-a-header\n${'x'.repeat(100_000)}\n`);
}

/** A virtualenv as `python -m venv` lays it out (its python a script that counts its runs), and a folder of other tools. */
function fakeMachine(): { venv: string; python: string; sitePackages: string; env: NodeJS.ProcessEnv; smi: string; node: string } {
  const dir = tempDir();
  const venv = path.join(dir, 'venv');
  const python = path.join(venv, 'bin', 'python');
  script(python, 'Python 3.11.4');
  const sitePackages = path.join(venv, 'lib', 'python3.11', 'site-packages');
  distInfo(sitePackages, 'numpy', '1.26.4');
  distInfo(sitePackages, 'PyYAML', '6.0.1');
  fs.writeFileSync(path.join(sitePackages, 'not-a-package.py'), '');
  const smi = path.join(dir, 'tools', 'nvidia-smi');
  script(smi, 'NVIDIA A100-SXM4-40GB, 535.54.03, 40960 MiB');
  const node = path.join(dir, 'tools', 'node');
  fs.symlinkSync(process.execPath, node);
  // Relative PATH entries are never looked in: a repository could put a `python` there.
  const env = { PATH: [path.join(venv, 'bin'), path.join(dir, 'tools'), '.'].join(path.delimiter), VIRTUAL_ENV: venv };
  return { venv, python, sitePackages, env, smi, node };
}

/** An interpreter program (not a script) that prints a version: a copy of GNU `true`, whose `--version` says `true (GNU coreutils) 9.1`. */
function fakeProgram(): { program: string; version: string } {
  const program = path.join(tempDir(), 'bin', 'python');
  fs.mkdirSync(path.dirname(program));
  fs.copyFileSync('/bin/true', program);
  return { program, version: /(\d+(?:\.\d+)+)/.exec(spawnSync(program, ['--version'], { encoding: 'utf8' }).stdout)![1] };
}

function record(overrides: Partial<EnvironmentRecord> = {}): EnvironmentRecord {
  return {
    schema: 1,
    interpreters: [{ name: 'python', path: '/usr/bin/python', version: '3.11.4' }],
    lockfiles: { 'requirements.txt': 'a'.repeat(64) },
    virtualenv: { path: '/v', packages: { numpy: '1.26.4', torch: '2.3.0', six: '1.16.0' } },
    os: { platform: 'linux', release: '6.1.0', arch: 'x64' },
    cpu: { model: 'AMD EPYC', count: 2 },
    gpus: [],
    stages: [{ name: 'train', cmd: ['python train.py'], duration: 1.5, exit_code: 0 }],
    ...overrides,
  };
}

describe('experiment environment: capture', () => {
  it('records the interpreters, the virtualenv and its packages, lockfiles at the root and in stage folders, OS, CPU and GPUs', async () => {
    const machine = fakeMachine();
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc'));
    writeFiles(root, { 'requirements.txt': 'numpy==1.26.4\n', Dockerfile: 'FROM python:3.11\n', 'sub/requirements-dev.txt': 'pytest\n', 'sub/poetry.lock': 'x', 'other/uv.lock': 'not a stage folder', 'README.md': 'not a lockfile' });
    const env = await captureEnvironment(root, { env: machine.env, wdirs: ['sub'] });
    assert.deepEqual(env.interpreters.map((i) => [i.name, i.path, i.version]), [
      ['python', machine.python, '3.11.4'],
      ['node', machine.node, process.versions.node],
      ['virtualenv', machine.python, '3.11.4'],
    ]);
    assert.deepEqual(env.virtualenv, { path: machine.venv, packages: { PyYAML: '6.0.1', numpy: '1.26.4' } });
    assert.deepEqual(env.lockfiles, {
      Dockerfile: sha256('FROM python:3.11\n'),
      'requirements.txt': sha256('numpy==1.26.4\n'),
      'sub/poetry.lock': sha256('x'),
      'sub/requirements-dev.txt': sha256('pytest\n'),
    });
    assert.deepEqual(env.gpus, [{ name: 'NVIDIA A100-SXM4-40GB', driver_version: '535.54.03', memory_total: '40960 MiB' }]);
    assert.equal(env.os.platform, process.platform);
    assert.ok(env.cpu.count >= 1 && env.cpu.model.length > 0);
    assert.deepEqual(env.stages, []);
  });

  it('looks for lockfiles in the folders of the workspace\'s stages when none are given', async () => {
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc'));
    writeFiles(root, {
      'dvc.yaml': 'stages:\n  a:\n    cmd: echo\n    wdir: code\n',
      'nested/dvc.yaml': 'stages:\n  b:\n    cmd: echo\n',
      'code/uv.lock': 'u',
      'nested/environment.yml': 'e',
      'elsewhere/poetry.lock': 'p',
    });
    const env = await captureEnvironment(root, { env: { PATH: '' } });
    assert.deepEqual(Object.keys(env.lockfiles), ['code/uv.lock', 'nested/environment.yml']);
    assert.deepEqual(env.interpreters, []);
    assert.equal(env.virtualenv, null);
    assert.deepEqual(env.gpus, []);
  });

  it('asks an interpreter program its version once per file (mtime), a wrapper script each time; reads packages again only when site-packages changes', async () => {
    const machine = fakeMachine();
    const { program, version: programVersion } = fakeProgram();
    const env = { ...machine.env, PATH: [path.dirname(program), path.join(machine.venv, 'bin')].join(path.delimiter) };
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc'));
    const versions = (e: EnvironmentRecord) => e.interpreters.map((i) => `${i.name} ${i.version}`);
    const first = await captureEnvironment(root, { env, wdirs: [] });
    assert.deepEqual(versions(first), [`python ${programVersion}`, 'virtualenv 3.11.4']);
    assert.equal(calls(machine.python), 1);

    // The program's answer is cached by its file: a forged answer at the same stamp is what the next capture says.
    const cacheFile = path.join(root, '.dvc', 'tmp', 'cairn', 'environment-interpreters.json');
    const cache = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    assert.deepEqual(Object.keys(cache), [fs.realpathSync(program)], 'the script is not cached');
    cache[fs.realpathSync(program)].value = '0.0.7';
    fs.writeFileSync(cacheFile, JSON.stringify(cache));
    // A METADATA changed in place (site-packages itself untouched): the cached list is used.
    const siteMtime = fs.statSync(machine.sitePackages).mtime;
    fs.writeFileSync(path.join(machine.sitePackages, 'numpy-1.26.4.dist-info', 'METADATA'), 'Name: numpy\nVersion: 9.9.9\n\n');
    const warm = await captureEnvironment(root, { env, wdirs: [] });
    assert.deepEqual(versions(warm), ['python 0.0.7', 'virtualenv 3.11.4'], 'the program not asked again');
    assert.equal(calls(machine.python), 2, 'the script asked again');
    assert.deepEqual(warm.virtualenv, first.virtualenv, 'packages from the cache');

    // A package installed (a new dist-info folder: site-packages' mtime changes), the program replaced (its mtime changes).
    distInfo(machine.sitePackages, 'torch', '2.3.0');
    fs.utimesSync(machine.sitePackages, new Date(siteMtime.getTime() + 5000), new Date(siteMtime.getTime() + 5000));
    fs.utimesSync(program, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const after = await captureEnvironment(root, { env, wdirs: [] });
    assert.deepEqual(versions(after), [`python ${programVersion}`, 'virtualenv 3.11.4']);
    assert.deepEqual(after.virtualenv?.packages, { PyYAML: '6.0.1', numpy: '9.9.9', torch: '2.3.0' });
  });

  it('a damaged cache file is only a cold cache', async () => {
    const machine = fakeMachine();
    const { program, version } = fakeProgram();
    const env = { ...machine.env, PATH: path.dirname(program) };
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc', 'tmp', 'cairn'), { recursive: true });
    // Entries with the right stamps but values of the wrong type: not used.
    const stamp = (p: string) => {
      const st = fs.statSync(p, { bigint: true });
      return `${st.mtimeNs}:${st.size}`;
    };
    writeFiles(root, {
      '.dvc/tmp/cairn/environment-interpreters.json': JSON.stringify({ [fs.realpathSync(program)]: { stamp: stamp(program), value: { evil: 1 } } }),
      '.dvc/tmp/cairn/environment-packages.json': JSON.stringify({ [fs.realpathSync(machine.sitePackages)]: { stamp: stamp(machine.sitePackages), value: { evil: { deep: [] } } } }),
    });
    const captured = await captureEnvironment(root, { env, wdirs: [] });
    assert.equal(captured.interpreters[0].version, version);
    assert.deepEqual(captured.virtualenv?.packages, { PyYAML: '6.0.1', numpy: '1.26.4' });
    writeFiles(root, { '.dvc/tmp/cairn/environment-packages.json': '{"truncated": ' });
    assert.deepEqual((await captureEnvironment(root, { env, wdirs: [] })).virtualenv?.packages, { PyYAML: '6.0.1', numpy: '1.26.4' });
  });

  it('leaves out lockfiles that are links leading out of the repository, FIFOs, and folders', async () => {
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc'));
    const outside = path.join(tempDir(), 'secret.txt');
    fs.writeFileSync(outside, 'secret');
    fs.symlinkSync(outside, path.join(root, 'requirements.txt'));
    spawnSync('mkfifo', [path.join(root, 'poetry.lock')]);
    fs.mkdirSync(path.join(root, 'uv.lock'));
    writeFiles(root, { 'inside.txt': 'pinned\n' });
    fs.symlinkSync('inside.txt', path.join(root, 'requirements-dev.txt'));
    fs.symlinkSync(path.dirname(outside), path.join(root, 'away'));
    const env = await captureEnvironment(root, { env: { PATH: '' }, wdirs: ['away'] });
    assert.deepEqual(env.lockfiles, { 'requirements-dev.txt': sha256('pinned\n') });
  });

  it('writes its caches only inside the repository: a link at .dvc/tmp or at a cache file is replaced, never written through', async () => {
    const machine = fakeMachine();
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc'));
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'victim.json'), 'keep');
    fs.symlinkSync(outside, path.join(root, '.dvc', 'tmp'));
    await captureEnvironment(root, { env: machine.env, wdirs: [] });
    assert.deepEqual(fs.readdirSync(outside), ['victim.json']);
    assert.ok(fs.lstatSync(path.join(root, '.dvc', 'tmp')).isDirectory());
    const cache = path.join(root, '.dvc', 'tmp', 'cairn', 'environment-packages.json');
    fs.rmSync(cache);
    fs.symlinkSync(path.join(outside, 'victim.json'), cache);
    await captureEnvironment(root, { env: machine.env, wdirs: [] });
    assert.equal(fs.readFileSync(path.join(outside, 'victim.json'), 'utf8'), 'keep');
    assert.ok(fs.lstatSync(cache).isFile(), 'the link replaced by the cache file');
  });

  it('a capture started at a run\'s start gets the stages recorded while it runs', async () => {
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc'));
    const capture = startEnvironmentCapture(root, { env: { PATH: '' }, wdirs: [] });
    capture.recordStageRun({ name: 'prep', cmd: ['python prep.py', 'ls'], duration: 0.25, exit_code: 0 });
    capture.recordStageRun({ name: 'train', cmd: ['python train.py'], duration: 2, exit_code: null });
    const env = await capture.finish();
    assert.deepEqual(env.stages, [
      { name: 'prep', cmd: ['python prep.py', 'ls'], duration: 0.25, exit_code: 0 },
      { name: 'train', cmd: ['python train.py'], duration: 2, exit_code: null },
    ]);
  });

  it('reads Name and Version from METADATA headers only', () => {
    assert.deepEqual(metadataFields('Metadata-Version: 2.1\r\nName: a-b\r\nVersion: 1.0\r\n\r\nName: body\n'), { name: 'a-b', version: '1.0' });
    assert.deepEqual(metadataFields('Version: 2\n'), { version: '2' });
  });
});

describe('experiment environment: git notes', () => {
  function repoWithCommits(n: number): { root: string; commits: string[] } {
    const root = tempGitRepo();
    fs.mkdirSync(path.join(root, '.dvc'));
    const commits: string[] = [];
    for (let i = 0; i < n; i++) {
      writeFiles(root, { 'f.txt': String(i) });
      git(root, 'add', 'f.txt');
      git(root, 'commit', '-q', '-m', `c${i}`);
      commits.push(git(root, 'rev-parse', 'HEAD').trim());
    }
    return { root, commits };
  }

  async function read(root: string, commits: string[]): Promise<{ records: Map<string, EnvironmentRecord>; warnings: string[] }> {
    const objects = new GitObjectReader(root);
    const warnings: string[] = [];
    try {
      return { records: await readEnvironmentNotes({ gitRoot: root, objects }, commits, (l) => warnings.push(l)), warnings };
    } finally {
      objects.close();
    }
  }

  it('a record written as a note on a commit reads back equal; the note is JSON with sorted keys', async () => {
    const { root, commits } = repoWithCommits(2);
    assert.equal((await read(root, commits)).records.size, 0, 'no notes ref: nothing');
    const env = await captureEnvironment(root, { env: { PATH: path.dirname(process.execPath) }, wdirs: [] });
    env.stages.push({ name: 'train', cmd: ['python train.py'], duration: 0.5, exit_code: 0 });
    await writeEnvironmentNote(root, commits[0], env);
    const text = git(root, 'notes', `--ref=${ENVIRONMENT_NOTES_REF}`, 'show', commits[0]);
    assert.equal(text, environmentJson(env));
    const keys = Object.keys(JSON.parse(text));
    assert.deepEqual(keys, [...keys].sort());
    const { records, warnings } = await read(root, commits);
    assert.deepEqual([...records.keys()], [commits[0]]);
    assert.deepEqual(records.get(commits[0]), env);
    assert.deepEqual(warnings, []);
    // Written again (a re-run with -f): replaced.
    await writeEnvironmentNote(root, commits[0], { ...env, stages: [] });
    assert.deepEqual((await read(root, commits)).records.get(commits[0])?.stages, []);
    assert.deepEqual(fs.readdirSync(path.join(root, '.dvc', 'tmp', 'cairn')).filter((n) => n.startsWith('environment-note')), [], 'no temp file left');
  });

  it('reads notes stored in fanned-out folders (git notes after many notes) and refuses a commit that is not an id', async () => {
    const { root, commits } = repoWithCommits(3);
    for (const c of commits) await writeEnvironmentNote(root, c, record({ cpu: { model: c, count: 1 } }));
    // Rewrite the notes tree with git's fan-out layout (ab/cdef…), as git does past a few hundred notes.
    const entries = git(root, 'ls-tree', ENVIRONMENT_NOTES_REF).trim().split('\n').map((l) => l.split(/\s+/));
    const blobs = entries.map(([, , blob, name]) => `100644 blob ${blob}\t${name.slice(0, 2)}/${name.slice(2)}`);
    const subtrees = new Map<string, string[]>();
    for (const line of blobs) {
      const [meta, p] = line.split('\t');
      const [dir, file] = p.split('/');
      subtrees.set(dir, [...(subtrees.get(dir) ?? []), `${meta}\t${file}`]);
    }
    const top = [...subtrees].map(([dir, lines]) => `040000 tree ${spawnSync('git', ['mktree'], { cwd: root, input: lines.join('\n') + '\n', encoding: 'utf8' }).stdout.trim()}\t${dir}`);
    const tree = spawnSync('git', ['mktree'], { cwd: root, input: top.join('\n') + '\n', encoding: 'utf8' }).stdout.trim();
    const commit = spawnSync('git', ['commit-tree', tree, '-m', 'fanned out'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    git(root, 'update-ref', ENVIRONMENT_NOTES_REF, commit);
    assert.equal(git(root, 'notes', `--ref=${ENVIRONMENT_NOTES_REF}`, 'list').trim().split('\n').length, 3, 'git reads that layout');
    const { records } = await read(root, commits);
    assert.deepEqual(commits.map((c) => records.get(c)?.cpu.model), commits);
    await assert.rejects(writeEnvironmentNote(root, '--help', record()), /'--help' is not a commit id/);
  });

  it('a hostile note (huge, not JSON, deeply nested, the wrong shape) is ignored with one line each; the others are read', async () => {
    const { root, commits } = repoWithCommits(6);
    const [good, huge, invalid, deep, shape, future] = commits;
    await writeEnvironmentNote(root, good, record());
    const note = (commit: string, text: string) => {
      const file = path.join(tempDir(), 'note');
      fs.writeFileSync(file, text);
      git(root, 'notes', `--ref=${ENVIRONMENT_NOTES_REF}`, 'add', '-f', '-F', file, commit);
    };
    note(huge, JSON.stringify({ ...record(), padding: 'x'.repeat(MAX_NOTE_BYTES) }));
    note(invalid, '{"schema": 1, "interpreters": [');
    note(deep, `{"schema":1,"interpreters":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    note(shape, JSON.stringify({ ...record(), virtualenv: { path: '/v', packages: { numpy: { nested: true } } } }));
    note(future, JSON.stringify({ ...record(), schema: 2 }));
    const { records, warnings } = await read(root, commits);
    assert.deepEqual([...records.keys()], [good]);
    assert.equal(warnings.length, 5, warnings.join('\n'));
    for (const w of warnings) assert.ok(!w.includes('\n') && w.length < 300, w);
    const about = (c: string) => warnings.find((w) => w.includes(c.slice(0, 7))) ?? '';
    assert.match(about(huge), /is \d+ bytes, more than the 1048576 an environment record may be; ignored\.$/);
    assert.match(about(invalid), /is not an environment record \(invalid JSON: .*\); ignored\.$/);
    assert.match(about(deep), /an item of 'interpreters' is malformed/);
    assert.match(about(shape), /'virtualenv' is malformed/);
    assert.match(about(future), /schema 2 is not one this version reads/);
  });

  it('keeps only the fields a record has', () => {
    const parsed = parseEnvironmentRecord(JSON.stringify({ ...record(), extra: { a: [1, 2] }, os: { platform: 'linux', release: 'r', arch: 'x64', extra: 1 } }));
    assert.deepEqual(parsed, record({ os: { platform: 'linux', release: 'r', arch: 'x64' } }));
  });
});

describe('experiment environment: diff', () => {
  it('lists interpreter, lockfile, package, OS, CPU, GPU and stage changes, and renders them one a line', () => {
    const a = record();
    const b = record({
      interpreters: [{ name: 'python', path: '/usr/bin/python', version: '3.12.1' }, { name: 'node', path: '/usr/bin/node', version: '20.11.1' }],
      lockfiles: { 'requirements.txt': 'b'.repeat(64), 'uv.lock': 'c'.repeat(64) },
      virtualenv: { path: '/v', packages: { numpy: '2.0.1', torch: '2.2.0', pandas: '2.2.2' } },
      os: { platform: 'linux', release: '6.5.0', arch: 'x64' },
      gpus: [{ name: 'A100', driver_version: '535', memory_total: '40960 MiB' }],
      stages: [{ name: 'train', cmd: ['python train.py --fast'], duration: 9, exit_code: 1 }],
    });
    const changes = diffEnvironments(a, b);
    assert.deepEqual(
      changes.map((c) => `${c.kind}|${c.name}|${c.change}`),
      [
        'interpreter|node|added',
        'interpreter|python|changed',
        'lockfile|requirements.txt|changed',
        'lockfile|uv.lock|added',
        'package|numpy|upgraded',
        'package|pandas|added',
        'package|six|removed',
        'package|torch|downgraded',
        'os|release|changed',
        'gpu|0|added',
        'stage|train cmd|changed',
        'stage|train exit_code|changed',
      ],
    );
    assert.equal(
      renderEnvironmentDiff(changes),
      [
        'interpreter node: added 20.11.1 (/usr/bin/node)',
        'interpreter python: changed 3.11.4 (/usr/bin/python) -> 3.12.1 (/usr/bin/python)',
        `lockfile requirements.txt: changed sha256 ${'a'.repeat(12)} -> sha256 ${'b'.repeat(12)}`,
        `lockfile uv.lock: added sha256 ${'c'.repeat(12)}`,
        'package numpy: upgraded 1.26.4 -> 2.0.1',
        'package pandas: added 2.2.2',
        'package six: removed (was 1.16.0)',
        'package torch: downgraded 2.3.0 -> 2.2.0',
        'os release: changed 6.1.0 -> 6.5.0',
        'gpu 0: added A100, driver 535, 40960 MiB',
        'stage train cmd: changed python train.py -> python train.py --fast',
        'stage train exit_code: changed 0 -> 1',
        '',
      ].join('\n'),
    );
    assert.deepEqual(diffEnvironments(a, { ...a, stages: [{ ...a.stages[0], duration: 99 }] }), [], 'durations are not changes');
    assert.equal(renderEnvironmentDiff([]), 'No environment changes.\n');
  });

  it('orders versions by their release numbers', () => {
    assert.equal(compareVersions('1.9', '1.10'), -1);
    assert.equal(compareVersions('2.0.1', '1.26.4'), 1);
    assert.equal(compareVersions('1.0', '1.0.0'), 0);
    assert.equal(compareVersions('1.0rc1', '1.0'), 0);
  });
});
