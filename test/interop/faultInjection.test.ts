import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, cairn, cairnOk, corruptCacheObjects, git, md5, tempGitRepo, treeHashes } from '../support/fixtures';
import { pidAlive } from '../../src/core/repo/repoLock';
import { SEED, streamFor, intIn } from '../support/faultSeed';

/**
 * Fault injection: the real CLI is killed with SIGKILL at random moments of `add` and
 * `checkout`, and the repository must still hold only complete cache objects, untouched
 * (or fully restored) workspace files, and recover with a plain rerun. Also the
 * repository lock: a second writer fails fast, a lock left by a dead process is taken over.
 *
 * Replay a failure with the seed it prints: CAIRN_FAULT_SEED=<n> node out/test/run.js interop
 * More kills per test: CAIRN_FAULT_ITERATIONS=<n> (default 8).
 */

const ITERATIONS = Number(process.env.CAIRN_FAULT_ITERATIONS ?? 8);


function shuffle<T>(rng: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** Kill fractions spread over the whole run: one random point in each of n equal slices, in random order. */
function killFractions(rng: () => number, n: number): number[] {
  return shuffle(rng, Array.from({ length: n }, (_, i) => (i + rng()) / n));
}

// ---------------------------------------------------------------------------------------
// Data

const POOL_BYTES = 8 << 20;

/** Deterministic pseudo-random bytes; files are slices of it behind a unique header. */
function makePool(rng: () => number): Buffer {
  const words = new Uint32Array(POOL_BYTES / 4);
  for (let i = 0; i < words.length; i++) words[i] = (rng() * 2 ** 32) >>> 0;
  return Buffer.from(words.buffer);
}

function contentFor(rng: () => number, pool: Buffer, label: string, size: number): Buffer {
  const header = Buffer.from(`${label}\n`);
  if (size <= header.length) return header.subarray(0, size);
  const body = size - header.length;
  const off = intIn(rng, 0, pool.length - body);
  return Buffer.concat([header, pool.subarray(off, off + body)]);
}

interface Dataset {
  /** Relative path (posix, inside data/) → size. */
  sizes: Map<string, number>;
  big: string[];
}

/**
 * ~400 files in nested folders: an empty file, many small ones, some medium, and a few of
 * several MiB so that a kill can land in the middle of copying one.
 */
function writeDataset(root: string, rng: () => number, pool: Buffer, count = intIn(rng, 320, 420), bigCount = 4): Dataset {
  const dirs = ['', 'a', 'a/deep', 'b', 'b/c/d', 'images', 'labels'];
  const sizes = new Map<string, number>();
  const big: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = dirs[intIn(rng, 0, dirs.length - 1)];
    const rel = `${dir ? dir + '/' : ''}f${i}.bin`;
    let size: number;
    if (i === 0) size = 0;
    else if (i <= bigCount) {
      size = intIn(rng, 2 << 20, 5 << 20);
      big.push(rel);
    } else if (rng() < 0.1) size = intIn(rng, 16 << 10, 256 << 10);
    else size = intIn(rng, 1, 16 << 10);
    sizes.set(rel, size);
    const abs = path.join(root, 'data', ...rel.split('/'));
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, contentFor(rng, pool, `file ${rel}`, size));
  }
  return { sizes, big };
}

function makeRepo(rng: () => number, pool: Buffer, count?: number, bigCount?: number): { repo: string; data: Dataset } {
  const repo = tempGitRepo();
  cairnOk(repo, 'init');
  git(repo, 'commit', '-q', '-m', 'init');
  return { repo, data: writeDataset(repo, rng, pool, count, bigCount) };
}

// ---------------------------------------------------------------------------------------
// Processes

interface Run {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  ms: number;
  stderr: string;
}

/** Run the CLI; with `killAfterMs`, SIGKILL it then (unless it has already exited). Resolves once reaped. */
function runCli(cwd: string, args: string[], killAfterMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    // 'exit' comes after the child is reaped: its pid is dead from here on (no zombie).
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ pid: child.pid!, code, signal, killed: signal === 'SIGKILL', ms, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------
// Checks

const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]+\.\d+\.tmp$/;

