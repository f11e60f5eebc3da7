import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { add } from '../../src/core/outputs/add';
import { status } from '../../src/core/outputs/status';
import { checkout } from '../../src/core/outputs/checkout';
import { commit } from '../../src/core/outputs/commit';
import { diff } from '../../src/core/outputs/diff';
import { remove, unprotect } from '../../src/core/outputs/remove';
import { listRepository } from '../../src/core/outputs/list';
import { unreadableFiles } from '../../src/core/outputs/unreadableFiles';
import { CairnError } from '../../src/core/errors';
import { SPLIT_RANGE_BYTES } from '../../src/core/hashing/splitCopy';
import { git, md5, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';

const isCode = (code: string, words?: RegExp) => (e: unknown) => e instanceof CairnError && e.code === code && (!words || words.test(e.oneLine()));

async function withRepo<T>(dir: string, fn: (repo: Repo) => Promise<T>): Promise<T> {
  const repo = Repo.open(dir, { hashJobs: 2 });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

/** Count the files the worker pool is asked to read. */
function countHashing(repo: Repo): { tasks: number } {
  const counter = { tasks: 0 };
  const run = repo.pool.run.bind(repo.pool);
  repo.pool.run = (tasks, options) => {
    counter.tasks += tasks.length;
    return run(tasks, options);
  };
  return counter;
}

describe('tracking data (core API, real git repositories)', () => {
  let dir: string;
  const files = {
    'data/a.txt': 'hello\n',
    'data/sub/b.txt': 'bee\n',
    'data/é.txt': 'accent\n',
    'data/sub/😀.txt': 'emoji\n',
    'model.pkl': Buffer.from([0x80, 4, 0x95, 1, 2, 3]),
  };

  beforeEach(async () => {
    dir = tempGitRepo();
    await init(dir);
    writeFiles(dir, files);
  });

  it('adds a directory with non-ASCII names: manifest bytes escaped, status clean', async () => {
    fs.chmodSync(path.join(dir, 'data/a.txt'), 0o755); // executable files inside a directory change nothing in its manifest
    fs.chmodSync(path.join(dir, 'model.pkl'), 0o755);
    await withRepo(dir, async (repo) => {
      const result = await add(repo, ['data', 'model.pkl'], { cwd: dir });
      assert.deepEqual(result.added.map((a) => [a.path, a.nfiles]), [['data', 4], ['model.pkl', undefined]]);
      assert.match(fs.readFileSync(path.join(dir, 'model.pkl.dvc'), 'utf8'), /\n  size: 6\n  isexec: true\n  hash: md5\n/);
      assert.deepEqual(result.gitFiles, ['data.dvc', '.gitignore', 'model.pkl.dvc']);
      const dirMd5 = result.added[0].md5;
      const manifest = fs.readFileSync(path.join(dir, '.dvc/cache/files/md5', dirMd5.slice(0, 2), dirMd5.slice(2)), 'utf8');
      assert.equal(
        manifest,
        `[{"md5": "${md5('hello\n')}", "relpath": "a.txt"}, {"md5": "${md5('bee\n')}", "relpath": "sub/b.txt"}, ` +
          `{"md5": "${md5('emoji\n')}", "relpath": "sub/\\ud83d\\ude00.txt"}, {"md5": "${md5('accent\n')}", "relpath": "\\u00e9.txt"}]`,
      );
      assert.equal(dirMd5, md5(manifest) + '.dir');
      assert.equal(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8'), '/data\n/model.pkl\n');
      assert.deepEqual(await status(repo, [], { cwd: dir }), {});
      fs.rmSync(path.join(dir, 'model.pkl'));
      await checkout(repo, ['model.pkl'], { cwd: dir });
      assert.equal(fs.statSync(path.join(dir, 'model.pkl')).mode & 0o777, 0o744, 'restored user-executable, as DVC does');
    });
  });

  it('adds a big file (hashed and copied in parallel) into a complete, read-only object', async () => {
    const big = Buffer.alloc(40 << 20);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i * 2654435761 >>> 0, i);
    fs.writeFileSync(path.join(dir, 'big.bin'), big);
    await withRepo(dir, async (repo) => {
      const [added] = (await add(repo, ['big.bin'], { cwd: dir })).added;
      assert.equal(added.md5, md5(big));
      const obj = path.join(dir, '.dvc/cache/files/md5', added.md5.slice(0, 2), added.md5.slice(2));
      assert.equal(md5(fs.readFileSync(obj)), added.md5);
      assert.equal(fs.statSync(obj).mode & 0o777, 0o444);
      assert.deepEqual(fs.readdirSync(repo.store.stagingDir), []);
      assert.deepEqual(await status(repo, [], { cwd: dir }), {});
    });
  });

  it('never re-hashes unchanged files: status reads metadata only', async () => {
    const old = new Date(Date.now() - 3600_000);
    for (const f of Object.keys(files)) fs.utimesSync(path.join(dir, f), old, old);
    await withRepo(dir, (repo) => add(repo, ['data', 'model.pkl'], { cwd: dir }));
    await withRepo(dir, async (repo) => {
      const counter = countHashing(repo);
      assert.deepEqual(await status(repo, [], { cwd: dir }), {});
      assert.equal(counter.tasks, 0);
      fs.appendFileSync(path.join(dir, 'data/sub/b.txt'), 'more');
      assert.deepEqual(await status(repo, [], { cwd: dir }), { 'data.dvc': [{ 'changed outs': { data: 'modified' } }] });
      assert.equal(counter.tasks, 1, 'only the changed file is read');
    });
  });

  it('reports deleted, modified and not-in-cache outputs as DVC does', async () => {
    await withRepo(dir, async (repo) => {
      await add(repo, ['data', 'model.pkl'], { cwd: dir });
      fs.rmSync(path.join(dir, 'model.pkl'));
      fs.writeFileSync(path.join(dir, 'data/new.txt'), 'new');
      assert.deepEqual(await status(repo, [], { cwd: dir }), {
        'data.dvc': [{ 'changed outs': { data: 'modified' } }],
        'model.pkl.dvc': [{ 'changed outs': { 'model.pkl': 'deleted' } }],
      });
      assert.deepEqual(await status(repo, ['model.pkl'], { cwd: dir }), { 'model.pkl.dvc': [{ 'changed outs': { 'model.pkl': 'deleted' } }] });
      const obj = path.join(dir, '.dvc/cache/files/md5', md5('hello\n').slice(0, 2), md5('hello\n').slice(2));
      fs.rmSync(obj, { force: true });
      assert.deepEqual((await status(repo, ['data.dvc'], { cwd: dir }))['data.dvc'], [{ 'changed outs': { data: 'not in cache' } }]);
    });
  });

  it('checkout refuses to overwrite uncommitted changes, naming them, and --force restores', async () => {
    await withRepo(dir, async (repo) => {
      await add(repo, ['data', 'model.pkl'], { cwd: dir });
      const before = treeHashes(path.join(dir, 'data'));
      fs.writeFileSync(path.join(dir, 'data/sub/b.txt'), 'changed');
      fs.rmSync(path.join(dir, 'data/a.txt'));
      fs.writeFileSync(path.join(dir, 'data/extra.txt'), 'extra');
      await assert.rejects(checkout(repo, [], { cwd: dir }), isCode('UNCOMMITTED_CHANGES', /data\/sub\/b\.txt.*data\/extra\.txt|data\/extra\.txt.*data\/sub\/b\.txt/));
      assert.equal(fs.readFileSync(path.join(dir, 'data/sub/b.txt'), 'utf8'), 'changed', 'nothing was touched');
      assert.equal(fs.existsSync(path.join(dir, 'data/a.txt')), false);
      const result = await checkout(repo, [], { cwd: dir, force: true });
      assert.deepEqual(result, { added: [], modified: ['data/'], failed: [] });
      assert.deepEqual(treeHashes(path.join(dir, 'data')), before);
    });
  });

  it('checkout restores deletions without --force, and reports outputs missing from the cache', async () => {
    await withRepo(dir, async (repo) => {
      await add(repo, ['data', 'model.pkl'], { cwd: dir });
      fs.rmSync(path.join(dir, 'data'), { recursive: true });
      fs.rmSync(path.join(dir, 'model.pkl'));
      fs.chmodSync(path.join(dir, '.dvc/cache/files/md5', md5(files['model.pkl']).slice(0, 2)), 0o755);
      fs.rmSync(path.join(dir, '.dvc/cache/files/md5', md5(files['model.pkl']).slice(0, 2), md5(files['model.pkl']).slice(2)));
      const result = await checkout(repo, [], { cwd: dir });
      assert.deepEqual(result.added, ['data/']);
      assert.deepEqual(result.failed, [{ path: 'model.pkl', reason: 'not in cache' }]);
      assert.equal(fs.readFileSync(path.join(dir, 'data/é.txt'), 'utf8'), 'accent\n');
    });
  });

  it('checkout reports progress by bytes: a file\'s recorded size, a directory\'s files as its recorded size over their number', async () => {
    const big = { 'big/a.bin': Buffer.alloc(300 << 10, 1), 'big/b.bin': Buffer.alloc(100 << 10, 2) };
    writeFiles(dir, big);
    await withRepo(dir, (repo) => add(repo, ['data', 'model.pkl', 'big'], { cwd: dir }));
    const lastReport = async (targets: string[], remove: string[]) => {
      for (const p of remove) fs.rmSync(path.join(dir, p), { recursive: true });
      const seen: { bytes?: number; totalBytes?: number; done: number; total: number }[] = [];
      await withRepo(dir, (repo) => checkout(repo, targets, { cwd: dir, onProgress: (p) => seen.push(p) }));
      return seen[seen.length - 1];
    };
    // The model: its size is in its .dvc file.
    assert.deepEqual(await lastReport(['model.pkl'], ['model.pkl']), { done: 1, total: 1, unit: 'files', bytes: 6, totalBytes: 6 });
    assert.deepEqual(await lastReport(['big'], ['big']), { done: 2, total: 2, unit: 'files', bytes: 400 << 10, totalBytes: 400 << 10 });
    const small = await lastReport(['data'], ['data']);
    const dataBytes = ['data/a.txt', 'data/sub/b.txt', 'data/é.txt', 'data/sub/😀.txt'].reduce((sum, f) => sum + Buffer.byteLength(files[f as keyof typeof files]), 0);
    assert.deepEqual(small, { done: 4, total: 4, unit: 'files', bytes: dataBytes, totalBytes: dataBytes });
  });

  it('checkout restores a big file by copying ranges on all threads at once: whole, writable, executable as recorded, no temp file left, also when cancelled', async () => {
    const big = crypto.randomBytes(2 * SPLIT_RANGE_BYTES + 777);
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, big);
    fs.chmodSync(file, 0o755);
    await withRepo(dir, (repo) => add(repo, ['big.bin'], { cwd: dir }));
    const staging = path.join(dir, '.dvc', 'tmp', 'cairn', 'staging');
    const restore = (options: { signal?: AbortSignal; onProgress?: (p: { bytes?: number }) => void; relink?: boolean } = {}) =>
      withRepo(dir, async (repo) => {
        const ops: string[] = [];
        const run = repo.pool.run.bind(repo.pool);
        repo.pool.run = (tasks, runOptions) => (ops.push(...tasks.map((t) => t.op)), run(tasks, runOptions));
        await checkout(repo, ['big.bin'], { cwd: dir, ...options });
        return ops;
      });

    fs.rmSync(file);
    // The object, written by add, is known verified: its 'verify' task only stats it.
    assert.deepEqual(await restore(), ['verify', 'copyRange', 'copyRange']);
    assert.equal(md5(fs.readFileSync(file)), md5(big));
    assert.equal(fs.statSync(file).mode & 0o777, 0o744);
    assert.deepEqual(fs.readdirSync(staging), []);
    assert.deepEqual(await withRepo(dir, (repo) => status(repo, [], { cwd: dir })), {});

    // Cancelled halfway: no file, no temp file; a read-only hard link to the cache is replaced, not written through.
    fs.rmSync(file);
    const controller = new AbortController();
    await assert.rejects(restore({ signal: controller.signal, onProgress: (p) => p.bytes! > 0 && controller.abort() }), isCode('ABORTED'));
    assert.equal(fs.existsSync(file), false);
    assert.deepEqual(fs.readdirSync(staging), []);
    const object = path.join(dir, '.dvc', 'cache', 'files', 'md5', md5(big).slice(0, 2), md5(big).slice(2));
    fs.linkSync(object, file);
    await restore({ relink: true });
    assert.notEqual(fs.statSync(file).ino, fs.statSync(object).ino);
    assert.equal(md5(fs.readFileSync(file)), md5(big));
    assert.equal(fs.statSync(object).mode & 0o777, 0o444);
  });

  it('commit asks before recording changes, and writes nothing when refused', async () => {
    await withRepo(dir, async (repo) => {
      await add(repo, ['model.pkl'], { cwd: dir });
      const dvcBefore = fs.readFileSync(path.join(dir, 'model.pkl.dvc'), 'utf8');
      fs.writeFileSync(path.join(dir, 'model.pkl'), 'v2');
      let asked: string[] = [];
      await assert.rejects(
        commit(repo, [], { cwd: dir, confirm: async (outs) => ((asked = outs), false) }),
        isCode('UNCOMMITTED_CHANGES', /model\.pkl.*--force/),
      );
      assert.deepEqual(asked, ['model.pkl']);
      assert.equal(fs.readFileSync(path.join(dir, 'model.pkl.dvc'), 'utf8'), dvcBefore);
      const result = await commit(repo, [], { cwd: dir, force: true });
      assert.deepEqual(result, { committed: ['model.pkl'], dvcFiles: ['model.pkl.dvc'] });
      assert.match(fs.readFileSync(path.join(dir, 'model.pkl.dvc'), 'utf8'), new RegExp(`md5: ${md5('v2')}\n  size: 2\n`));
      assert.deepEqual(await status(repo, [], { cwd: dir }), {});
    });
  });

  it('diffs tracked directories file by file between commits', async () => {
    await withRepo(dir, async (repo) => {
      await add(repo, ['data'], { cwd: dir });
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'v1');
      fs.renameSync(path.join(dir, 'data/a.txt'), path.join(dir, 'data/renamed.txt'));
      fs.writeFileSync(path.join(dir, 'data/sub/b.txt'), 'bee2\n');
      await commit(repo, [], { cwd: dir, force: true });
      git(dir, 'commit', '-qam', 'v2');
      assert.deepEqual(await diff(repo, 'HEAD~1', 'HEAD'), {
        added: [],
        deleted: [],
        modified: [{ path: 'data/' }, { path: 'data/sub/b.txt' }],
        renamed: [{ path: { old: 'data/a.txt', new: 'data/renamed.txt' } }],
        'not in cache': undefined,
      });
      assert.deepEqual(await diff(repo), {}, 'HEAD and the workspace agree');
      const listed = await listRepository(repo, '', { rev: 'HEAD~1', dvcOnly: true });
      assert.deepEqual(listed.map((l) => [l.path, l.isdir, l.isout]), [['data', true, true]]);
      assert.deepEqual(await listRepository(repo, '', { rev: 'workspace' }), await listRepository(repo, ''), "'workspace' names the workspace, as in diff");
      await assert.rejects(diff(repo, 'no-such-rev'), isCode('USAGE', /unknown revision 'no-such-rev'/));
    });
  });

  it('remove stops tracking but keeps the data; unprotect turns a hardlink into a writable copy', async () => {
    fs.writeFileSync(path.join(dir, '.dvc/config'), '[cache]\n    type = hardlink\n');
    await withRepo(dir, async (repo) => {
      await add(repo, ['data', 'model.pkl'], { cwd: dir });
      const model = path.join(dir, 'model.pkl');
      assert.equal(fs.statSync(model).nlink, 2, 'hardlinked to the cache');
      await unprotect(repo, ['model.pkl'], { cwd: dir });
      assert.equal(fs.statSync(model).nlink, 1);
      assert.equal(fs.statSync(model).mode & 0o200, 0o200);
      const result = await remove(repo, ['model.pkl.dvc'], { cwd: dir });
      assert.deepEqual(result, { removed: ['model.pkl.dvc'], gitignores: ['.gitignore'], deletedOutputs: [] });
      assert.equal(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8'), '/data\n');
      assert.equal(fs.existsSync(model), true);
    });
  });

  it('gives one clear error for bad input', async () => {
    await withRepo(dir, async (repo) => {
      await assert.rejects(add(repo, ['nope'], { cwd: dir }), isCode('MISSING_PATH', /'nope' does not exist/));
      await assert.rejects(add(repo, ['../x'], { cwd: dir }), isCode('PATH_OUTSIDE_REPO'));
      fs.writeFileSync(path.join(dir, 'data/sub/.dvcignore'), '*.txt\n');
      await assert.rejects(add(repo, ['data'], { cwd: dir }), isCode('DVCIGNORE_IN_TRACKED_DIR', /data\/sub\/\.dvcignore/));
      assert.equal(fs.existsSync(path.join(dir, 'data.dvc')), false, 'nothing half-written');
      await assert.rejects(status(repo, ['model.pkl'], { cwd: dir }), isCode('NOT_TRACKED', /cairn add model\.pkl/));
      fs.writeFileSync(path.join(dir, 'bad.dvc'), 'outs:\n- path: x\n  sizee: 3\n');
      // A bad .dvc file is set aside by name; the others are still read.
      await status(repo, [], { cwd: dir });
      assert.ok(unreadableFiles(repo).some((e) => e instanceof CairnError && e.file === 'bad.dvc' && e.line === 3));
      await assert.rejects(status(repo, ['bad.dvc'], { cwd: dir }), (e: unknown) => e instanceof CairnError && e.file === 'bad.dvc' && e.line === 3, 'named as a target, it is an error');
    });
    assert.throws(() => Repo.open(tempDir()), isCode('NOT_A_REPO', /cairn init/));
    await assert.rejects(init(dir), isCode('ALREADY_INITIALIZED', /-f/));
    await assert.rejects(init(tempDir()), isCode('NOT_A_REPO', /--no-scm/));
  });

  it('serialises writers with a repository lock and takes over a stale one', async () => {
    const lockFile = path.join(dir, '.dvc/tmp/cairn/lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    // A live process holds it: our parent.
    fs.writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, host: os.hostname() }));
    await withRepo(dir, async (repo) => {
      const started = Date.now();
      await assert.rejects(repo.withLock(async () => 0), isCode('LOCKED', new RegExp(`locked by pid ${process.ppid}`)));
      assert.ok(Date.now() - started >= 2900, 'it waited for the holder first');
      // A dead process holds it: taken over.
      fs.writeFileSync(lockFile, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
      assert.equal(await repo.withLock(async () => 42), 42);
      assert.equal(fs.existsSync(lockFile), false, 'released after use');
      // Its pid now belongs to a process started after the lock was taken: reused, so stale.
      fs.writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '2001-01-01T00:00:00.000Z' }));
      assert.equal(await repo.withLock(async () => 43), 43);
    });
  });
});
