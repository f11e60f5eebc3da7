import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, tempDir, tempGitRepo, cairnOk } from '../support/fixtures';

/** The CLI run with its code cache in `cacheHome`. */
function run(cwd: string, cacheHome: string, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome } });
}

function cacheFiles(cacheHome: string): string[] {
  const dir = path.join(cacheHome, 'cairn', 'v8');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
}

describe('cairn launcher: V8 code cache', () => {
  it('writes the cache on the first run, uses it after, and rewrites one that is damaged', () => {
    const repo = tempGitRepo();
    cairnOk(repo, 'init');
    cairnOk(repo, 'remote', 'add', '-d', 'store', '/srv/store');
    const cacheHome = tempDir();

    const first = run(repo, cacheHome, 'remote', 'list');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /store\s+\/srv\/store\s+\(default\)/);
    const [cache] = cacheFiles(cacheHome);
    assert.ok(cache, 'a cache file was written');
    assert.equal(fs.statSync(cache).mode & 0o777, 0o600, 'readable by its owner only');
    const written = fs.statSync(cache).mtimeMs;

    const second = run(repo, cacheHome, 'remote', 'list');
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.equal(fs.statSync(cache).mtimeMs, written, 'an accepted cache is not rewritten');

    // Garbage in the cache: V8 rejects it, the command still works and the cache is made anew.
    fs.writeFileSync(cache, Buffer.alloc(4096, 7));
    const third = run(repo, cacheHome, 'remote', 'list');
    assert.equal(third.status, 0, third.stderr);
    assert.equal(third.stdout, first.stdout);
    assert.deepEqual(cacheFiles(cacheHome), [cache]);
    assert.notDeepEqual(fs.readFileSync(cache), Buffer.alloc(4096, 7));
  });

  it('works, with no cache, where the cache folder cannot be written', () => {
    const repo = tempGitRepo();
    cairnOk(repo, 'init');
    const blocked = path.join(tempDir(), 'a-file');
    fs.writeFileSync(blocked, 'not a folder');
    const r = run(repo, blocked, 'status');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('keeps the exit code and error output of the command', () => {
    const r = run(tempDir(), tempDir(), 'status');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ERROR: you are not inside of a DVC repository/);
  });
});