/** Every file under `dir`, relative posix paths. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) visit(dir, '');
  return out;
}

const tempFilesIn = (dir: string) => listFiles(dir).filter((rel) => TEMP_NAME.test(path.posix.basename(rel)));

function cacheDir(repo: string): string {
  return path.join(repo, '.dvc', 'cache');
}

function objectCount(repo: string): number {
  return listFiles(path.join(cacheDir(repo), 'files', 'md5')).length;
}

function stagingLeftovers(repo: string): number {
  return listFiles(path.join(cacheDir(repo), '.cairn-staging')).length;
}

function assertCacheIntact(repo: string, context: string): void {
  assert.deepEqual(corruptCacheObjects(cacheDir(repo)), [], `${context}: corrupt cache objects`);
}

function assertStatusClean(repo: string, context: string): void {
  const out = cairnOk(repo, 'status', '--json');
  assert.deepEqual(JSON.parse(out), {}, `${context}: status is not clean:\n${out}`);
}

function dirHashOf(dvcFile: string): string | undefined {
  return /md5: ([0-9a-f]{32}\.dir)/.exec(fs.readFileSync(dvcFile, 'utf8'))?.[1];
}

/** A `.dvc` file that exists must name a `.dir` object that is in the cache with every file it lists. */
function assertDvcFileBacked(repo: string, context: string): void {
  const dvcFile = path.join(repo, 'data.dvc');
  if (!fs.existsSync(dvcFile)) return;
  const dirMd5 = dirHashOf(dvcFile);
  assert.ok(dirMd5, `${context}: data.dvc exists but names no .dir hash:\n${fs.readFileSync(dvcFile, 'utf8')}`);
  const objects = path.join(cacheDir(repo), 'files', 'md5');
  const manifestPath = path.join(objects, dirMd5.slice(0, 2), dirMd5.slice(2));
  assert.ok(fs.existsSync(manifestPath), `${context}: data.dvc written before its .dir object ${dirMd5}`);
  const entries = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { md5: string; relpath: string }[];
  const missing = entries.filter((e) => !fs.existsSync(path.join(objects, e.md5.slice(0, 2), e.md5.slice(2))));
  assert.deepEqual(missing.map((e) => e.relpath), [], `${context}: data.dvc written before these objects were cached`);
}

function log(msg: string): void {
  process.stdout.write(`      ${msg}\n`);
}

// ---------------------------------------------------------------------------------------

