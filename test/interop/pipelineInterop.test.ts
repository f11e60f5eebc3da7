import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, cairn, cairnOk, dvcOk, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * Pipelines run by Cairn and by the real dvc (3.67.1) on the same repositories: what each
 * reports, which stages each runs, and the dvc.lock each writes.
 */

const PARAMS = [
  'lr: 1.0',
  'small: 0.00001',
  'epochs: 3',
  'flag: false',
  'name: hello world',
  'train:',
  '  layers: [1, 2]',
  '  opt: {kind: adam, beta: 0.9, nesterov: true, label: "a b"}',
  'models: [a, b]',
  '',
].join('\n');

const PIPELINE = [
  'vars:',
  '  - extra: 7',
  '  - conf.json:seed',
  'stages:',
  '  prep:',
  '    cmd: printf "%s\\n" ${lr} ${small} ${flag} ${train.layers[1]} \\${NOPE} ${seed} ${train} > prep.txt',
  '    deps:',
  '    - data/raw.csv',
  '    params:',
  '    - lr',
  '    - train.opt',
  '    - conf.json:',
  '    outs:',
  '    - prep.txt',
  '  build:',
  '    foreach: ${models}',
  '    do:',
  '      cmd: mkdir -p out/${item} && cat prep.txt > out/${item}/model.txt && echo ${item} ${extra} > out/${item}/name.txt',
  '      deps:',
  '      - prep.txt',
  '      outs:',
  '      - out/${item}',
  '  region:',
  '    foreach:',
  '      us: {n: 1}',
  '      eu: {n: 2}',
  '    do:',
  '      cmd: echo ${key} ${item.n} > region_${key}.txt',
  '      outs:',
  '      - region_${key}.txt',
  '  mat:',
  '    matrix:',
  '      m: [x, y]',
  '      k: [1, 2.5, true]',
  '    cmd: echo ${item.m} ${item.k} ${key} > m_${item.m}_${item.k}.txt',
  '    outs:',
  '    - m_${item.m}_${item.k}.txt',
  '  evaluate:',
  '    cmd:',
  '    - cat out/a/model.txt out/b/model.txt > eval/summary.txt',
  '    - "printf \'{\\"acc\\": %s}\' ${epochs} > eval/metrics.json"',
  '    - echo this is a rather long command line that dvc folds when it writes the lock file > eval/long.txt',
  '    wdir: .',
  '    deps:',
  '    - out/a',
  '    - out/b',
  '    params:',
  '    - epochs',
  '    outs:',
  '    - eval/summary.txt',
  '    - eval/long.txt:',
  '        persist: true',
  '    metrics:',
  '    - eval/metrics.json:',
  '        cache: false',
  '  sub:',
  '    wdir: sub',
  '    cmd: echo "$DVC_STAGE" > where.txt && pwd | sed "s|$DVC_ROOT|ROOT|" >> where.txt',
  '    outs:',
  '    - where.txt',
  '',
].join('\n');

function newRepo(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, {
    'params.yaml': PARAMS,
    'conf.json': '{"seed": 42, "other": {"deep": [1, 2]}}\n',
    'data/raw.csv': 'x,y\n1,2\n',
    'dvc.yaml': PIPELINE,
    'eval/.keep': '',
    'sub/.keep': '',
  });
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'pipeline');
  return root;
}

/** A copy of a repository (work tree, .git and cache), to run the other tool on the same state. */
function copyRepo(root: string): string {
  const dest = path.join(tempDir(), 'copy');
  const r = spawnSync('cp', ['-a', root, dest]);
  assert.equal(r.status, 0, String(r.stderr));
  return dest;
}

const read = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
const json = (s: string) => JSON.parse(s) as unknown;

/** Stage names in the order a tool ran them, from its "Running stage 'x':" lines. */
function ranStages(stdout: string): string[] {
  return [...stdout.matchAll(/^Running stage '([^']+)':$/gm)].map((m) => m[1]);
}

function dvcRepro(root: string, ...args: string[]): string[] {
  return ranStages(dvcOk(root, 'repro', ...args));
}

function cairnRepro(root: string, ...args: string[]): string[] {
  return ranStages(cairnOk(root, 'repro', ...args));
}

