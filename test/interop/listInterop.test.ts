import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvc, dvcOk, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * `cairn ls <url> [path]` against `dvc list` on one layout: git files, untracked and git-ignored
 * files, tracked folders with nested folders and odd names, a stage's outputs in dvc.lock, a
 * `cache: false` metric, an import-like `.dvc` file, an executable file, at the workspace and at
 * revisions, as JSON and as text (plain, -R, -T, -L, --size, --show-hash).
 */

const PIPELINE = `stages:
  build:
    cmd: mkdir -p out/deep && echo one > out/deep/o.txt && echo model > model.pkl && echo acc 1 > metrics.json
    outs:
    - out
    - model.pkl
    metrics:
    - metrics.json:
        cache: false
  later:
    cmd: echo later > later.txt
    outs:
    - later.txt
`;

/** A `.dvc` file as `dvc import` writes one (frozen, a repo dependency), for a file already in the cache. */
function makeImportLike(root: string, file: string): void {
  const dvcFile = path.join(root, `${file}.dvc`);
  const text = fs.readFileSync(dvcFile, 'utf8');
  fs.writeFileSync(dvcFile, `frozen: true\ndeps:\n- path: data/${file}\n  repo:\n    url: https://github.com/iterative/dataset-registry\n    rev_lock: 0123456789abcdef0123456789abcdef01234567\n${text}`);
}

function listedProject(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, {
    'data/a.txt': 'a\n',
    'data/sub/deeper/b.txt': 'bb\n',
    'data/with space/é ü.txt': 'unicode\n',
    'imported.csv': 'x,y\n1,2\n',
    'script.sh': '#!/bin/sh\necho hi\n',
    'docs/readme.md': '# docs\n',
    'docs/nested/tracked.bin': 'bin\n',
    'dvc.yaml': PIPELINE,
  });
  fs.chmodSync(path.join(root, 'script.sh'), 0o755);
  dvcOk(root, 'add', '-q', 'data', 'imported.csv', 'docs/nested/tracked.bin');
  makeImportLike(root, 'imported.csv');
  dvcOk(root, 'repro', '-q', 'build'); // `later` never runs: dvc.lock has no entry for its output
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'v1');
  git(root, 'tag', 'v1');
  // After v1: a changed tracked file, a file only the workspace has, one git ignores.
  writeFiles(root, { 'data/a.txt': 'a changed\n', 'untracked.txt': 'u\n', 'ignored.log': 'log\n', '.gitignore': '/ignored.log\n' });
  dvcOk(root, 'add', '-q', 'data');
  git(root, 'add', 'data.dvc');
  git(root, 'commit', '-qm', 'v2');
  return root;
}