describe('fault injection (SIGKILL at random points)', function () {
  this.timeout(120_000);

  before(() => {
    log(`seed ${SEED} (replay: CAIRN_FAULT_SEED=${SEED}), ${ITERATIONS} kills per test`);
  });

  it('a killed `cairn add` leaves only complete objects and an untouched workspace; a rerun finishes the job', async () => {
    const rng = streamFor('add');
    const pool = makePool(rng);
    const { repo, data } = makeRepo(rng, pool);
    const dataDir = path.join(repo, 'data');
    const original = treeHashes(dataDir);
    const totalBytes = [...data.sizes.values()].reduce((a, b) => a + b, 0);

    const reset = () => {
      for (const p of ['.dvc/cache', '.dvc/tmp', 'data.dvc', '.gitignore']) fs.rmSync(path.join(repo, p), { recursive: true, force: true });
    };

    // Full, unkilled runs: how long one takes (the faster of two: the first is cold), and what it should end with.
    const full = await runCli(repo, ['add', 'data']);
    assert.equal(full.code, 0, full.stderr);
    const expectedDir = dirHashOf(path.join(repo, 'data.dvc'));
    const expectedObjects = objectCount(repo);
    assertCacheIntact(repo, 'full run');
    reset();
    const again = await runCli(repo, ['add', 'data']);
    assert.equal(again.code, 0, again.stderr);
    reset();
    const fullMs = Math.min(full.ms, again.ms);
    log(`${data.sizes.size} files, ${(totalBytes / 2 ** 20).toFixed(1)} MiB; a full add takes ${full.ms.toFixed(0)}/${again.ms.toFixed(0)} ms`);

    const fractions = killFractions(rng, ITERATIONS);
    for (let i = 0; i < ITERATIONS; i++) {
      const delay = Math.round(fractions[i] * fullMs);
      const ctx = `add kill #${i + 1} at ${delay} ms (seed ${SEED})`;
      const run = await runCli(repo, ['add', 'data'], delay);
      if (!run.killed) assert.equal(run.code, 0, `${ctx}: exited ${run.code} before the kill:\n${run.stderr}`);
      log(
        `kill #${i + 1} at ${delay} ms: ${run.killed ? 'killed' : 'had finished'}; ` +
          `${objectCount(repo)}/${expectedObjects} objects, ${stagingLeftovers(repo)} staging leftovers, data.dvc ${fs.existsSync(path.join(repo, 'data.dvc')) ? 'written' : 'absent'}`,
      );

      assertCacheIntact(repo, ctx);
      assert.deepEqual(tempFilesIn(dataDir), [], `${ctx}: temp files left in the workspace`);
      assert.deepEqual(treeHashes(dataDir), original, `${ctx}: workspace files changed`);
      assertDvcFileBacked(repo, ctx);

      // The stale lock of the killed process must not stop the rerun.
      cairnOk(repo, 'add', 'data');
      assert.equal(dirHashOf(path.join(repo, 'data.dvc')), expectedDir, `${ctx}: rerun recorded another hash`);
      assert.equal(objectCount(repo), expectedObjects, `${ctx}: rerun left a different set of objects`);
      assertCacheIntact(repo, `${ctx}, after rerun`);
      assert.deepEqual(treeHashes(dataDir), original, `${ctx}: rerun changed workspace files`);
      assertStatusClean(repo, `${ctx}, after rerun`);
      reset();
    }
  });

  it('a killed `cairn checkout --force` leaves every file old or fully restored; a rerun restores everything', async () => {
    const rng = streamFor('checkout');
    const pool = makePool(rng);
    const { repo, data } = makeRepo(rng, pool);
    const dataDir = path.join(repo, 'data');
    const original = treeHashes(dataDir);
    cairnOk(repo, 'add', 'data');
    assertStatusClean(repo, 'after add');
    const objectsBefore = objectCount(repo);
    const all = [...data.sizes.keys()];

    /**
     * Delete half the files (the big ones always), rewrite a tenth, add a few untracked files:
     * most of checkout's time goes to writing files back, where a kill is most interesting.
     */
    let round = 0;
    const damage = () => {
      round++;
      const deleted = new Set<string>(data.big);
      const modified = new Map<string, string>();
      const extra = new Map<string, string>();
      for (const rel of shuffle(rng, all.filter((r) => !data.big.includes(r)))) {
        const abs = path.join(dataDir, ...rel.split('/'));
        const roll = rng();
        if (roll < 0.5) {
          fs.rmSync(abs);
          deleted.add(rel);
        } else if (roll < 0.6) {
          const content = contentFor(rng, pool, `modified ${rel} round ${round}`, Math.max(1, data.sizes.get(rel)! + intIn(rng, -100, 100)));
          fs.writeFileSync(abs, content);
          modified.set(rel, md5(content));
        }
      }
      for (const rel of data.big) fs.rmSync(path.join(dataDir, ...rel.split('/')));
      for (let k = 0; k < 3; k++) {
        const rel = `new/untracked-${round}-${k}.txt`;
        const content = contentFor(rng, pool, `untracked ${rel}`, intIn(rng, 1, 64 << 10));
        fs.mkdirSync(path.join(dataDir, 'new'), { recursive: true });
        fs.writeFileSync(path.join(dataDir, ...rel.split('/')), content);
        extra.set(rel, md5(content));
      }
      return { deleted, modified, extra };
    };

    // Full, unkilled runs for timing (the faster of two).
    const timings: number[] = [];
    for (let k = 0; k < 2; k++) {
      damage();
      const full = await runCli(repo, ['checkout', '--force']);
      assert.equal(full.code, 0, full.stderr);
      assert.deepEqual(treeHashes(dataDir), original, 'full checkout did not restore the data');
      timings.push(full.ms);
    }
    const fullMs = Math.min(...timings);
    log(`${all.length} files; a full checkout --force takes ${timings.map((t) => t.toFixed(0)).join('/')} ms`);

    const fractions = killFractions(rng, ITERATIONS);
    for (let i = 0; i < ITERATIONS; i++) {
      const { deleted, modified, extra } = damage();
      const delay = Math.round(fractions[i] * fullMs);
      const ctx = `checkout kill #${i + 1} at ${delay} ms (seed ${SEED})`;
      const run = await runCli(repo, ['checkout', '--force'], delay);
      if (!run.killed) assert.equal(run.code, 0, `${ctx}: exited ${run.code} before the kill:\n${run.stderr}`);

      assertCacheIntact(repo, ctx);
      assert.equal(objectCount(repo), objectsBefore, `${ctx}: checkout changed the cache`);
      const now = new Map(listFiles(dataDir).map((rel) => [rel, rel]));
      const temps: string[] = [];
      const bad: string[] = [];
      let restored = 0;
      for (const rel of now.keys()) {
        if (TEMP_NAME.test(path.posix.basename(rel)) && !original[rel]) {
          // Checkout makes each file in .dvc/tmp/cairn/staging and renames it into place,
          // so a kill must leave no temp file among the user's data.
          temps.push(rel);
          continue;
        }
        const have = md5(fs.readFileSync(path.join(dataDir, ...rel.split('/'))));
        const allowed = new Set<string>();
        if (original[rel]) allowed.add(original[rel]);
        if (modified.has(rel)) allowed.add(modified.get(rel)!);
        if (extra.has(rel)) allowed.add(extra.get(rel)!);
        if (allowed.size === 0) bad.push(`${rel}: unexpected file`);
        else if (!allowed.has(have)) bad.push(`${rel}: neither old nor restored content (md5 ${have})`);
        else if ((deleted.has(rel) || modified.has(rel)) && have === original[rel]) restored++;
      }
      for (const rel of Object.keys(original)) {
        if (!now.has(rel) && !deleted.has(rel)) bad.push(`${rel}: was present, now missing`);
      }
      assert.deepEqual(temps, [], `${ctx}: temp files left among the user's data`);
      log(
        `kill #${i + 1} at ${delay} ms: ${run.killed ? 'killed' : 'had finished'}; ` +
          `${restored}/${deleted.size + modified.size} files restored, ${temps.length} temp files left in data/`,
      );
      assert.deepEqual(bad, [], `${ctx}: workspace holds partial or wrong files`);

      cairnOk(repo, 'checkout', '--force');
      assert.deepEqual(treeHashes(dataDir), original, `${ctx}: rerun did not restore the data exactly`);
      assert.deepEqual(tempFilesIn(dataDir), [], `${ctx}: temp files survive the rerun`);
      assertCacheIntact(repo, `${ctx}, after rerun`);
      assertStatusClean(repo, `${ctx}, after rerun`);
    }
  });
});

