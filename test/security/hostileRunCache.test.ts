import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, folderSnapshot, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * Run-cache entries an attacker made: in the cache a cloned repository brought (a committed
 * `.dvc/cache/runs/`) and on a remote `pull --run-cache` reads. Each names its file in one line,
 * is never used, and nothing outside the repository changes: an output path leading out of it,
 * a hash that is a path, YAML past the limits, a folder that is a link out of the cache.
 */

const PIPELINE = 'stages:\n  make:\n    cmd: cat in.txt > out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n';
const VICTIM = 'the victim\'s file\n';

/** A repository that ran its stage once (so its key's folder exists), and a sentinel folder beside it. */
function scene(): { root: string; sentinel: string; keyDir: string; entry: string } {
  const sentinel = tempDir();
  writeFiles(sentinel, { 'victim.txt': VICTIM });
  const root = tempGitRepo();
  cairnOk(root, 'init', '-q');
  writeFiles(root, { 'dvc.yaml': PIPELINE, 'in.txt': 'in\n' });
  cairnOk(root, 'repro');
  const runs = path.join(root, '.dvc', 'cache', 'runs');
  const prefix = fs.readdirSync(runs)[0];
  const keyDir = path.join(runs, prefix, fs.readdirSync(path.join(runs, prefix))[0]);
  const entry = fs.readFileSync(path.join(keyDir, fs.readdirSync(keyDir)[0]), 'utf8');
  return { root, sentinel, keyDir, entry };
}

/** Newer than the real entry, so it is the one read. */
function plant(keyDir: string, text: string | Buffer): void {
  const file = path.join(keyDir, 'f'.repeat(64));
  fs.writeFileSync(file, text);
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(file, later, later);
}

const hostileEntries = (entry: string, sentinel: string) => ({
  'an output path leading out of the repository': entry.replace('path: out.txt', `path: ../${path.basename(sentinel)}/victim.txt`),
  'a hash that is a path': entry.replace(/(outs:\n- path: out\.txt\n  hash: md5\n  md5: )[0-9a-f]{32}/, `$1../../../../${sentinel}/victim.txt`),
  'YAML past the size limit': Buffer.alloc(17 * 2 ** 20, 'a'),
  'YAML aliases past the limit': `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 1100 }, (_, i) => `k${i}: *a`).join('\n')}\n`,
});

describe('hostile run-cache entries', function () {
  this.timeout(120_000);

  it('a planted entry in the cache is one warning naming it; the command runs and nothing outside the repository changes', () => {
    for (const what of Object.keys(hostileEntries('', ''))) {
      const { root, sentinel, keyDir, entry } = scene();
      plant(keyDir, hostileEntries(entry, sentinel)[what as keyof ReturnType<typeof hostileEntries>]);
      const before = folderSnapshot(sentinel);
      fs.rmSync(path.join(root, 'out.txt'));
      writeFiles(root, { 'in.txt': 'in\n' }); // unchanged inputs: the run-cache entry of this key is read
      fs.writeFileSync(path.join(root, 'dvc.lock'), ''); // no dvc.lock to check out from
      const r = cairn(root, 'repro');
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
      const warnings = r.stderr.split('\n').filter(Boolean);
      assert.equal(warnings.length, 1, `${what}: ${r.stderr}`);
      assert.match(warnings[0], /^WARNING: .*\.dvc\/cache\/runs\/[0-9a-f]{2}\/[0-9a-f]{64}\/f{64}/, what);
      assert.doesNotMatch(r.stderr, /\n\s+at /, what);
      assert.match(r.stdout, /Running stage 'make':/, what);
      assert.equal(fs.readFileSync(path.join(root, 'out.txt'), 'utf8'), 'in\n', what);
      assert.deepEqual(folderSnapshot(sentinel), before, `${what}: something outside the repository changed`);
    }
  });

  it('a run-cache folder that is a link out of the cache is refused in one line', () => {
    const { root, sentinel, keyDir } = scene();
    const outside = path.join(sentinel, 'runs');
    fs.mkdirSync(outside);
    for (const name of fs.readdirSync(keyDir)) fs.copyFileSync(path.join(keyDir, name), path.join(outside, name));
    fs.rmSync(keyDir, { recursive: true, force: true });
    fs.symlinkSync(outside, keyDir);
    const before = folderSnapshot(sentinel);
    writeFiles(root, { 'in.txt': 'other\n' });
    cairnOk(root, 'repro');
    writeFiles(root, { 'in.txt': 'in\n' });
    const r = cairn(root, 'repro');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^WARNING: \/.*\/\.dvc\/cache\/runs\/[0-9a-f]{2}\/[0-9a-f]{64} is a symbolic link; no object is written or removed through it/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stdout, /Running stage 'make':/);
    assert.deepEqual(folderSnapshot(sentinel), before);
  });

  it('pull --run-cache refuses hostile entries on a remote by name, keeps none of them, and writes nothing outside the repository', () => {
    const { root, sentinel, keyDir, entry } = scene();
    const remote = tempDir();
    cairnOk(root, 'remote', 'add', '-d', 'r', remote);
    cairnOk(root, 'push', '--run-cache');
    const remoteKeyDir = path.join(remote, path.relative(path.join(root, '.dvc', 'cache'), keyDir));
    const hostile = hostileEntries(entry, sentinel);
    const names: string[] = [];
    Object.values(hostile).forEach((text, i) => {
      const name = String(i + 1).repeat(64);
      fs.writeFileSync(path.join(remoteKeyDir, name), text);
      names.push(name);
    });
    // A folder named like a key that is a link out of the remote: never entered.
    fs.symlinkSync(sentinel, path.join(remote, 'runs', path.basename(path.dirname(keyDir)), 'a'.repeat(64)));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'ran');
    const clone = path.join(tempDir(), 'clone');
    git(path.dirname(clone), 'clone', '-q', root, clone);
    const before = folderSnapshot(sentinel);
    const r = cairn(clone, 'pull', '--run-cache');
    assert.equal(r.status, 1, r.stderr);
    const errors = r.stderr.split('\n').filter(Boolean);
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0], /^ERROR: 4 files failed to download: /);
    for (const name of names) assert.ok(errors[0].includes(name.slice(0, 8)), `${name} not named: ${errors[0]}`);
    const kept = fs.readdirSync(path.join(clone, '.dvc', 'cache', path.relative(path.join(root, '.dvc', 'cache'), keyDir)));
    assert.deepEqual(kept, fs.readdirSync(keyDir), 'only the good entry was kept');
    assert.equal(fs.readFileSync(path.join(clone, 'out.txt'), 'utf8'), 'in\n', 'the good data was pulled');
    assert.deepEqual(folderSnapshot(sentinel), before);
  });
});