const json = (text: string, what: string) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what} did not print JSON: ${JSON.stringify(text)}`);
  }
};

describe('interop: ls as dvc list (3.67)', function () {
  this.timeout(300_000);
  let root: string;
  before(() => {
    root = listedProject();
  });

  it('--json entries equal dvc\'s: workspace (ignored and untracked files too), revisions, paths, -R, -L, --dvc-only', () => {
    const top = (json(dvcOk(root, 'ls', '.', '--json'), 'dvc ls') as { path: string }[]).map((e) => e.path);
    for (const p of ['ignored.log', 'untracked.txt', 'out', 'model.pkl', 'metrics.json', 'imported.csv', 'later.txt']) assert.ok(top.includes(p), `dvc lists ${p} (fixture check): ${top}`);
    const revisions = [[], ['--rev', 'v1']];
    const shapes = [[], ['-R'], ['-R', '--dvc-only'], ['-R', '-L', '2']];
    const paths = [[], ['data'], ['data/with space'], ['out/deep'], ['script.sh']];
    for (const rev of revisions) {
      for (const at of paths) {
        for (const shape of shapes) {
          const args = ['ls', '.', ...at, ...shape, ...rev, '--json'];
          assert.deepEqual(json(cairnOk(root, ...args), 'cairn ls'), json(dvcOk(root, ...args), 'dvc ls'), args.join(' '));
        }
      }
    }
  });

  it('text output equals dvc\'s: names, -R, --size, --show-hash, and -T trees with -L', () => {
    const variants = [[], ['-R', '--size', '--show-hash'], ['--dvc-only', '-R', '--show-hash'], ['-T'], ['-T', '--size', '--show-hash'], ['-T', '-L', '1', '--size'], ['-T', '--dvc-only', '--show-hash']];
    for (const rev of [[], ['--rev', 'v1']]) {
      for (const at of [[], ['data/a.txt']]) {
        for (const variant of variants) {
          const args = ['ls', '.', ...at, ...variant, ...rev];
          assert.equal(cairnOk(root, ...args), dvcOk(root, ...args), args.join(' '));
        }
      }
    }
  });

  it('links: shown as dvc shows them (not folders, sized as their targets, a dangling one 0), never entered', () => {
    const outside = tempDir();
    writeFiles(outside, { 'secret.txt': 'not yours\n', 'inner/x.txt': 'x\n' });
    const links = path.join(root, 'links');
    fs.mkdirSync(links);
    fs.symlinkSync('../data', path.join(links, 'to-data'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(links, 'to-secret'));
    fs.symlinkSync(outside, path.join(links, 'to-outside'));
    fs.symlinkSync('/no/such/target', path.join(links, 'dangling'));
    try {
      for (const args of [['links'], ['links', '-R'], ['-R']]) {
        assert.deepEqual(json(cairnOk(root, 'ls', '.', ...args, '--json'), 'cairn ls'), json(dvcOk(root, 'ls', '.', ...args, '--json'), 'dvc ls'), args.join(' '));
      }
      // dvc lists the folder a link points to when it is named; Cairn never lists outside the repository.
      assert.deepEqual(json(cairnOk(root, 'ls', '.', 'links/to-outside', '--json'), 'cairn ls'), [
        { isout: false, isdir: false, isexec: false, size: fs.statSync(outside).size, md5: null, path: 'to-outside' },
      ]);
      assert.notEqual(cairn(root, 'ls', '.', 'links/to-outside/inner').status, 0);
    } finally {
      fs.rmSync(links, { recursive: true });
    }
  });

  it('a repository named by another folder or a file:// URL lists the same, a bare --rev the workspace; a remote URL and a missing path are one line each', () => {
    const elsewhere = tempDir();
    assert.deepEqual(json(cairnOk(elsewhere, 'ls', root, 'data', '-R', '--json'), 'cairn ls'), json(dvcOk(elsewhere, 'ls', root, 'data', '-R', '--json'), 'dvc ls'));
    // A file:// URL is a git URL to dvc: it lists a clone's last commit (no untracked.txt), not the workspace.
    for (const args of [[], ['docs', '-R', '--size']]) {
      const ls = ['ls', `file://${root}`, ...args, '--json'];
      assert.deepEqual(json(cairnOk(elsewhere, ...ls), 'cairn ls'), json(dvcOk(elsewhere, ...ls), 'dvc ls'), ls.join(' '));
    }
    // `--rev` given bare names the workspace, as dvc's optional value does.
    assert.deepEqual(json(cairnOk(root, 'ls', '.', '--rev', '--json'), 'cairn ls'), json(dvcOk(root, 'ls', '.', '--rev', '--json'), 'dvc ls'));
    const remote = cairn(elsewhere, 'ls', 'https://github.com/iterative/example-get-started');
    assert.notEqual(remote.status, 0);
    assert.match(remote.stderr, /^ERROR: 'https:\/\/github\.com\/iterative\/example-get-started' is a remote repository; cairn ls lists local ones only\. .*\n$/);
    const missing = cairn(root, 'ls', '.', 'no/such');
    assert.equal(missing.status, dvc(root, 'ls', '.', 'no/such').status, 'exit code as dvc');
    assert.match(missing.stderr, /^ERROR: 'no\/such' is neither in the repository nor tracked by DVC\. .*\n$/);
    const both = cairn(root, 'ls', '.', '-T', '--json');
    assert.notEqual(both.status, 0);
    assert.match(both.stderr, /cannot use --tree and --json options together/);
  });

  it('missing cache objects: files still list (hashes from dvc.lock and .dvc files); a folder whose .dir is gone fails naming it, as dvc does', () => {
    const clone = tempDir();
    git(clone, 'clone', '-q', root, '.');
    // A fresh clone: nothing in its cache, data not checked out. dvc gets a site cache of its own:
    // it keeps folder manifests it has read there, and would list data/ from another test's run.
    fs.writeFileSync(path.join(clone, '.dvc', 'config.local'), `[core]\n    site_cache_dir = ${path.join(clone, '.dvc', 'tmp', 'site-cache')}\n`);
    for (const args of [['--dvc-only'], [], ['--rev', 'v1', '--dvc-only']]) {
      const ls = ['ls', '.', ...args, '--json'];
      assert.deepEqual(json(cairnOk(clone, ...ls), 'cairn ls'), json(dvcOk(clone, ...ls), 'dvc ls'), ls.join(' '));
    }
    for (const args of [['data'], ['-R', '--dvc-only'], ['data', '--rev', 'v1']]) {
      const theirs = dvc(clone, 'ls', '.', ...args);
      assert.notEqual(theirs.status, 0, `dvc cannot list into data/ (fixture check): ${theirs.stdout}`);
      // With -R, each tool stops at the first folder it lacks the manifest of: data/ or the stage's out/.
      assert.match(theirs.stderr, /failed to load directory \('(data|out)',\)/, `(fixture check) ${theirs.stderr}`);
      const ours = cairn(clone, 'ls', '.', ...args);
      assert.notEqual(ours.status, 0, ours.stdout);
      assert.match(ours.stderr, /^ERROR: (data\.dvc: failed to load directory 'data'|dvc\.lock: failed to load directory 'out'): its list of files \([0-9a-f]{32}\.dir\) is neither in the cache nor on the default remote\. .*\n$/, ours.stderr);
    }
  });

  it('a folder\'s .dir the cache lacks is read from the default remote, as dvc reads it', () => {
    const remoteDir = tempDir();
    dvcOk(root, 'remote', 'add', '--local', 'store', remoteDir);
    dvcOk(root, 'push', '-q', '-r', 'store', 'data.dvc');
    const clone = tempDir();
    git(clone, 'clone', '-q', root, '.');
    dvcOk(clone, 'remote', 'add', '--local', '-d', 'store', remoteDir);
    // Cairn first: dvc keeps the manifest it reads, which would leave Cairn nothing to fetch.
    const ours = json(cairnOk(clone, 'ls', '.', 'data', '-R', '--json'), 'cairn ls');
    assert.deepEqual(ours, json(dvcOk(clone, 'ls', '.', 'data', '-R', '--json'), 'dvc ls'));
    assert.ok(JSON.stringify(ours).includes('sub/deeper/b.txt'), 'the files come from the manifest (fixture check)');
  });
});
