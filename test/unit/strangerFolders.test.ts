import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { add } from '../../src/core/outputs/add';
import { CairnError } from '../../src/core/errors';
import { addRemote } from '../../src/core/remotes/remoteConfig';
import { fetch, push } from '../../src/core/remotes/sync';
import { gc } from '../../src/core/remotes/gc';
import { LocalRemote } from '../../src/core/remotes/localRemote';
import { HashPool } from '../../src/core/hashing/hashPool';
import { md5, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';

const step = <T>(dir: string, fn: (repo: Repo) => Promise<T>): Promise<T> => Repo.using(dir, { hashJobs: 2 }, fn);

const HEX30 = 'e'.repeat(30);

describe('a remote folder or cache dir given by a stranger gets only hash-named objects (core API, real folders)', function () {
  let dir: string;
  let shared: string;
  let outside: string;

  beforeEach(async () => {
    dir = tempGitRepo();
    shared = path.join(tempDir(), 'shared');
    outside = path.join(tempDir(), 'outside');
    await init(dir, {});
    writeFiles(dir, { 'kept.txt': 'kept\n', 'gone.txt': 'gone\n' });
    await step(dir, (r) => add(r, ['kept.txt', 'gone.txt'], { cwd: dir }));
    await step(dir, (r) => addRemote(r, 'shared', shared, { default: true, cwd: dir }));
  });

  it('push and gc -c leave the other files of a folder remote byte-identical', async () => {
    // The url is a folder that also holds the user's files, some in folders that look like prefixes.
    writeFiles(shared, {
      'notes.txt': 'my notes\n',
      'ab/readme.md': 'not an object\n',
      [`ab/${HEX30}.bak`]: 'a backup\n',
      [`ab/${'E'.repeat(30)}`]: 'upper case is no hash\n',
      'files/md5/ab/notes.txt': 'inside the layout\n',
      'files/md5/ab/.notes.txt.4242.0badf00d.tmp': 'named like an upload temp file, beside no object\n',
      [`files/md5/zz/${HEX30}`]: 'zz is no prefix\n',
      [`files/md5/abc/${HEX30}`]: 'abc is no prefix\n',
      [`files/${HEX30}`]: 'above the prefixes\n',
    });
    const theirs = treeHashes(shared);
    await step(dir, (r) => push(r, { cwd: dir }));
    fs.rmSync(path.join(dir, 'gone.txt.dvc'));
    const old = new Date(Date.now() - 3 * 3600_000);
    fs.utimesSync(path.join(shared, 'files/md5/ab/.notes.txt.4242.0badf00d.tmp'), old, old);
    const plan = await step(dir, (r) => gc(r, { cwd: dir, workspace: true, cloud: true }));
    assert.deepEqual(plan.remote, [`files/md5/${md5('gone\n').slice(0, 2)}/${md5('gone\n').slice(2)}`]);
    assert.deepEqual(plan.abandoned, []);
    const now = treeHashes(shared);
    for (const [file, hash] of Object.entries(theirs)) assert.equal(now[file], hash, `${file} changed or went`);
  });

  it('a prefix folder of the remote that is a link: no object is written through it, and gc -c removes nothing through it', async () => {
    const keptPrefix = md5('kept\n').slice(0, 2);
    fs.mkdirSync(outside, { recursive: true });
    // An object-shaped file outside, unused by the repository: gc -c would remove it if it followed the link.
    fs.writeFileSync(path.join(outside, HEX30), 'the stranger points at my files\n');
    fs.mkdirSync(path.join(shared, 'files', 'md5'), { recursive: true });
    fs.symlinkSync(outside, path.join(shared, 'files', 'md5', keptPrefix));
    const r = await step(dir, (repo) => push(repo, { cwd: dir }));
    assert.equal(r.transferred, 1);
    assert.deepEqual(r.failures.map((f) => f.path), ['kept.txt']);
    assert.match(r.failures[0].message, /is a symbolic link; no object is written or removed through it/);
    assert.deepEqual(fs.readdirSync(outside), [HEX30]);
    const plan = await step(dir, (repo) => gc(repo, { cwd: dir, workspace: true, cloud: true }));
    assert.deepEqual(plan.remote, []);
    assert.equal(fs.readFileSync(path.join(outside, HEX30), 'utf8'), 'the stranger points at my files\n');
  });

  it('a prefix folder of the cache that is a link: add writes no object through it', async () => {
    const prefix = md5('new\n').slice(0, 2);
    fs.mkdirSync(outside, { recursive: true });
    fs.symlinkSync(outside, path.join(dir, '.dvc', 'cache', 'files', 'md5', prefix));
    writeFiles(dir, { 'new.txt': 'new\n' });
    await assert.rejects(step(dir, (r) => add(r, ['new.txt'], { cwd: dir })), (e: unknown) => e instanceof CairnError && /is a symbolic link/.test(e.message));
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  it('a FIFO on the remote under an object\'s key fails that object at once; the rest is fetched', async () => {
    await step(dir, (r) => push(r, { cwd: dir }));
    const key = `files/md5/${md5('kept\n').slice(0, 2)}/${md5('kept\n').slice(2)}`;
    fs.rmSync(path.join(shared, key));
    execFileSync('mkfifo', [path.join(shared, key)]);
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true });
    const r = await step(dir, (repo) => fetch(repo, { cwd: dir }));
    assert.equal(r.transferred, 1);
    assert.deepEqual(r.failures.map((f) => [f.path, f.message]), [['kept.txt', 'not a regular file']]);
  });

  it('a folder remote takes no path but an object key (or an upload temp file beside one)', async () => {
    fs.mkdirSync(shared, { recursive: true });
    fs.writeFileSync(path.join(shared, 'notes.txt'), 'my notes\n');
    const pool = new HashPool(1);
    const remote = new LocalRemote('shared', shared, shared, pool);
    try {
      for (const key of ['notes.txt', '../outside', `files/md5/ab/../../../notes.txt`, `files/md5/ab/${HEX30}/x`]) {
        await assert.rejects(remote.remove(key), (e: unknown) => e instanceof CairnError && e.code === 'BAD_HASH', key);
      }
      assert.equal(fs.readFileSync(path.join(shared, 'notes.txt'), 'utf8'), 'my notes\n');
      await remote.remove(`files/md5/ab/${HEX30}`); // an object's key: fine when it is not there
    } finally {
      remote.close();
      await pool.close();
    }
  });
});
