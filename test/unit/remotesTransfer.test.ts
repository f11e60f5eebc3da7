import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { add } from '../../src/core/outputs/add';
import { CairnError } from '../../src/core/errors';
import { addRemote } from '../../src/core/remotes/remoteConfig';
import { fetch, pull, push } from '../../src/core/remotes/sync';
import { cloudStatus, cloudStatusReport } from '../../src/core/remotes/cloudStatus';
import { remoteHas, QueryPlan } from '../../src/core/remotes/remoteIndex';
import { LocalRemote } from '../../src/core/remotes/localRemote';
import { gc } from '../../src/core/remotes/gc';
import { HashPool } from '../../src/core/hashing/hashPool';
import { SPLIT_COPY_BYTES } from '../../src/core/hashing/workerProtocol';
import { splitCopyTasks, SPLIT_RANGE_BYTES } from '../../src/core/hashing/splitCopy';
import { corruptCacheObjects, git, md5, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';

const step = <T>(dir: string, fn: (repo: Repo) => Promise<T>): Promise<T> => Repo.using(dir, { hashJobs: 2 }, fn);

const objectsUnder = (root: string) => (fs.existsSync(path.join(root, 'files', 'md5')) ? Object.keys(treeHashes(path.join(root, 'files', 'md5'))).sort() : []);

const DATA = {
  'data/a.txt': 'alpha\n',
  'data/sub/b.txt': 'bee\n',
  'data/sub/c.bin': Buffer.alloc(70 << 10, 7),
  'model.pkl': Buffer.from([0x80, 4, 0x95, 0, 1, 2]),
};

describe('push / fetch / pull with a local remote (core API, real repositories)', function () {
  let dir: string;
  let store: string;
  const opts = () => ({ cwd: dir, jobs: 4 });

  beforeEach(async () => {
    dir = tempGitRepo();
    store = path.join(tempDir(), 'store');
    await init(dir, {});
    writeFiles(dir, DATA);
    await step(dir, (r) => add(r, ['data', 'model.pkl'], { cwd: dir }));
    await step(dir, (r) => addRemote(r, 'store', store, { default: true, cwd: dir }));
  });

  it('pushes every object once (.dir included), skips them on a rerun, and fetches them into an empty cache verified', async () => {
    const first = await step(dir, (r) => push(r, opts()));
    assert.deepEqual([first.transferred, first.skipped, first.failed], [5, 0, 0]);
    assert.ok(first.seconds > 0, 'the time spent moving objects is measured');
    assert.equal(objectsUnder(store).length, 5);
    assert.deepEqual(corruptCacheObjects(store), []);
    for (const f of objectsUnder(store)) assert.equal(fs.statSync(path.join(store, 'files', 'md5', f)).mode & 0o777, 0o444);
    const again = await step(dir, (r) => push(r, opts()));
    assert.deepEqual([again.transferred, again.skipped, again.failed], [0, 5, 0]);

    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'data'), { recursive: true });
    const before = await step(dir, (r) => cloudStatus(r, { cwd: dir }));
    // The .dir came into the cache to list the files (as dvc does): the files are 'deleted' (remote only).
    assert.deepEqual(await step(dir, async (r) => cloudStatusReport(r, before, dir)), {
      'data/a.txt': 'deleted',
      'data/sub/b.txt': 'deleted',
      'data/sub/c.bin': 'deleted',
      'model.pkl': 'deleted',
    });
    const got = await step(dir, (r) => pull(r, opts()));
    assert.deepEqual([got.fetch.transferred, got.fetch.failed], [4, 0]);
    assert.deepEqual(corruptCacheObjects(path.join(dir, '.dvc', 'cache')), []);
    assert.equal(fs.readFileSync(path.join(dir, 'data', 'sub', 'b.txt'), 'utf8'), 'bee\n');
    assert.deepEqual(await step(dir, async (r) => cloudStatusReport(r, await cloudStatus(r, { cwd: dir }), dir)), {});
  });

  it('resumes: a push that lost objects sends only those, and a .dir goes up only after all its files', async () => {
    await step(dir, (r) => push(r, opts()));
    const objects = objectsUnder(store);
    const dirObject = objects.find((o) => o.endsWith('.dir'))!;
    const lost = objects.filter((o) => !o.endsWith('.dir')).slice(0, 2);
    for (const o of [dirObject, ...lost]) fs.rmSync(path.join(store, 'files', 'md5', o), { force: true });
    // A file missing from the cache too: the .dir must not go up without it.
    const cacheObj = path.join(dir, '.dvc', 'cache', 'files', 'md5', lost[0]);
    const keep = fs.readFileSync(cacheObj);
    fs.chmodSync(path.dirname(cacheObj), 0o755);
    fs.rmSync(cacheObj, { force: true });
    const partial = await step(dir, (r) => push(r, opts()));
    assert.equal(partial.failed >= 1, true);
    assert.equal(fs.existsSync(path.join(store, 'files', 'md5', dirObject)), false, 'the .dir went up although one of its files did not');
    assert.ok(partial.failures.some((f) => /not in the cache/.test(f.message)));
    fs.writeFileSync(cacheObj, keep, { mode: 0o444 });
    const rest = await step(dir, (r) => push(r, opts()));
    assert.equal(rest.failed, 0);
    assert.deepEqual(objectsUnder(store), objects);
  });

  it('reports a corrupted remote object by name and keeps it out of the cache; the rest is fetched', async () => {
    await step(dir, (r) => push(r, opts()));
    const target = md5('alpha\n');
    const remoteFile = path.join(store, 'files', 'md5', target.slice(0, 2), target.slice(2));
    fs.chmodSync(remoteFile, 0o644);
    fs.writeFileSync(remoteFile, 'tampered\n');
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    const r = await step(dir, (repo) => fetch(repo, opts()));
    assert.equal(r.failed, 1);
    assert.equal(r.failures[0].path, 'data/a.txt');
    assert.match(r.failures[0].message, new RegExp(`files/md5/${target.slice(0, 2)}/${target.slice(2)}.*corrupted.*${md5('tampered\n')}`));
    assert.equal(fs.existsSync(path.join(dir, '.dvc', 'cache', 'files', 'md5', target.slice(0, 2), target.slice(2))), false);
    assert.deepEqual(corruptCacheObjects(path.join(dir, '.dvc', 'cache')), []);
    assert.equal(r.transferred, 4);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.dvc', 'cache', '.cairn-staging')), []);
  });

  it('verifies a big object too (hashed by one worker while another copies it): one flipped byte keeps it out of the cache', async () => {
    const big = crypto.randomBytes(SPLIT_COPY_BYTES + 4096);
    fs.writeFileSync(path.join(dir, 'big.bin'), big);
    await step(dir, (r) => add(r, ['big.bin'], { cwd: dir }));
    await step(dir, (r) => push(r, opts()));
    const key = md5(big);
    const remoteFile = path.join(store, 'files', 'md5', key.slice(0, 2), key.slice(2));
    const cached = path.join(dir, '.dvc', 'cache', 'files', 'md5', key.slice(0, 2), key.slice(2));
    fs.chmodSync(remoteFile, 0o644);
    const fd = fs.openSync(remoteFile, 'r+');
    fs.writeSync(fd, Buffer.from([big[SPLIT_COPY_BYTES] ^ 1]), 0, 1, SPLIT_COPY_BYTES);
    fs.closeSync(fd);
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    const bad = await step(dir, (r) => fetch(r, { ...opts(), targets: ['big.bin'] }));
    assert.deepEqual([bad.transferred, bad.failed], [0, 1]);
    assert.match(bad.failures[0].message, /corrupted/);
    assert.equal(fs.existsSync(cached), false);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.dvc', 'cache', '.cairn-staging')), []);

    fs.writeFileSync(remoteFile, big);
    const good = await step(dir, (r) => fetch(r, { ...opts(), targets: ['big.bin'] }));
    assert.deepEqual([good.transferred, good.failed], [1, 0]);
    assert.equal(md5(fs.readFileSync(cached)), key);
    assert.equal(fs.statSync(cached).mode & 0o777, 0o444);
  });

  it('pushes a big object as ranges copied by all threads at once: complete, read-only, counted once, no temp file left', async () => {
    const big = crypto.randomBytes(2 * SPLIT_RANGE_BYTES + 12345);
    const ranges = splitCopyTasks('src', big.length, 2, () => 'tmp')!;
    assert.deepEqual(ranges.map((t) => [t.target, t.start, t.end]), [['tmp', 0, 33 << 20], ['tmp', 33 << 20, big.length]]);
    const never = () => assert.fail('no temp file for a copy that is not split');
    assert.equal(splitCopyTasks('src', big.length, 1, never), undefined);
    assert.equal(splitCopyTasks('src', 2 * SPLIT_RANGE_BYTES - 1, 2, never), undefined);
    fs.writeFileSync(path.join(dir, 'big.bin'), big);
    await step(dir, (r) => add(r, ['big.bin'], { cwd: dir }));
    const key = md5(big);
    const remoteDir = path.join(store, 'files', 'md5', key.slice(0, 2));
    const seen: { done: number; bytes?: number }[] = [];
    const pushed = await step(dir, (r) => push(r, { cwd: dir, jobs: 2, targets: ['big.bin'], onProgress: (p) => seen.push(p) }));
    assert.deepEqual([pushed.transferred, pushed.failed], [1, 0]);
    assert.deepEqual(fs.readdirSync(remoteDir), [key.slice(2)]);
    const remoteFile = path.join(remoteDir, key.slice(2));
    assert.equal(md5(fs.readFileSync(remoteFile)), key);
    assert.equal(fs.statSync(remoteFile).mode & 0o777, 0o444);
    // The first range's end is not the object's: it counts as done only with both.
    assert.ok(seen.some((p) => p.done === 0 && p.bytes! >= SPLIT_RANGE_BYTES), JSON.stringify(seen));
    assert.deepEqual(seen[seen.length - 1], { ...seen[seen.length - 1], done: 1, bytes: big.length });

    // Cancelled halfway: neither the object nor a temp file is left, and a rerun sends it whole.
    fs.rmSync(store, { recursive: true });
    const controller = new AbortController();
    await assert.rejects(
      step(dir, (r) => push(r, { cwd: dir, jobs: 2, targets: ['big.bin'], signal: controller.signal, onProgress: (p) => p.bytes! > 0 && controller.abort() })),
      (e: unknown) => e instanceof CairnError && e.code === 'ABORTED',
    );
    assert.deepEqual(fs.readdirSync(remoteDir), []);
    await step(dir, (r) => push(r, { cwd: dir, jobs: 2, targets: ['big.bin'] }));
    assert.equal(md5(fs.readFileSync(remoteFile)), key);
  });

  it('gc -c removes the temp files killed pushes left beside remote objects once idle for an hour; nothing else', async () => {
    await step(dir, (r) => push(r, opts()));
    const objects = objectsUnder(store);
    const hoursAgo = (f: string, h: number) => fs.utimesSync(f, new Date(Date.now() - h * 3600_000), new Date(Date.now() - h * 3600_000));
    const place = (file: string, hours: number) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'partial');
      hoursAgo(file, hours);
      return file;
    };
    const name = md5('never finished');
    const stale = [place(path.join(store, 'files', 'md5', name.slice(0, 2), `.${name.slice(2)}.4242.0badf00d.tmp`), 2)];
    const live = [place(path.join(store, 'files', 'md5', name.slice(0, 2), `.${name.slice(2)}.4243.0badf00d.tmp`), 0.5)];
    const dry = await step(dir, (r) => gc(r, { cwd: dir, workspace: true, cloud: true, dry: true }));
    assert.deepEqual(dry.abandoned, [`files/md5/${name.slice(0, 2)}/.${name.slice(2)}.4242.0badf00d.tmp`]);
    assert.ok(stale.every((f) => fs.existsSync(f)), 'a dry run removed something');
    const done = await step(dir, (r) => gc(r, { cwd: dir, workspace: true, cloud: true }));
    assert.equal(done.removed, true);
    assert.deepEqual(stale.filter((f) => fs.existsSync(f)), []);
    assert.deepEqual(live.filter((f) => !fs.existsSync(f)), []);
    assert.deepEqual(objectsUnder(store).filter((k) => !path.basename(k).startsWith('.')), objects);
  });

  it('honours push: false and an output\'s own remote:, and -r leaves out outputs of other remotes', async () => {
    const other = path.join(tempDir(), 'other');
    await step(dir, (r) => addRemote(r, 'other', other, { cwd: dir }));
    fs.appendFileSync(path.join(dir, 'model.pkl.dvc'), '  push: false\n');
    fs.appendFileSync(path.join(dir, 'data.dvc'), '  remote: other\n');
    // status -c leaves push: false outputs out, as `dvc status -c` does
    const st = await step(dir, async (repo) => cloudStatusReport(repo, await cloudStatus(repo, { cwd: dir }), dir));
    assert.equal(st['model.pkl'], undefined);
    assert.equal(st['data/a.txt'], 'new');
    const r = await step(dir, (repo) => push(repo, opts()));
    assert.equal(r.transferred, 4);
    assert.deepEqual(objectsUnder(store), []);
    assert.equal(objectsUnder(other).length, 4);
    const none = await step(dir, (repo) => push(repo, { ...opts(), remote: 'store' }));
    assert.equal(none.transferred + none.skipped, 0);
    // fetch ignores push: false (it is about pushing only)
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    const f = await step(dir, (repo) => fetch(repo, opts()));
    assert.equal(f.failed, 1, 'model.pkl was never pushed anywhere');
    assert.equal(f.failures[0].path, 'model.pkl');
    assert.equal(f.transferred, 4);
  });

  it('fetches one file of a tracked directory when it is the target', async () => {
    await step(dir, (r) => push(r, opts()));
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    const r = await step(dir, (repo) => fetch(repo, { ...opts(), targets: ['data/sub/b.txt'] }));
    assert.equal(r.transferred, 2, '.dir + b.txt');
    await assert.rejects(step(dir, (repo) => fetch(repo, { ...opts(), targets: ['nothing/here'] })), (e: unknown) => e instanceof CairnError && e.code === 'NOT_TRACKED');
  });

  it('reports the bytes a fetch will move, so progress and time left go by bytes, not by objects', async () => {
    await step(dir, (r) => push(r, opts()));
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    const seen: { bytes?: number; totalBytes?: number }[] = [];
    await step(dir, (r) => fetch(r, { ...opts(), onProgress: (p) => seen.push(p) }));
    // A directory's files have no size in its manifest: the folder remote's own stat gives the total.
    const fileBytes = Object.values(DATA).reduce((sum, v) => sum + Buffer.byteLength(v), 0);
    const last = seen[seen.length - 1];
    assert.ok(seen.length > 0 && seen.every((p) => p.totalBytes === fileBytes), `every report has the total ${fileBytes}: ${JSON.stringify(seen)}`);
    assert.equal(last.bytes, fileBytes);
  });

  it('stops on an AbortSignal with an ABORTED error; what arrived is complete and a rerun sends the rest', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 400; i++) many[`many/f${i}.txt`] = `file ${i}\n`;
    writeFiles(dir, many);
    await step(dir, (r) => add(r, ['many'], { cwd: dir }));
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      step(dir, (r) =>
        push(r, {
          ...opts(),
          signal: controller.signal,
          onProgress: (p) => {
            if (p.done > 0 && ++seen === 1) controller.abort();
          },
        }),
      ),
      (e: unknown) => e instanceof CairnError && e.code === 'ABORTED',
    );
    const partial = objectsUnder(store).length;
    assert.ok(partial > 0 && partial < 406, `${partial} objects after the abort`);
    assert.deepEqual(corruptCacheObjects(store), []);
    const rest = await step(dir, (r) => push(r, opts()));
    assert.equal(rest.transferred + rest.skipped, 406);
    assert.equal(rest.skipped, partial);
  });

  it('moves DVC 2 (md5-dos2unix) objects at the root of the remote and the cache', async () => {
    const text = 'line one\r\nline two\r\n';
    const legacy = md5('line one\nline two\n'); // dos2unix hash of a text file
    writeFiles(dir, { 'old.txt': text, 'old.txt.dvc': `outs:\n- md5: ${legacy}\n  size: ${text.length}\n  path: old.txt\n` });
    const obj = path.join(dir, '.dvc', 'cache', legacy.slice(0, 2), legacy.slice(2));
    fs.mkdirSync(path.dirname(obj), { recursive: true });
    fs.writeFileSync(obj, text, { mode: 0o444 });
    const r = await step(dir, (repo) => push(repo, opts()));
    assert.equal(r.failed, 0);
    assert.ok(fs.existsSync(path.join(store, legacy.slice(0, 2), legacy.slice(2))), 'legacy object at the remote root');
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    const f = await step(dir, (repo) => fetch(repo, { ...opts(), targets: ['old.txt'] }));
    assert.deepEqual([f.transferred, f.failed], [1, 0]);
    assert.equal(fs.readFileSync(obj, 'utf8'), text);
  });

  it('pushes the objects of other branches with --all-branches', async () => {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'v1');
    git(dir, 'checkout', '-qb', 'other');
    writeFiles(dir, { 'model.pkl': 'model v2\n' });
    await step(dir, (r) => add(r, ['model.pkl'], { cwd: dir }));
    git(dir, 'commit', '-qam', 'v2');
    git(dir, 'checkout', '-q', 'main');
    await step(dir, (r) => add(r, ['model.pkl'], { cwd: dir })); // workspace back at v1 content
    const ws = await step(dir, (r) => push(r, opts()));
    assert.equal(ws.transferred, 5);
    const all = await step(dir, (r) => push(r, { ...opts(), allBranches: true }));
    assert.equal(all.transferred, 1);
    assert.ok(fs.existsSync(path.join(store, 'files', 'md5', md5('model v2\n').slice(0, 2), md5('model v2\n').slice(2))));
  });
});

