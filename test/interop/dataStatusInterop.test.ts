import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairnOk, dvcOk, git, md5, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * `cairn data status` against `dvc data status` on layouts the test builds: tracked folders with
 * nested folders and odd names, files, a stage's output in dvc.lock and one never run, committed
 * and uncommitted changes, renames inside a folder, objects missing from the cache, targets,
 * untracked files. dvc's lists come in no fixed order (Cairn sorts them), so lists are compared
 * sorted, and the text with each section's lines sorted; dvc's hints name dvc's commands where
 * Cairn's name cairn's.
 */

const PIPELINE = `stages:
  train:
    cmd: echo model > model.pkl
    outs:
    - model.pkl
  later:
    cmd: echo later > later.txt
    outs:
    - later.txt
`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** Every list sorted (renames by their old path): dvc's order is not stable. */
function sortedLists(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedLists).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sortedLists(v)]));
  return value;
}

/** The text with each section's item lines sorted and dvc's command names as cairn's. */
function comparableText(text: string): string {
  return text
    .replace(/"dvc (fetch|push|commit|checkout|add) /g, '"cairn $1 ')
    .split('\n\n')
    .map((section) => {
      const lines = section.split('\n');
      const items = lines.filter((l) => l.startsWith('        ')).sort();
      return [...lines.filter((l) => !l.startsWith('        ') && !l.startsWith('(there')), ...items, ...lines.filter((l) => l.startsWith('(there'))].join('\n');
    })
    .join('\n\n');
}

function assertSameStatus(cwd: string, args: string[], what: string): Json {
  const theirs = sortedLists(JSON.parse(dvcOk(cwd, 'data', 'status', ...args, '--json')) as Json);
  assert.deepEqual(sortedLists(JSON.parse(cairnOk(cwd, 'data', 'status', ...args, '--json')) as Json), theirs, `${what}: data status ${args.join(' ')} --json`);
  assert.equal(comparableText(cairnOk(cwd, 'data', 'status', ...args)), comparableText(dvcOk(cwd, 'data', 'status', ...args)), `${what}: data status ${args.join(' ')}`);
  return theirs;
}

const VARIANTS = [[], ['--granular'], ['--unchanged'], ['--granular', '--unchanged', '--untracked-files'], ['--untracked-files', 'no']];

function trackedProject(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  // dvc remembers folder manifests in its site cache: a fresh one per repository makes it read only the cache, as Cairn does.
  fs.writeFileSync(path.join(root, '.dvc', 'config.local'), `[core]\n    site_cache_dir = ${path.join(root, '.dvc', 'tmp', 'site-cache')}\n`);
  writeFiles(root, {
    'data/a.txt': 'a\n',
    'data/sub/deeper/b.txt': 'bb\n',
    'data/odd dir/é ü.txt': 'unicode\n',
    'c.txt': 'c\n',
    'd.txt': 'd\n',
    'dvc.yaml': PIPELINE,
  });
  dvcOk(root, 'add', '-q', 'data', 'c.txt', 'd.txt');
  dvcOk(root, 'repro', '-q', 'train');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'v1');
  return root;
}

