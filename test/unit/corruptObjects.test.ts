import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { add } from '../../src/core/outputs/add';
import { checkout } from '../../src/core/outputs/checkout';
import { addRemote } from '../../src/core/remotes/remoteConfig';
import { fetch, push } from '../../src/core/remotes/sync';
import type { VerifyStats } from '../../src/core/cache/verifyObjects';
import { md5, storeObjects, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

const step = <T>(dir: string, fn: (repo: Repo) => Promise<T>): Promise<T> => Repo.using(dir, { hashJobs: 2 }, fn);

const FILES = {
  'f1.txt': 'one: the first of four\n',
  'f2.txt': 'two: changed in place\n',
  'f3.txt': 'three: cut short\n',
  'f4.bin': Buffer.alloc(300 << 10, 4),
};

const keyOf = (content: string | Buffer) => `${md5(content).slice(0, 2)}/${md5(content).slice(2)}`;

describe('corrupt cache objects are never restored or pushed (core API, real repositories)', function () {
  let dir: string;
  let store: string;
  const objectPath = (content: string | Buffer) => path.join(dir, '.dvc', 'cache', 'files', 'md5', keyOf(content));
  const corrupted = { f2: Buffer.from(FILES['f2.txt'].toUpperCase()), f3: Buffer.from('three') };

  /** f2's object: bytes changed in place (same size); f3's: truncated. The other two stay good. */
  function corrupt(): void {
    for (const [file, bytes] of [[objectPath(FILES['f2.txt']), corrupted.f2], [objectPath(FILES['f3.txt']), corrupted.f3]] as const) {
      fs.chmodSync(file, 0o644);
      fs.writeFileSync(file, bytes); // same inode: in place
      fs.chmodSync(file, 0o444);
    }
  }

  beforeEach(async () => {
    dir = tempGitRepo();
    store = path.join(tempDir(), 'store');
    await init(dir, {});
    writeFiles(dir, FILES);
    await step(dir, (r) => add(r, Object.keys(FILES), { cwd: dir }));
    await step(dir, (r) => addRemote(r, 'store', store, { default: true, cwd: dir }));
  });

  it('push uploads exactly the good objects and names the corrupt ones, which are moved aside, not deleted', async () => {
    corrupt();
    const r = await step(dir, (repo) => push(repo, { cwd: dir }));
    assert.deepEqual([r.transferred, r.failed], [2, 2]);
    assert.deepEqual(storeObjects(store), [keyOf(FILES['f1.txt']), keyOf(FILES['f4.bin'])].map((k) => `files/md5/${k}`).sort());
    const byPath = Object.fromEntries(r.failures.map((f) => [f.path, f]));
    assert.deepEqual(Object.keys(byPath).sort(), ['f2.txt', 'f3.txt']);
    assert.equal(byPath['f2.txt'].object, `files/md5/${keyOf(FILES['f2.txt'])}`);
    assert.match(byPath['f2.txt'].message, new RegExp(`not uploaded: \\.dvc/cache/files/md5/${keyOf(FILES['f2.txt'])} is corrupt \\(its bytes hash to ${md5(corrupted.f2)}\\); moved to \\.dvc/cache/\\.cairn-corrupt/${md5(FILES['f2.txt'])}: fetch it again`));
    assert.match(byPath['f3.txt'].message, new RegExp(`is corrupt \\(its bytes hash to ${md5(corrupted.f3)}\\)`));
    // Kept, out of the object folders: a fetch or an add can now bring the good bytes back.
    const quarantine = path.join(dir, '.dvc', 'cache', '.cairn-corrupt');
    assert.deepEqual(fs.readFileSync(path.join(quarantine, md5(FILES['f2.txt']))), corrupted.f2);
    assert.deepEqual(fs.readFileSync(path.join(quarantine, md5(FILES['f3.txt']))), corrupted.f3);
    assert.equal(fs.existsSync(objectPath(FILES['f2.txt'])), false);
    await step(dir, (repo) => add(repo, ['f2.txt', 'f3.txt'], { cwd: dir }));
    const again = await step(dir, (repo) => push(repo, { cwd: dir }));
    assert.deepEqual([again.transferred, again.skipped, again.failed], [2, 2, 0]);
  });

  it('checkout restores the good objects and names the corrupt ones; the workspace keeps nothing of them', async () => {
    corrupt();
    for (const f of Object.keys(FILES)) fs.rmSync(path.join(dir, f));
    const r = await step(dir, (repo) => checkout(repo, [], { cwd: dir }));
    assert.deepEqual(r.added.sort(), ['f1.txt', 'f4.bin']);
    assert.deepEqual(r.failed.map((f) => f.path).sort(), ['f2.txt', 'f3.txt']);
    const f2 = r.failed.find((f) => f.path === 'f2.txt')!;
    assert.match(f2.reason, new RegExp(`^\\.dvc/cache/files/md5/${keyOf(FILES['f2.txt'])} is corrupt \\(its bytes hash to ${md5(corrupted.f2)}\\); moved to `));
    assert.equal(fs.readFileSync(path.join(dir, 'f1.txt'), 'utf8'), FILES['f1.txt']);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'f4.bin')), FILES['f4.bin']);
    assert.equal(fs.existsSync(path.join(dir, 'f2.txt')), false);
    assert.equal(fs.existsSync(path.join(dir, 'f3.txt')), false);
  });

  it('a directory with a corrupt file: its other files are restored, the directory is reported with the file', async () => {
    writeFiles(dir, { 'data/good.txt': 'good\n', 'data/bad.txt': 'bad but not yet\n' });
    await step(dir, (r) => add(r, ['data'], { cwd: dir }));
    const bad = objectPath('bad but not yet\n');
    fs.chmodSync(bad, 0o644);
    fs.writeFileSync(bad, 'BAD BUT NOT YET\n');
    fs.rmSync(path.join(dir, 'data'), { recursive: true });
    const r = await step(dir, (repo) => checkout(repo, ['data'], { cwd: dir }));
    assert.deepEqual(r.failed.map((f) => f.path), ['data/']);
    assert.match(r.failed[0].reason, /^1 file\(s\) not restored, e\.g\. data\/bad\.txt: .* is corrupt/);
    assert.equal(fs.readFileSync(path.join(dir, 'data', 'good.txt'), 'utf8'), 'good\n');
    assert.equal(fs.existsSync(path.join(dir, 'data', 'bad.txt')), false);
  });

  /** `data/` added, then its .dir object rewritten: well-formed, naming an object the cache holds; only its hash tells it is not the manifest recorded. Its key under files/md5. */
  async function addDirWithCorruptManifest(): Promise<string> {
    writeFiles(dir, { 'data/a.txt': 'a\n' });
    await step(dir, (r) => add(r, ['data'], { cwd: dir }));
    const manifest = fs.readdirSync(path.join(dir, '.dvc', 'cache', 'files', 'md5'), { recursive: true }).map(String).find((f) => f.endsWith('.dir'))!;
    const file = path.join(dir, '.dvc', 'cache', 'files', 'md5', manifest);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, `[{"md5": "${md5('a\n')}", "relpath": "b.txt"}]`);
    return manifest;
  }

  it('a corrupt .dir manifest is named by checkout, which restores nothing of that directory', async () => {
    await addDirWithCorruptManifest();
    fs.rmSync(path.join(dir, 'data'), { recursive: true });
    const r = await step(dir, (repo) => checkout(repo, ['data'], { cwd: dir }));
    assert.deepEqual(r.failed.map((f) => f.path), ['data/']);
    assert.match(r.failed[0].reason, /\.dir is corrupt \(its bytes hash to [0-9a-f]{32}\)/);
    assert.equal(fs.existsSync(path.join(dir, 'data')), false);
  });

  it('a FIFO under an object\'s name is refused at once, not waited on', async () => {
    const object = objectPath(FILES['f1.txt']);
    fs.rmSync(object);
    execFileSync('mkfifo', [object]);
    fs.rmSync(path.join(dir, 'f1.txt'));
    const r = await step(dir, (repo) => checkout(repo, ['f1.txt'], { cwd: dir }));
    assert.deepEqual(r.failed, [{ path: 'f1.txt', reason: `cannot read .dvc/cache/files/md5/${keyOf(FILES['f1.txt'])}: not a regular file` }]);
  });

  it('push refuses a corrupt .dir manifest (moved aside) and none of its files go up; the other outputs do', async () => {
    const manifest = await addDirWithCorruptManifest();
    const r = await step(dir, (repo) => push(repo, { cwd: dir }));
    assert.deepEqual(r.failures.map((f) => [f.path, f.object]), [['data', `files/md5/${manifest}`]]);
    assert.match(r.failures[0].message, /^not uploaded: .*\.dir is corrupt \(its bytes hash to [0-9a-f]{32}\); moved to /);
    assert.equal(r.transferred, 4, 'the four file outputs');
    assert.equal(fs.existsSync(path.join(store, 'files', 'md5', keyOf('a\n'))), false);
    assert.equal(fs.existsSync(path.join(dir, '.dvc', 'cache', 'files', 'md5', manifest)), false);
  });

  it('objects are read once: add records what it wrote, a first use records what it hashed, a second use reads nothing', async () => {
    const verify = async (fn: (repo: Repo, onVerified: (s: VerifyStats) => void) => Promise<unknown>) => {
      let stats: VerifyStats | undefined;
      await step(dir, (repo) => fn(repo, (s) => (stats = s)));
      return stats;
    };
    const remove = () => Object.keys(FILES).forEach((f) => fs.rmSync(path.join(dir, f)));
    const restore = () => verify((repo, onVerified) => checkout(repo, [], { cwd: dir, onVerified }));
    remove();
    assert.deepEqual(await restore(), { objects: 4, hashedObjects: 0, hashedBytes: 0 }, 'objects written by add are known verified');

    // Objects this repository's index has never seen (a cache filled by another tool): read once.
    fs.rmSync(path.join(dir, '.dvc', 'tmp', 'cairn', 'stat-index.json'));
    const total = Object.values(FILES).reduce((sum, c) => sum + Buffer.byteLength(c), 0);
    assert.deepEqual(await verify((repo, onVerified) => push(repo, { cwd: dir, onVerified })), { objects: 4, hashedObjects: 4, hashedBytes: total });
    remove();
    assert.deepEqual(await restore(), { objects: 4, hashedObjects: 0, hashedBytes: 0 });
    fs.rmSync(store, { recursive: true });
    assert.deepEqual(await verify((repo, onVerified) => push(repo, { cwd: dir, onVerified })), { objects: 4, hashedObjects: 0, hashedBytes: 0 });

    // Objects a fetch brought in were hashed on the way: not read again.
    fs.rmSync(path.join(dir, '.dvc', 'cache'), { recursive: true });
    await step(dir, (repo) => fetch(repo, { cwd: dir }));
    remove();
    assert.deepEqual(await restore(), { objects: 4, hashedObjects: 0, hashedBytes: 0 });

    // A changed object is read again, whatever the index said.
    corrupt();
    remove();
    assert.deepEqual(await restore(), { objects: 4, hashedObjects: 2, hashedBytes: corrupted.f2.length + corrupted.f3.length });
  });
});