describe('pipelines against the real dvc', function () {
  this.timeout(300_000);

  it('generates the same stage names (foreach, matrix) as dvc stage list', () => {
    const root = newRepo();
    const theirs = dvcOk(root, 'stage', 'list', '--name-only').trim().split('\n');
    const ours = (json(cairnOk(root, 'stage', 'list', '--json')) as { stage: string }[]).map((s) => s.stage);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('mat@y-2.5') && ours.includes('region@eu') && ours.includes('build@a'), ours.join(' '));
  });

  it('writes dvc.lock byte for byte as dvc does, runs stages in its order, and interpolates the same', () => {
    const root = newRepo();
    const twin = copyRepo(root);
    const theirOrder = dvcRepro(twin);
    const ourOrder = cairnRepro(root);
    assert.deepEqual(ourOrder, theirOrder);
    assert.equal(read(root, 'dvc.lock'), read(twin, 'dvc.lock'));
    assert.match(read(root, 'dvc.lock'), /\n {6}\S/, 'the long command is folded as ruamel folds it');
    for (const f of ['prep.txt', 'out/b/name.txt', 'm_x_2.5.txt', 'region_eu.txt', 'eval/metrics.json', 'sub/where.txt', '.gitignore', 'out/.gitignore', 'eval/.gitignore', 'sub/.gitignore']) {
      assert.equal(read(root, f), read(twin, f), f);
    }
    assert.match(read(root, 'prep.txt'), /^1\.0\n1e-05\nfalse\n2\n42\n--layers\n1\n2\n--opt\.kind\nadam\n/);
    assert.equal(read(root, 'sub/where.txt'), 'sub\nROOT/sub\n');
    // Each reads the other's result as up to date.
    assert.deepEqual(json(dvcOk(root, 'status', '--json')), {});
    assert.deepEqual(json(cairnOk(twin, 'status', '--json')), {});
    assert.deepEqual(cairnRepro(twin), []);
    assert.match(cairnOk(twin, 'repro'), /didn't change, skipping/);
  });

  it('reports the same status as dvc, and reruns exactly the stages dvc would after a change', () => {
    const root = newRepo();
    dvcOk(root, 'repro', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'ran');
    // A param, a dep and a command change.
    writeFiles(root, { 'params.yaml': PARAMS.replace('epochs: 3', 'epochs: 4').replace('beta: 0.9', 'beta: 0.8') });
    const twin = copyRepo(root);
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), json(dvcOk(root, 'status', '--json')));
    const theirs = dvcRepro(twin);
    const ours = cairnRepro(root);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('prep') && ours.includes('evaluate') && !ours.includes('region@us'), ours.join(' '));
    assert.deepEqual(json(dvcOk(root, 'status', '--json')), {});
    assert.equal(read(root, 'dvc.lock'), read(twin, 'dvc.lock'));

    // Deleted outputs and a changed dep: same status words.
    fs.rmSync(path.join(root, 'region_us.txt'));
    writeFiles(root, { 'data/raw.csv': 'x,y\n3,4\n' });
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), json(dvcOk(root, 'status', '--json')));
  });

  it('honours targets, --downstream, --single-item, --dry and --force as dvc does', () => {
    const root = newRepo();
    dvcOk(root, 'repro', '-q');
    writeFiles(root, { 'params.yaml': PARAMS.replace('lr: 1.0', 'lr: 2.0') });
    const twin = copyRepo(root);
    // With targets, dvc walks a subgraph whose independent stages come in Python set order:
    // compare which stages ran, and that ours ran in dependency order.
    const same = (ours: string[], theirs: string[]) => assert.deepEqual([...ours].sort(), [...theirs].sort());
    same(cairnRepro(root, '--dry', 'build@a'), dvcRepro(twin, '--dry', 'build@a'));
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), json(dvcOk(twin, 'status', '--json')), '--dry changed nothing');
    same(cairnRepro(root, '-s', 'prep'), dvcRepro(twin, '-s', 'prep'));
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), json(dvcOk(twin, 'status', '--json')), 'only prep ran');
    const down = cairnRepro(root, '--downstream', 'prep');
    same(down, dvcRepro(twin, '--downstream', 'prep'));
    assert.ok(down.indexOf('build@a') < down.indexOf('evaluate'), down.join(' '));
    same(cairnRepro(root, '-f', 'region'), dvcRepro(twin, '-f', 'region'));
    assert.deepEqual(json(dvcOk(root, 'status', '--json')), {});
  });

  it('adds stages as dvc stage add does', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    const twin = copyRepo(root);
    const args = ['-n', 'train', '-d', 'train.py', '-d', 'data', '-p', 'lr,epochs', '-p', 'conf.yaml:a', '-o', 'model.pkl', '-M', 'metrics.json', 'python', 'train.py'];
    cairnOk(root, 'stage', 'add', ...args);
    dvcOk(twin, 'stage', 'add', ...args);
    cairnOk(root, 'stage', 'add', '-n', 'eval', '-d', 'model.pkl', 'python eval.py');
    dvcOk(twin, 'stage', 'add', '-n', 'eval', '-d', 'model.pkl', 'python eval.py');
    assert.equal(read(root, 'dvc.yaml'), read(twin, 'dvc.yaml'));
  });

  it('fails with the file and line of a pipeline error, and on a failing command', () => {
    const root = newRepo();
    writeFiles(root, { 'dvc.yaml': 'stages:\n  s:\n    cmd: echo ${missing}\n' });
    const r = cairn(root, 'repro');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ERROR: dvc\.yaml:3: failed to parse 'stages\.s\.cmd': Could not find 'missing'\. Define it/);
    writeFiles(root, { 'dvc.yaml': 'stages:\n  s:\n    cmd: exit 3\n    outs: [o]\n' });
    const f = cairn(root, 'repro');
    assert.equal(f.status, 1);
    assert.match(f.stderr, /failed to reproduce 's'.*exited with 3/);
    assert.equal(fs.existsSync(path.join(root, 'dvc.lock')), false);
  });

  it('treats frozen and always_changed stages as dvc does', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      'in.txt': 'a\n',
      'dvc.yaml': [
        'stages:',
        '  first:\n    cmd: cat in.txt > a.txt\n    deps: [in.txt]\n    outs: [a.txt]',
        '  frozen:\n    cmd: cat a.txt > b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n    frozen: true',
        '  last:\n    cmd: cat b.txt > c.txt\n    deps: [b.txt]\n    outs: [c.txt]',
        '  clock:\n    cmd: echo tick >> ticks.txt\n    always_changed: true\n    outs:\n    - ticks.txt:\n        persist: true',
        '',
      ].join('\n'),
    });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'p');
    writeFiles(root, { 'b.txt': 'made by hand\n' });
    const twin = copyRepo(root);
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), json(dvcOk(root, 'status', '--json')));
    assert.deepEqual(cairnRepro(root), dvcRepro(twin));
    assert.equal(read(root, 'dvc.lock'), read(twin, 'dvc.lock'));
    writeFiles(root, { 'in.txt': 'b\n' });
    writeFiles(twin, { 'in.txt': 'b\n' });
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), json(dvcOk(root, 'status', '--json')));
    assert.deepEqual(cairnRepro(root), dvcRepro(twin));
    assert.equal(read(root, 'ticks.txt'), 'tick\ntick\n', 'an always-changed persistent output is kept and appended to');
    assert.equal(read(root, 'b.txt'), 'made by hand\n', 'a frozen stage never runs');
    assert.equal(read(root, 'dvc.lock'), read(twin, 'dvc.lock'));
  });

  it('stops a running stage on Ctrl-C: exit 130, nothing recorded, lock released', async () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': 'stages:\n  slow:\n    cmd: echo started > started.txt && sleep 30 && echo done > out.txt\n    outs: [out.txt]\n' });
    const child = spawn(process.execPath, [CLI, 'repro'], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    while (!fs.existsSync(path.join(root, 'started.txt'))) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 130, stderr);
    assert.ok(Date.now() - started < 20_000, 'the command was killed, not waited for');
    assert.equal(fs.existsSync(path.join(root, 'dvc.lock')), false);
    assert.equal(fs.existsSync(path.join(root, 'out.txt')), false);
    assert.equal(fs.existsSync(path.join(root, '.dvc/tmp/cairn/lock')), false, 'lock released');
  });
});