describe('remote existence checks (DVC\'s estimate: list vs HEAD)', () => {
  /** A real local remote that counts calls and answers as an S3 remote would be asked. */
  class CountingRemote extends LocalRemote {
    override readonly kind = 's3' as unknown as 'local';
    lists: string[] = [];
    heads = 0;
    override async list(prefix: string) {
      this.lists.push(prefix);
      return super.list(prefix);
    }
    override async exists(key: string) {
      this.heads++;
      return super.exists(key);
    }
  }
  const key = (m: string) => `files/md5/${m.slice(0, 2)}/${m.slice(2)}`;

  function fill(root: string, n: number): string[] {
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = key(md5(`object ${i}`));
      fs.mkdirSync(path.dirname(path.join(root, k)), { recursive: true });
      fs.writeFileSync(path.join(root, k), '');
      keys.push(k);
    }
    return keys;
  }

  it('asks per object for few keys against a big remote, lists for many keys, and finds exactly what is there', async () => {
    const root = tempDir();
    const there = fill(root, 3000);
    const remote = new CountingRemote('r', root, root, new HashPool(1));
    let plan: QueryPlan | undefined;
    const few = [...there.slice(0, 2), key(md5('absent'))];
    const found = await remoteHas(remote, few, { jobs: 4, onPlan: (p) => (plan = p) });
    assert.equal(plan!.method, 'head');
    assert.ok(plan!.estimatedRemoteSize > 256);
    assert.deepEqual([...found].sort(), there.slice(0, 2).sort());
    assert.ok(remote.heads <= 3);

    const many = [...there, ...Array.from({ length: 50 }, (_, i) => key(md5(`absent ${i}`)))];
    remote.heads = 0;
    remote.lists = [];
    const all = await remoteHas(remote, many, { jobs: 4, onPlan: (p) => (plan = p) });
    assert.notEqual(plan!.method, 'head');
    assert.equal(remote.heads, 0);
    assert.ok(remote.lists.length <= 257);
    assert.deepEqual([...all].sort(), [...there].sort());
  });
});