describe('interop: data status as dvc data status (3.67)', function () {
  this.timeout(300_000);

  it('a clean project, then uncommitted changes: files and folders modified, added, deleted, renamed inside a folder; a stage output never run', () => {
    const root = trackedProject();
    for (const args of VARIANTS) assertSameStatus(root, args, 'clean');
    writeFiles(root, { 'data/a.txt': 'a changed\n', 'data/new file.txt': 'new\n', 'c.txt': 'c changed\n', 'model.pkl': 'other model\n', 'later.txt': 'ran by hand\n', 'untracked é.txt': 'u\n' });
    fs.rmSync(path.join(root, 'data/sub/deeper/b.txt'));
    fs.renameSync(path.join(root, 'data/odd dir/é ü.txt'), path.join(root, 'data/odd dir/renamed.txt'));
    fs.rmSync(path.join(root, 'd.txt'));
    const theirs = assertSameStatus(root, ['--granular'], 'changed');
    assert.ok(JSON.stringify(theirs).includes('"renamed"') && JSON.stringify(theirs).includes('later.txt'), `dvc sees the rename and the never-run output (fixture check): ${JSON.stringify(theirs)}`);
    for (const args of VARIANTS) assertSameStatus(root, args, 'changed');
  });

  it('committed changes: .dvc files and dvc.lock changed against HEAD, a .dvc file added and one removed', () => {
    const root = trackedProject();
    writeFiles(root, { 'data/a.txt': 'a2\n', 'data/more/x.txt': 'x\n', 'c.txt': 'c2\n', 'e.txt': 'e\n', 'model.pkl': 'm2\n' });
    dvcOk(root, 'commit', '-q', '-f', 'data.dvc', 'c.txt.dvc', 'train');
    dvcOk(root, 'add', '-q', 'e.txt');
    git(root, 'rm', '-q', '--cached', 'd.txt.dvc');
    fs.rmSync(path.join(root, 'd.txt.dvc'));
    const theirs = assertSameStatus(root, ['--granular'], 'committed');
    assert.ok('committed' in (theirs as object), `dvc sees committed changes (fixture check): ${JSON.stringify(theirs)}`);
    for (const args of VARIANTS) assertSameStatus(root, args, 'committed');
  });

  it('objects missing from the cache: not_in_cache, and a folder whose manifest is gone has its files unknown (--granular)', () => {
    const root = trackedProject();
    const objectOf = (md5: string) => path.join(root, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2));
    const dataDir = /md5: (\w+\.dir)/.exec(fs.readFileSync(path.join(root, 'data.dvc'), 'utf8'))![1];
    const cFile = /md5: (\w+)/.exec(fs.readFileSync(path.join(root, 'c.txt.dvc'), 'utf8'))![1];
    fs.rmSync(objectOf(dataDir));
    fs.rmSync(objectOf(cFile));
    const theirs = assertSameStatus(root, ['--granular', '--unchanged'], 'missing objects');
    assert.ok(JSON.stringify(theirs).includes('"unknown"'), `dvc cannot compare the folder's files (fixture check): ${JSON.stringify(theirs)}`);
    writeFiles(root, { 'data/a.txt': 'a3\n' });
    for (const args of VARIANTS) assertSameStatus(root, args, 'missing objects, a file changed');
  });

  it('targets limit every list (a folder, a file inside it, a file; a stage name or .dvc file selects nothing, as in dvc), also from a sub-folder (relative to the root, as dvc)', () => {
    const root = trackedProject();
    writeFiles(root, { 'data/a.txt': 'a changed\n', 'data/sub/deeper/new.txt': 'n\n', 'c.txt': 'c changed\n', 'data/untracked-here.txt': 'u\n', 'untracked.txt': 'u\n' });
    for (const targets of [['data'], ['data/a.txt'], ['c.txt'], ['train'], ['c.txt.dvc'], ['data/sub', 'c.txt']]) {
      assertSameStatus(root, [...targets, '--granular', '--unchanged', '--untracked-files'], targets.join(' '));
    }
    // As dvc takes them: a target is relative to the repository's root, untracked files matched from the working folder.
    for (const targets of [['sub'], ['data/sub'], ['untracked-here.txt']]) assertSameStatus(path.join(root, 'data'), [...targets, '--granular', '--untracked-files'], `from data/: ${targets}`);
  });

  it('--not-in-remote: without a remote every output; with a local remote what a partial push left out, a folder\'s files with --granular; -r', () => {
    const root = trackedProject();
    assertSameStatus(root, ['--not-in-remote'], 'no remote');
    const remoteDir = tempDir();
    dvcOk(root, 'remote', 'add', '-d', 'store', remoteDir);
    dvcOk(root, 'remote', 'add', 'other', tempDir());
    dvcOk(root, 'push', '-q', 'data.dvc', 'c.txt.dvc');
    // A file of data/ and data/'s own manifest gone from the remote.
    const objectOn = (md5: string) => path.join(remoteDir, 'files', 'md5', md5.slice(0, 2), md5.slice(2));
    const dataDir = /md5: (\w+\.dir)/.exec(fs.readFileSync(path.join(root, 'data.dvc'), 'utf8'))![1];
    fs.rmSync(objectOn(dataDir));
    fs.rmSync(objectOn(md5('a\n')));
    const theirs = assertSameStatus(root, ['--not-in-remote', '--granular'], 'partial push');
    assert.ok(JSON.stringify(theirs).includes('data/a.txt'), `dvc finds the file missing (fixture check): ${JSON.stringify(theirs)}`);
    for (const args of [['--not-in-remote'], ['data', 'c.txt', '--not-in-remote', '--granular'], ['--not-in-remote', '-r', 'other'], ['-r', 'store'], ['--not-in-remote', '--no-remote-refresh']]) {
      assertSameStatus(root, args, 'partial push');
    }
  });

  it('a git repository without commits says so', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'x.txt': 'x\n' });
    dvcOk(root, 'add', '-q', 'x.txt');
    for (const args of [[], ['--unchanged'], ['--untracked-files']]) assertSameStatus(root, args, 'no commits');
  });
});