describe('repository lock', function () {
  this.timeout(60_000);

  it('a second writer fails fast naming the pid of the running one', async () => {
    const rng = streamFor('lock');
    const { repo } = makeRepo(rng, makePool(rng));
    fs.writeFileSync(path.join(repo, 'other.txt'), 'another output\n');
    const lockFile = path.join(repo, '.dvc', 'tmp', 'cairn', 'lock');

    const child = spawn(process.execPath, [CLI, 'add', 'data'], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
    let firstErr = '';
    child.stderr.on('data', (d) => (firstErr += d));
    const firstExit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let exited = false;
    void firstExit.then(() => (exited = true));
    try {
      // Wait until the first add holds the lock, then freeze it there (SIGSTOP): it stays
      // alive and mid-run for as long as the second writer waits, however fast this machine is.
      const deadline = Date.now() + 10_000;
      for (;;) {
        let owner: { pid?: number } | undefined;
        try {
          owner = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
        } catch {
          owner = undefined;
        }
        if (owner?.pid === child.pid) break;
        assert.ok(!exited, `the first add exited before it was seen holding the lock:\n${firstErr}`);
        assert.ok(Date.now() < deadline, 'the first add never took the lock');
        await new Promise((r) => setTimeout(r, 5));
      }
      process.kill(child.pid!, 'SIGSTOP');

      const started = Date.now();
      const second = cairn(repo, 'add', 'other.txt');
      const waited = Date.now() - started;
      assert.notEqual(second.status, 0, `the second add succeeded while the first held the lock:\n${second.stdout}`);
      assert.match(second.stderr + second.stdout, new RegExp(`locked by pid ${child.pid}\\b`));
      assert.ok(waited < 8000, `the second add took ${waited} ms to give up`);
      assert.ok(!fs.existsSync(path.join(repo, 'other.txt.dvc')), 'the refused add wrote other.txt.dvc');
      log(`second writer gave up after ${waited} ms: ${(second.stderr + second.stdout).trim()}`);

      process.kill(child.pid!, 'SIGCONT');
      assert.equal(await firstExit, 0, `the first add failed after being resumed:\n${firstErr}`);
      assert.ok(!fs.existsSync(lockFile), 'the lock file outlived the command that held it');
      cairnOk(repo, 'add', 'other.txt');
      assertStatusClean(repo, 'after both adds');
      assertCacheIntact(repo, 'after both adds');
    } finally {
      if (!exited) {
        try {
          process.kill(child.pid!, 'SIGCONT');
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const repo = tempGitRepo();
    cairnOk(repo, 'init');
    fs.writeFileSync(path.join(repo, 'model.bin'), 'weights\n');
    const lockFile = path.join(repo, '.dvc', 'tmp', 'cairn', 'lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });

    // A pid that really existed and is now dead (reaped).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    assert.ok(deadPid > 0 && !pidAlive(deadPid), `pid ${deadPid} should be dead`);
    fs.writeFileSync(lockFile, JSON.stringify({ pid: deadPid, host: os.hostname(), since: new Date().toISOString() }));

    cairnOk(repo, 'add', 'model.bin'); // a live owner would make it fail with LOCKED after 3 s
    assert.ok(!fs.existsSync(lockFile), 'the taken-over lock was not released');
    assertStatusClean(repo, 'after taking over a stale lock');

    // A lock file left empty (killed between creating and writing it) is taken over once it is old.
    fs.writeFileSync(path.join(repo, 'model.bin'), 'weights v2\n');
    fs.writeFileSync(lockFile, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile, old, old);
    cairnOk(repo, 'add', 'model.bin');
    assert.ok(!fs.existsSync(lockFile), 'the taken-over empty lock was not released');
    assertStatusClean(repo, 'after taking over an empty lock');
  });
});
