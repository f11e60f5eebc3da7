import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { DVC_VERSION, ensureDvc, ensureDvcS3 } from '../test/support/peers';
import { createBucket, S3Server, startMinio } from '../test/support/minio';
import { DelayingProxy, delayingProxy } from '../test/support/delayingProxy';
import { pipelineBenchOptions, pipelinesCase } from './pipelines';
import { environmentCase } from './environment';
import { expRunCase } from './experiments';
import { expShowBenchOptions, expShowCase } from './expShow';
import { expQueueBenchOptions, expQueueCase } from './expQueue';

/**
 * `npm run bench`: Cairn against the real dvc (and against md5sum, the physical limit) in
 * one run, on generated data in a temp dir. Each tool works in its own fresh git repo on
 * an identical copy of the data, run as a CLI (spawned, timed with process.hrtime).
 *
 * Knobs (env), defaults in brackets:
 *   BENCH_SMALL_FILES [20000], BENCH_SMALL_DIRS [100]  the many-small-files tree
 *   BENCH_BIG_MB [1024], BENCH_RSS_MB [2048]           the big-file and peak-RSS files
 *   BENCH_STATUS_RUNS [5]                              timed status runs per tool (median)
 *   BENCH_ADD_ROUNDS [2], BENCH_BIG_ROUNDS [3]         timed add rounds (best reported)
 *   BENCH_REMOTE_ROUNDS [2]                            timed push/pull rounds per tool (best reported)
 *   BENCH_MINIO_DIR [/dev/shm if any, else temp dir]   where MinIO keeps its data in the s3 case
 *   BENCH_CASES [small,big,rss,remote,s3,s3-link,pipelines,environment,exp-run,exp-show,exp-queue]  which cases to run (remote: push/pull
 *                                                      to a local folder; s3: to MinIO, built once;
 *                                                      s3-link: small files to MinIO through a
 *                                                      slow link's round trip; pipelines: status,
 *                                                      dag, repro --dry, lint on generated
 *                                                      pipelines, bench/pipelines.ts; environment:
 *                                                      an experiment's environment capture against
 *                                                      pip freeze, bench/environment.ts; exp-run:
 *                                                      exp run's overhead, bench/experiments.ts;
 *                                                      exp-show: exp show --json -A, bench/expShow.ts;
 *                                                      exp-queue: queued experiments run by
 *                                                      `queue start -j N`, bench/expQueue.ts)
 *   BENCH_EXP_FILES [2000], BENCH_EXP_ROUNDS [5]       the exp-run case's tracked files and rounds
 *   BENCH_LINK_FILES [2000], BENCH_LINK_MS [20]        the s3-link case's files and round trip
 *   BENCH_PIPELINE_SIZES [1000,2000,5000,10000]       the pipelines case: stages per generated pipeline
 *   BENCH_PIPELINE_SHAPES [chain,fan,mixed]            its shapes (bench/pipelineShapes.ts)
 *   BENCH_PIPELINE_DVC_MAX [1000]                      dvc runs only up to this many stages
 *   BENCH_PIPELINE_DVC_TIMEOUT [300]                   s before a dvc run there is stopped
 *   BENCH_EXP_BASELINES [20], BENCH_EXP_PER_BASELINE [15]  the exp-show case's commits and experiments on each
 *   BENCH_EXP_RUNS [7]                                 its timed runs per tool (median)
 *   BENCH_QUEUE_RUNS [8], BENCH_QUEUE_JOBS [2]         the exp-queue case's queued experiments and workers
 *   BENCH_QUEUE_STAGE_S [2]                            the seconds its stage sleeps
 *   BENCH_QUIET_WAIT [60]                              s to wait before a case for idle CPUs
 *   BENCH_DVC                                          a dvc executable (else the pinned peer)
 *   BENCH_KEEP=1                                       keep the temp dir
 *   BENCH_RESULTS [bench/RESULTS.md]                   markdown output; '' to skip
 * Quick trial: BENCH_SMALL_FILES=2000 BENCH_BIG_MB=64 BENCH_RSS_MB=128 npm run bench
 * Remotes only, quick: BENCH_CASES=remote,s3 BENCH_SMALL_FILES=2000 BENCH_BIG_MB=64 BENCH_QUIET_WAIT=5 npm run bench
 * Pipelines only: BENCH_CASES=pipelines BENCH_RESULTS=/tmp/pipelines.md npm run bench
 * exp show only: BENCH_CASES=exp-show BENCH_RESULTS=/tmp/exp-show.md node out/bench/run.js
 * Queue only, quick: BENCH_CASES=exp-queue BENCH_QUEUE_RUNS=4 BENCH_QUEUE_STAGE_S=0.5 BENCH_QUIET_WAIT=5 BENCH_RESULTS=/tmp/q.md node out/bench/run.js
 */

const env = process.env;
const num = (name: string, def: number): number => {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${v}'`);
  return n;
};
const SMALL_FILES = Math.round(num('BENCH_SMALL_FILES', 20_000));
const SMALL_DIRS = Math.round(num('BENCH_SMALL_DIRS', 100));
const BIG_MB = Math.round(num('BENCH_BIG_MB', 1024));
const RSS_MB = Math.round(num('BENCH_RSS_MB', 2048));
const STATUS_RUNS = Math.round(num('BENCH_STATUS_RUNS', 5));
const EXP_FILES = Math.round(num('BENCH_EXP_FILES', 2000));
const EXP_ROUNDS = Math.round(num('BENCH_EXP_ROUNDS', 5));
const CASES = new Set((env.BENCH_CASES ?? 'small,big,rss,remote,s3,s3-link,pipelines,environment,exp-run,exp-show,exp-queue').split(',').map((s) => s.trim()).filter(Boolean));
const KEEP = env.BENCH_KEEP === '1';
/** Seconds to wait, before each case, for other processes to leave the CPUs alone. */
const QUIET_WAIT = num('BENCH_QUIET_WAIT', 60);
/** Rounds of each timed `add` (fresh repos each time); the best is reported. */
const ADD_ROUNDS = Math.round(num('BENCH_ADD_ROUNDS', 2));
/** Rounds of the big-file add and md5sum (cheap next to dvc's small-file add, and noisier). */
const BIG_ROUNDS = Math.round(num('BENCH_BIG_ROUNDS', 3));
/**
 * MinIO's data folder for the s3 case: memory (/dev/shm) where there is one, so the bench
 * weighs the clients rather than this machine's disk under the server (BENCH_MINIO_DIR to choose).
 */
const MINIO_DATA_ROOT = env.BENCH_MINIO_DIR ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : undefined);
/** The s3-link case: this many small files, every answer held this long (no netem on this kernel: a proxy does it). */
const LINK_FILES = Math.round(num('BENCH_LINK_FILES', 2000));
const LINK_MS = num('BENCH_LINK_MS', 20);
/** Timed push/pull rounds per tool and case (best reported). */
const REMOTE_ROUNDS = Math.round(num('BENCH_REMOTE_ROUNDS', 2));

const projectRoot = path.resolve(__dirname, '..', '..');
const cairnCli = path.join(projectRoot, 'dist', 'cli.js');
const resultsFile = env.BENCH_RESULTS === undefined ? path.join(projectRoot, 'bench', 'RESULTS.md') : env.BENCH_RESULTS;

// ---------------------------------------------------------------------------------------
// Running tools

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

interface Tool {
  name: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), seconds });
    });
  });
}

/** Run and fail loudly on a non-zero exit. */
async function must(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`\`${[cmd, ...args].join(' ')}\` in ${opts.cwd} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  }
  return r;
}

function tool(t: Tool, args: string[], cwd: string): Promise<RunResult> {
  return must(t.cmd, [...t.args, ...args], { cwd, env: t.env });
}

/** Peak RSS (MB) and wall time of a tool run, by `/usr/bin/time -v` or, without it, by polling VmHWM. */
async function peakRss(t: Tool, args: string[], cwd: string): Promise<{ mb: number; seconds: number; how: string }> {
  const timeBin = '/usr/bin/time';
  if (fs.existsSync(timeBin)) {
    const r = await must(timeBin, ['-v', t.cmd, ...t.args, ...args], { cwd, env: t.env });
    const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(r.stderr);
    if (!m) throw new Error(`no peak RSS in /usr/bin/time output:\n${r.stderr}`);
    return { mb: Number(m[1]) / 1024, seconds: r.seconds, how: '/usr/bin/time -v' };
  }
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(t.cmd, [...t.args, ...args], { cwd, env: t.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let hwmKb = 0;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s*(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch {
        // exited between polls
      }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) reject(new Error(`${t.name} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ mb: hwmKb / 1024, seconds: Number(process.hrtime.bigint() - started) / 1e9, how: 'VmHWM polled every 20 ms' });
    });
  });
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
/** Flush dirty pages so one tool's timing does not pay for writeback of the previous step. */
const syncDisks = () => spawnSync('sync');

/**
 * Before a timed run on a big file: write dirty pages out, empty the page cache where allowed
 * (root on Linux), then read `warm` back in. On this VM a GiB copy takes 0.3 s or 2.6 s depending
 * on how much free memory the guest has; this gives every run the same start: inputs in memory,
 * free memory for the outputs. Returns whether the cache could be emptied (for the notes).
 */
function settleMemory(warm: string[]): boolean {
  syncDisks();
  let dropped = false;
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    dropped = true;
  } catch {
    // not root, or not Linux: only the sync
  }
  const buffer = Buffer.allocUnsafe(8 << 20);
  const readAll = (p: string) => {
    if (!fs.existsSync(p)) return;
    if (fs.statSync(p).isDirectory()) return fs.readdirSync(p).forEach((e) => readAll(path.join(p, e)));
    const fd = fs.openSync(p, 'r');
    try {
      while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  };
  warm.forEach(readAll);
  return dropped;
}

function cpuTimes(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0); // idle + iowait
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
  return { busy: total - idle, total };
}

/** Fraction of all CPUs busy over `ms` (other processes: we are asleep meanwhile). */
async function cpuBusy(ms = 1000): Promise<number> {
  if (!fs.existsSync('/proc/stat')) return 0;
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

const busyBefore: string[] = [];
let busyWarning = false;
/** Wait (up to QUIET_WAIT s) until other processes use < 25% of the CPUs; note what it was. */
async function waitForQuiet(label: string): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT * 1000;
  let busy = await cpuBusy();
  while (busy >= 0.25 && Date.now() < deadline) {
    log(`CPUs ${(busy * 100).toFixed(0)}% busy with other processes; waiting for quiet before '${label}'...`);
    await sleep(4000);
    busy = await cpuBusy();
  }
  if (busy >= 0.25) busyWarning = true;
  busyBefore.push(`${label} ${(busy * 100).toFixed(0)}%`);
}

// ---------------------------------------------------------------------------------------
// Fixtures

async function gitRepo(dir: string, t: Tool): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await must('git', ['init', '-q'], { cwd: dir });
  await must('git', ['config', 'user.email', 'bench@example.com'], { cwd: dir });
  await must('git', ['config', 'user.name', 'bench'], { cwd: dir });
  await must('git', ['config', 'commit.gpgsign', 'false'], { cwd: dir });
  await tool(t, ['init', '-q'], dir);
  await must('git', ['commit', '-q', '-m', 'init'], { cwd: dir });
}

/** `count` files of 1–4 KiB random bytes in `dirs` leaf folders (two levels deep). */
function makeSmallTree(root: string, count: number, dirs: number): number {
  const top = Math.max(1, Math.round(Math.sqrt(dirs)));
  const leaves: string[] = [];
  for (let i = 0; i < dirs; i++) {
    const leaf = path.join(root, `part-${String(i % top).padStart(2, '0')}`, `shard-${String(i).padStart(3, '0')}`);
    fs.mkdirSync(leaf, { recursive: true });
    leaves.push(leaf);
  }
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const size = 1024 + crypto.randomInt(3 * 1024 + 1);
    fs.writeFileSync(path.join(leaves[i % leaves.length], `sample-${String(i).padStart(6, '0')}.bin`), crypto.randomBytes(size));
    bytes += size;
  }
  return bytes;
}

function makeBigFile(file: string, mb: number): void {
  const block = Buffer.allocUnsafe(8 << 20);
  const fd = fs.openSync(file, 'w');
  try {
    let left = mb * 2 ** 20; // not `mb << 20`: that overflows int32 at 2048
    while (left > 0) {
      const n = Math.min(left, block.length);
      crypto.randomFillSync(block, 0, n);
      fs.writeSync(fd, block, 0, n);
      left -= n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The md5 a .dvc file records for its (single) output. */
function dvcFileMd5(file: string): string {
  const m = /md5:\s*([0-9a-f]{32}(?:\.dir)?)/.exec(fs.readFileSync(file, 'utf8'));
  return m ? m[1] : '?';
}

/** Remove a tree, first making DVC's read-only cache files and folders writable. */
function removeTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  spawnSync('chmod', ['-R', 'u+w', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Results

interface Row {
  case: string;
  cairn: string;
  peer: string; // "<value> (<peer name>)"
  ratio: string;
  target: string;
  met: string;
}
const rows: Row[] = [];
const notes: string[] = [];
const s = (x: number) => `${x.toFixed(x < 10 ? 3 : 1)} s`;
const list = (xs: number[]) => xs.map((t) => t.toFixed(3)).join(', ');
const x = (r: number) => `${r.toFixed(r < 10 ? 2 : 1)}×`;

function table(): string {
  const head: Row = { case: 'case', cairn: 'cairn', peer: 'peer', ratio: 'ratio', target: 'target', met: 'met' };
  const all = [head, ...rows];
  const keys = Object.keys(head) as (keyof Row)[];
  const width = keys.map((k) => Math.max(...all.map((r) => [...r[k]].length)));
  const line = (r: Row) => keys.map((k, i) => r[k] + ' '.repeat(width[i] - [...r[k]].length)).join('  ');
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(): string {
  const esc = (v: string) => v.replace(/\|/g, '\\|');
  return [
    '| case | cairn | peer | ratio | target | met |',
    '|---|---:|---:|---:|---|---|',
    ...rows.map((r) => `| ${esc(r.case)} | ${esc(r.cairn)} | ${esc(r.peer)} | ${esc(r.ratio)} | ${esc(r.target)} | ${esc(r.met)} |`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------
// Cases

async function smallFilesCase(work: string, cairn: Tool, dvc: Tool): Promise<void> {
  const src = path.join(work, 'small-src');
  log(`generating ${SMALL_FILES} files of 1–4 KiB in ${SMALL_DIRS} folders...`);
  const bytes = makeSmallTree(src, SMALL_FILES, SMALL_DIRS);
  const generatedAt = Date.now();
  await waitForQuiet('small files');

  // Each round: fresh repos for both tools on identical copies (same bytes, same mtimes, all
  // freshly written so in page cache), and `cp -r` of the same tree, the physical limit of an
  // add that copies every file into a cache. The order alternates between rounds.
  const runs: Record<'dvc' | 'cairn' | 'cp', number[]> = { dvc: [], cairn: [], cp: [] };
  let dvcRepo = '';
  let cairnRepo = '';
  // Nothing is deleted until the bench ends: on ext4 without a journal, creating files within
  // ~30 s of deleting many others is slowed by the kernel's recently_deleted() inode scan.
  for (let round = 0; round < ADD_ROUNDS; round++) {
    dvcRepo = path.join(work, `small-dvc-${round}`);
    cairnRepo = path.join(work, `small-cairn-${round}`);
    await gitRepo(dvcRepo, dvc);
    await gitRepo(cairnRepo, cairn);
    await must('cp', ['-a', src, path.join(dvcRepo, 'data')], { cwd: work });
    await must('cp', ['-a', src, path.join(cairnRepo, 'data')], { cwd: work });
    const steps: Record<'dvc' | 'cairn' | 'cp', () => Promise<RunResult>> = {
      dvc: () => tool(dvc, ['add', 'data'], dvcRepo),
      cairn: () => tool(cairn, ['add', 'data'], cairnRepo),
      cp: () => must('cp', ['-r', src, path.join(work, `small-cp-${round}`)], { cwd: work }),
    };
    const order = (round % 2 === 0 ? ['dvc', 'cairn', 'cp'] : ['cp', 'cairn', 'dvc']) as (keyof typeof steps)[];
    for (const name of order) {
      syncDisks();
      log(`round ${round + 1}/${ADD_ROUNDS}: ${name === 'cp' ? 'cp -r data' : `${name} add data`} (${SMALL_FILES} files)...`);
      runs[name].push((await steps[name]()).seconds);
    }
  }
  const dvcAdd = Math.min(...runs.dvc);
  const cairnAdd = Math.min(...runs.cairn);
  const cpFloor = Math.min(...runs.cp);
  const dvcMd5 = dvcFileMd5(path.join(dvcRepo, 'data.dvc'));
  const cairnMd5 = dvcFileMd5(path.join(cairnRepo, 'data.dvc'));
  const same = dvcMd5 === cairnMd5;
  notes.push(`add of ${SMALL_FILES} files (${(bytes / 2 ** 20).toFixed(1)} MiB): data.dvc md5 ${same ? 'identical' : 'DIFFERS'} (dvc ${dvcMd5}, cairn ${cairnMd5}).`);
  notes.push(
    `add: best of ${ADD_ROUNDS} rounds, each in fresh repos, order alternating. Runs (s): dvc [${list(runs.dvc)}], cairn [${list(runs.cairn)}], cp -r [${list(runs.cp)}].`,
  );
  const addRatio = dvcAdd / cairnAdd;
  rows.push({
    case: `add ${SMALL_FILES} small files (best of ${ADD_ROUNDS})`,
    cairn: s(cairnAdd),
    peer: `${s(dvcAdd)} (dvc)`,
    ratio: `${x(addRatio)} dvc/cairn`,
    target: '≥ 10×',
    met: addRatio >= 10 && same ? 'met' : same ? 'NOT met' : 'NOT met (hash differs)',
  });

  // Cairn's stat index distrusts files modified < 2 s before they were hashed (racy-git);
  // make sure that window is over, then warm both tools up once before measuring.
  const wait = generatedAt + 2500 - Date.now();
  if (wait > 0) await sleep(wait);
  for (const [t, repo] of [[dvc, dvcRepo], [cairn, cairnRepo]] as const) {
    const warm = await tool(t, ['status'], repo);
    if (!/up to date/i.test(warm.stdout)) throw new Error(`${t.name} status after add is not clean:\n${warm.stdout}`);
  }
  const times: Record<string, number[]> = { dvc: [], cairn: [] };
  log(`status x${STATUS_RUNS} each (after one warm-up run each)...`);
  for (let i = 0; i < STATUS_RUNS; i++) {
    for (const [t, repo] of [[dvc, dvcRepo], [cairn, cairnRepo]] as const) {
      const r = await tool(t, ['status'], repo);
      if (!/up to date/i.test(r.stdout)) throw new Error(`${t.name} status is not clean:\n${r.stdout}`);
      times[t.name].push(r.seconds);
    }
  }
  // The physical limit of a status that reads metadata only: readdir + stat of every file,
  // plus starting node.
  const findRuns: number[] = [];
  const nodeRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    findRuns.push((await must('find', ['data', '-type', 'f', '-printf', '%i %s %T@\n'], { cwd: cairnRepo })).seconds);
    nodeRuns.push((await must(process.execPath, ['-e', '0'], { cwd: cairnRepo })).seconds);
  }
  const statFloor = median(findRuns) + median(nodeRuns);
  const dvcStatus = median(times.dvc);
  const cairnStatus = median(times.cairn);
  const statusRatio = dvcStatus / cairnStatus;
  rows.push({
    case: `status, unchanged ${SMALL_FILES} files (median of ${STATUS_RUNS})`,
    cairn: s(cairnStatus),
    peer: `${s(dvcStatus)} (dvc)`,
    ratio: `${x(statusRatio)} dvc/cairn`,
    target: '≥ 20×',
    met: statusRatio >= 20 ? 'met' : 'NOT met',
  });
  rows.push({
    case: `add ${SMALL_FILES} small files vs cp -r (floor, context)`,
    cairn: s(cairnAdd),
    peer: `${s(cpFloor)} (cp -r)`,
    ratio: `${x(cairnAdd / cpFloor)} cairn/cp`,
    target: '—',
    met: '—',
  });
  rows.push({
    case: `status ${SMALL_FILES} files vs stat walk (floor, context)`,
    cairn: s(cairnStatus),
    peer: `${s(statFloor)} (find+node)`,
    ratio: `${x(cairnStatus / statFloor)} cairn/floor`,
    target: '—',
    met: '—',
  });
  notes.push(
    `status: each tool ran once as a warm-up (not counted), at least 2.5 s after the data was written, because Cairn's stat index ` +
      `distrusts files modified < 2 s before they were hashed (racy-git rule); then ${STATUS_RUNS} alternating runs each. ` +
      `Runs (s): dvc [${list(times.dvc)}], cairn [${list(times.cairn)}].`,
  );
  notes.push(
    `floors: add floor = \`cp -r\` of the same tree (best ${s(cpFloor)}); status floor = \`find data -type f -printf '%i %s %T@'\` ` +
      `(readdir + stat of every file, median ${s(median(findRuns))}) + \`node -e 0\` (median ${s(median(nodeRuns))}). ` +
      `dvc/floor, the highest dvc/cairn ratio reachable on this machine: add ${x(dvcAdd / cpFloor)}, status ${x(dvcStatus / statFloor)}.`,
  );
}

async function bigFileCase(work: string, cairn: Tool, dvc: Tool): Promise<void> {
  const master = path.join(work, 'big.bin');
  log(`generating a ${BIG_MB} MiB file...`);
  makeBigFile(master, BIG_MB);
  syncDisks();
  await waitForQuiet('big file');

  // Cairn: best of BIG_ROUNDS, each a fresh repo with a fresh copy, against md5sum of that same
  // copy with the page cache warm (one untimed md5sum first, then the timed one).
  const runs: Record<'cairn' | 'md5sum' | 'cp', number[]> = { cairn: [], md5sum: [], cp: [] };
  let expected = '';
  let cairnMd5 = '';
  for (let round = 0; round < BIG_ROUNDS; round++) {
    const repo = path.join(work, `big-cairn-${round}`);
    await gitRepo(repo, cairn);
    const file = path.join(repo, 'big.bin');
    await must('cp', ['-a', master, file], { cwd: work });
    syncDisks();
    expected = (await must('md5sum', [file], { cwd: work })).stdout.split(/\s+/)[0];
    log(`round ${round + 1}/${BIG_ROUNDS}: md5sum, cp and cairn add big.bin (${BIG_MB} MiB)...`);
    runs.md5sum.push((await must('md5sum', [file], { cwd: work })).seconds);
    // What writing the cache copy costs by itself: `cp` of the same file to a new file. On a VM
    // that cost depends on whether the page cache lands in memory the guest has touched before,
    // so cp and cairn take turns going first.
    const steps = [
      async () => runs.cp.push((await must('cp', [file, path.join(work, `big-cp-${round}`)], { cwd: work })).seconds),
      async () => runs.cairn.push((await tool(cairn, ['add', 'big.bin'], repo)).seconds),
    ];
    for (const step of round % 2 === 0 ? steps : steps.reverse()) {
      syncDisks();
      await step();
    }
    cairnMd5 = dvcFileMd5(path.join(repo, 'big.bin.dvc'));
    removeTree(repo);
    removeTree(path.join(work, `big-cp-${round}`));
  }
  // dvc once, for context.
  const dvcRepo = path.join(work, 'big-dvc');
  await gitRepo(dvcRepo, dvc);
  fs.renameSync(master, path.join(dvcRepo, 'big.bin'));
  await must('md5sum', [path.join(dvcRepo, 'big.bin')], { cwd: work });
  syncDisks();
  log(`dvc add big.bin (${BIG_MB} MiB)...`);
  const dvcAdd = (await tool(dvc, ['add', 'big.bin'], dvcRepo)).seconds;
  const dvcMd5 = dvcFileMd5(path.join(dvcRepo, 'big.bin.dvc'));
  removeTree(dvcRepo);

  const cairnAdd = Math.min(...runs.cairn);
  const md5sum = Math.min(...runs.md5sum);
  const cpBig = Math.min(...runs.cp);
  const ok = cairnMd5 === expected && dvcMd5 === expected;
  notes.push(
    `add of a ${BIG_MB} MiB file: md5 ${ok ? 'matches md5sum for both tools' : `MISMATCH (md5sum ${expected}, cairn ${cairnMd5}, dvc ${dvcMd5})`}; ` +
      `both tools hash the file and copy it into the cache (cache.type reflink,copy → copy on this file system); md5sum only reads. ` +
      `Best of ${BIG_ROUNDS}, page cache warm. Runs (s): cairn [${list(runs.cairn)}], md5sum [${list(runs.md5sum)}], cp [${list(runs.cp)}], dvc [${dvcAdd.toFixed(3)}].`,
  );
  notes.push(
    `floors for an add that copies: hashing and copying one after the other costs md5sum + cp = ${s(md5sum + cpBig)} ` +
      `(${x((md5sum + cpBig) / md5sum)} md5sum); overlapped on two cores, max(md5sum, cp) = ${s(Math.max(md5sum, cpBig))} ` +
      `(${x(Math.max(md5sum, cpBig) / md5sum)} md5sum). On this VM the copy's cost depends on the guest's memory state ` +
      `(writing into never-touched page cache costs several times more), so compare the cp runs above.`,
  );
  const ratio = cairnAdd / md5sum;
  rows.push({
    case: `add ${BIG_MB} MiB file vs md5sum (warm, best of ${BIG_ROUNDS})`,
    cairn: s(cairnAdd),
    peer: `${s(md5sum)} (md5sum)`,
    ratio: `${x(ratio)} cairn/md5sum`,
    target: '≤ 1.2×',
    met: ratio <= 1.2 && ok ? 'met' : ok ? 'NOT met' : 'NOT met (hash differs)',
  });
  rows.push({
    case: `add ${BIG_MB} MiB file vs md5sum + cp (floor, context)`,
    cairn: s(cairnAdd),
    peer: `${s(md5sum + cpBig)} (md5sum+cp)`,
    ratio: `${x(cairnAdd / (md5sum + cpBig))} cairn/floor`,
    target: '—',
    met: '—',
  });
  rows.push({
    case: `add ${BIG_MB} MiB file vs dvc (context)`,
    cairn: s(cairnAdd),
    peer: `${s(dvcAdd)} (dvc)`,
    ratio: `${x(dvcAdd / cairnAdd)} dvc/cairn`,
    target: '—',
    met: '—',
  });
}

async function rssCase(work: string, cairn: Tool, dvc: Tool): Promise<void> {
  const dvcRepo = path.join(work, 'rss-dvc');
  const cairnRepo = path.join(work, 'rss-cairn');
  await gitRepo(dvcRepo, dvc);
  await gitRepo(cairnRepo, cairn);
  const file = path.join(cairnRepo, 'huge.bin');
  log(`generating a ${RSS_MB} MiB file...`);
  makeBigFile(file, RSS_MB);
  if (fs.statSync(file).size !== RSS_MB * 2 ** 20) throw new Error(`${file} has the wrong size`);
  await must('cp', ['-a', file, path.join(dvcRepo, 'huge.bin')], { cwd: work });
  syncDisks();
  await waitForQuiet('peak RSS');
  log(`cairn add huge.bin (${RSS_MB} MiB) under peak-RSS measurement...`);
  const c = await peakRss(cairn, ['add', 'huge.bin'], cairnRepo);
  syncDisks();
  log(`dvc add huge.bin (${RSS_MB} MiB) under peak-RSS measurement...`);
  const d = await peakRss(dvc, ['add', 'huge.bin'], dvcRepo);
  rows.push({
    case: `peak RSS, add ${RSS_MB} MiB file`,
    cairn: `${c.mb.toFixed(0)} MB`,
    peer: `${d.mb.toFixed(0)} MB (dvc)`,
    ratio: `${x(d.mb / c.mb)} dvc/cairn`,
    target: '< 150 MB',
    met: c.mb < 150 ? 'met' : 'NOT met',
  });
  notes.push(`peak RSS by ${c.how} (MB = 2^20 bytes); the same runs took cairn ${s(c.seconds)}, dvc ${s(d.seconds)}.`);
  removeTree(dvcRepo);
  removeTree(cairnRepo);
}

/**
 * push and pull, cairn against dvc on the same objects: SMALL_FILES small files, then one BIG_MB
 * file, to a local folder (with `cp` of the same bytes as the floor) or to MinIO. Each round
 * gives each tool a copy of one repo made by cairn add (identical .dvc files and cache) and its
 * own empty remote; pull starts in a fresh clone (empty cache, no workspace data). Nothing is
 * deleted before a timed run (see the ext4 note); the best of REMOTE_ROUNDS is reported.
 */
/** User + system CPU seconds a process has used so far (Linux /proc). */
function processCpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * CPU seconds (user + system) of the child processes this one has waited for, their own children
 * included (Linux /proc: cutime, cstime): read before and after a run, the run's client CPU.
 */
function childrenCpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function remoteCase(work: string, cairn: Tool, dvc: Tool, kind: 'local' | 's3' | 's3-link'): Promise<void> {
  let server: S3Server | undefined;
  let proxy: DelayingProxy | undefined;
  const where = kind === 'local' ? 'local folder' : kind === 's3' ? 'S3 (MinIO)' : `S3 (MinIO) through a ${LINK_MS} ms round trip`;
  const smallFiles = kind === 's3-link' ? LINK_FILES : SMALL_FILES;
  try {
    if (kind !== 'local') {
      server = await startMinio({ dataRoot: MINIO_DATA_ROOT });
      for (const b of ['bench-cairn', 'bench-dvc']) await createBucket(server, b);
    }
    if (kind === 's3-link') {
      proxy = await delayingProxy(server!.endpoint, LINK_MS);
      notes.push(
        `${where}: a proxy in the bench's own process holds every answer of MinIO ${LINK_MS} ms, as a link to a remote store would ` +
          "(this kernel has no netem); its CPU counts in neither client's figures but shares the cores.",
      );
    }
    /** The folder remote of the repo at `dir`. */
    const folderStore = (dir: string, t: Tool) => path.join(work, `${kind}-store-${t.name}-${path.basename(dir)}`);
    const configure = async (dir: string, t: Tool) => {
      if (kind === 'local') {
        await tool(cairn, ['remote', 'add', '-d', '-f', 'r', folderStore(dir, t)], dir);
        return;
      }
      await tool(cairn, ['remote', 'add', '-d', '-f', 'r', `s3://bench-${t.name}/${path.basename(dir)}`], dir);
      await tool(cairn, ['remote', 'modify', 'r', 'endpointurl', proxy?.endpoint ?? server!.endpoint], dir);
      await tool(cairn, ['remote', 'modify', '--local', 'r', 'access_key_id', server!.accessKey], dir);
      await tool(cairn, ['remote', 'modify', '--local', 'r', 'secret_access_key', server!.secretKey], dir);
    };
    for (const which of kind === 's3-link' ? (['small'] as const) : (['small', 'big'] as const)) {
      const base = path.join(work, `${kind}-${which}-base`);
      await gitRepo(base, cairn);
      let floorBytes = 0;
      if (which === 'small') {
        log(`${where}: generating ${smallFiles} files...`);
        floorBytes = makeSmallTree(path.join(base, 'data'), smallFiles, SMALL_DIRS);
      } else {
        log(`${where}: generating a ${BIG_MB} MiB file...`);
        makeBigFile(path.join(base, 'data'), BIG_MB);
        floorBytes = BIG_MB * 2 ** 20;
      }
      await tool(cairn, ['add', 'data'], base);
      await must('git', ['add', '-A'], { cwd: base });
      await must('git', ['commit', '-qm', 'data'], { cwd: base });
      const label = which === 'small' ? `${smallFiles} small files` : `${BIG_MB} MiB file`;
      const runs: Record<string, number[]> = { 'dvc push': [], 'cairn push': [], 'dvc pull': [], 'cairn pull': [], cp: [] };
      /** Cairn's own transfer time (its --json `seconds`: moving the objects, without start-up and planning). */
      const transferSeconds: Record<string, number[]> = { 'cairn push': [], 'cairn pull': [] };
      /** MinIO's CPU seconds during each timed run, beside `runs`. */
      const serverCpu: Record<string, number[]> = { 'dvc push': [], 'cairn push': [], 'dvc pull': [], 'cairn pull': [] };
      /** The client's own CPU seconds in each timed run (its git and other children included). */
      const clientCpu: Record<string, number[]> = { 'dvc push': [], 'cairn push': [], 'dvc pull': [], 'cairn pull': [] };
      let settled = false;
      /**
       * Big file: the same memory state before every timed run, its inputs read in (see settleMemory),
       * and the programs too (node and Cairn's bundle, python and dvc's modules, cp), as on a machine
       * in use: emptying the page cache is there for the data, not to time programs loaded from disk.
       */
      const settle = async (warm: string[]) => {
        if (which !== 'big') return;
        settled = settleMemory(warm);
        for (const t of [cairn, dvc]) await must(t.cmd, [...t.args, '--version'], { cwd: work, env: t.env });
        await must('cp', ['--version'], { cwd: work });
      };
      const timed = async (what: string, t: Tool, args: string[], cwd: string) => {
        const before = server ? processCpuSeconds(server.pid) : 0;
        const clientBefore = childrenCpuSeconds();
        const r = await tool(t, t === cairn ? [...args, '--json'] : args, cwd);
        clientCpu[what].push(childrenCpuSeconds() - clientBefore);
        runs[what].push(r.seconds);
        if (t === cairn) transferSeconds[what].push(JSON.parse(r.stdout).seconds);
        if (server) serverCpu[what].push(processCpuSeconds(server.pid) - before);
      };
      for (let round = 0; round < REMOTE_ROUNDS; round++) {
        const order = round % 2 === 0 ? [dvc, cairn] : [cairn, dvc];
        const repos: Record<string, string> = {};
        for (const t of order) {
          repos[t.name] = path.join(work, `${kind}-${which}-${t.name}-${round}`);
          await must('cp', ['-a', base, repos[t.name]], { cwd: work });
          await configure(repos[t.name], t);
        }
        syncDisks();
        await waitForQuiet(`${kind} ${which} round ${round + 1}`);
        // The floor, copying the same bytes folder to folder, runs next to cairn's push (before it in
        // one round, after it in the next): on this VM a copy's speed follows the memory's state.
        const copyFloor = async () => {
          syncDisks();
          await settle([path.join(base, '.dvc', 'cache', 'files')]);
          runs.cp.push((await must('cp', ['-r', path.join(base, '.dvc', 'cache', 'files'), path.join(work, `${kind}-${which}-cp-${round}`)], { cwd: work })).seconds);
          syncDisks();
        };
        for (const t of order) {
          if (kind === 'local' && t === cairn && round % 2 === 0) await copyFloor();
          log(`${where}, round ${round + 1}/${REMOTE_ROUNDS}: ${t.name} push (${label})...`);
          await settle([path.join(repos[t.name], '.dvc', 'cache')]);
          await timed(`${t.name} push`, t, ['push'], repos[t.name]);
          if (kind === 'local' && t === cairn && round % 2 === 1) await copyFloor();
        }
        for (const t of order) {
          const clone = `${repos[t.name]}-pull`;
          await must('git', ['clone', '-q', repos[t.name], clone], { cwd: work });
          for (const f of ['config', 'config.local']) {
            const from = path.join(repos[t.name], '.dvc', f);
            if (fs.existsSync(from)) fs.copyFileSync(from, path.join(clone, '.dvc', f));
          }
          syncDisks();
          log(`${where}, round ${round + 1}/${REMOTE_ROUNDS}: ${t.name} pull (${label})...`);
          await settle(kind === 'local' ? [folderStore(repos[t.name], t)] : []);
          await timed(`${t.name} pull`, t, ['pull'], clone);
          // The data must be back, identical, for both.
          const r = await run(cairn.cmd, [...cairn.args, 'status', '--json'], { cwd: clone, env: cairn.env });
          if (r.stdout.trim() !== '{}') throw new Error(`after pull, ${clone} is not clean: ${r.stdout}${r.stderr}`);
        }
      }
      const best = (k: string) => Math.min(...runs[k]);
      for (const op of ['push', 'pull']) {
        const c = best(`cairn ${op}`);
        const d = best(`dvc ${op}`);
        const ratio = d / c;
        rows.push({
          case: `${op} ${label} to ${where} (best of ${REMOTE_ROUNDS})`,
          cairn: s(c),
          peer: `${s(d)} (dvc)`,
          ratio: `${x(ratio)} dvc/cairn`,
          target: which === 'small' ? '≥ 5×' : '—',
          met: which === 'small' ? (ratio >= 5 ? 'met' : 'NOT met') : '—',
        });
        if (server) {
          // What each client itself costs, apart from the server it shares the cores with.
          const [cc, dc] = [Math.min(...clientCpu[`cairn ${op}`]), Math.min(...clientCpu[`dvc ${op}`])];
          rows.push({
            case: `${op} ${label} to ${where}: client CPU, user + system (least of ${REMOTE_ROUNDS})`,
            cairn: s(cc),
            peer: `${s(dc)} (dvc)`,
            ratio: `${x(dc / cc)} dvc/cairn`,
            target: '—',
            met: '—',
          });
        }
        if (kind === 'local' && which === 'big') {
          const cp = best('cp');
          const mib = floorBytes / 2 ** 20;
          const throughputRow = (what: string, seconds: number) => ({
            case: `${op} ${label} to ${where} vs cp, ${what}`,
            cairn: `${(mib / seconds).toFixed(0)} MiB/s`,
            peer: `${(mib / cp).toFixed(0)} MiB/s (cp)`,
            ratio: `${x(cp / seconds)} cairn/cp throughput`,
            target: '≥ 0.8×',
            met: cp / seconds >= 0.8 ? 'met' : 'NOT met',
          });
          rows.push(throughputRow('whole command', c));
          // The transfer alone: pull's is its fetch into the cache (its checkout copies the file a second time).
          rows.push(throughputRow(op === 'push' ? 'transfer phase' : 'fetch phase', Math.min(...transferSeconds[`cairn ${op}`])));
        }
      }
      const list = (k: string) => runs[k].map((v) => v.toFixed(3)).join(', ');
      const phase = (k: string) => transferSeconds[k].map((v) => v.toFixed(3)).join(', ');
      notes.push(
        `${where}, ${label}: runs (s), order alternating by round: cairn push [${list('cairn push')}], dvc push [${list('dvc push')}], ` +
          `cairn pull [${list('cairn pull')}], dvc pull [${list('dvc pull')}]${kind === 'local' ? `, cp -r of the cache's files [${list('cp')}]` : ''}; ` +
          `cairn's transfer time within them (--json seconds): push [${phase('cairn push')}], pull's fetch [${phase('cairn pull')}].`,
      );
      const clientList = (k: string) => clientCpu[k].map((v) => v.toFixed(2)).join(', ');
      notes.push(
        `${where}, ${label}: the client's own CPU seconds (user + system, its child processes included) in those runs: cairn push [${clientList('cairn push')}], ` +
          `dvc push [${clientList('dvc push')}], cairn pull [${clientList('cairn pull')}], dvc pull [${clientList('dvc pull')}].`,
      );
      if (server) {
        const cpu = (k: string) => serverCpu[k].map((v) => v.toFixed(1)).join(', ');
        notes.push(
          `${where}, ${label}: MinIO's own CPU seconds during those runs: cairn push [${cpu('cairn push')}], dvc push [${cpu('dvc push')}], ` +
            `cairn pull [${cpu('cairn pull')}], dvc pull [${cpu('dvc pull')}]. Server and client share the ${os.availableParallelism?.() ?? os.cpus().length} cores, ` +
            'so a run cannot take less than (server CPU + client CPU) / cores.',
        );
      }
      if (which === 'big') {
        notes.push(
          settled
            ? `${where}, ${label}: before each timed run (and each cp) the page cache was emptied (sync; drop_caches), the run's inputs read back in and the programs run once (--version) so that they are in memory, as on a machine in use.`
            : `${where}, ${label}: the page cache could not be emptied (not root): runs start from whatever memory state the one before left.`,
        );
      }
      if (kind === 'local' && which === 'big') {
        notes.push(
          `${where}, ${BIG_MB} MiB: a pull writes the file twice (into the cache, then into the workspace, as dvc does with cache.type copy) ` +
            'and cairn checks its md5 on the way in (dvc does not by default); `cp` writes it once and checks nothing.',
        );
      }
    }
  } finally {
    await proxy?.close();
    await server?.stop();
  }
}

// ---------------------------------------------------------------------------------------

function findDvc(): string {
  if (env.BENCH_DVC) return env.BENCH_DVC;
  const peers = path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'cairn', 'peers');
  // Prefer the pinned peer; an existing venv of the same version avoids a first-time install.
  if (!fs.existsSync(path.join(peers, `dvc-${DVC_VERSION}`, '.cairn-complete'))) {
    const other = path.join(peers, 'dvc-venv', 'bin', 'dvc');
    if (fs.existsSync(other) && sh(other, ['--version']) === DVC_VERSION) return other;
  }
  return ensureDvc();
}

function machine(work: string, dvcVersion: string): string[] {
  let fsType = sh('df', ['--output=fstype', work]).split('\n').pop() ?? '?';
  const dev = path.basename(sh('df', ['--output=source', work]).split('\n').pop() ?? '');
  if (fsType === 'ext4' && dev && fs.existsSync(`/proc/fs/ext4/${dev}`)) {
    const journaled = fs.existsSync('/proc/fs/jbd2') && fs.readdirSync('/proc/fs/jbd2').some((j) => j.startsWith(`${dev}-`));
    fsType += journaled ? ', journaled' : ', no journal';
  }
  return [
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${os.cpus()[0]?.model ?? '?'}, nproc ${os.availableParallelism?.() ?? os.cpus().length}`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- temp dir: ${os.tmpdir()} (${fsType})`,
    `- os: ${os.type()} ${os.release()} ${os.arch()}`,
    `- node ${process.version}, dvc ${dvcVersion}, ${sh('git', ['--version'])}`,
    `- cairn: ${sh('git', ['-C', projectRoot, 'rev-parse', '--short', 'HEAD']) || '?'}${sh('git', ['-C', projectRoot, 'status', '--porcelain', 'src']) ? ' (+ uncommitted changes in src/)' : ''}`,
    `- data (random bytes): ${[
      CASES.has('small') ? `${SMALL_FILES} files of 1–4 KiB in ${SMALL_DIRS} folders` : '',
      CASES.has('big') ? `a ${BIG_MB} MiB file` : '',
      CASES.has('rss') ? `a ${RSS_MB} MiB file` : '',
      CASES.has('remote') || CASES.has('s3') ? `push/pull of ${SMALL_FILES} files and of a ${BIG_MB} MiB file${CASES.has('s3') ? ` (S3: MinIO on 127.0.0.1, its data in ${MINIO_DATA_ROOT ?? os.tmpdir()})` : ''}` : '',
      CASES.has('s3-link') ? `push/pull of ${LINK_FILES} files to MinIO through a ${LINK_MS} ms round trip` : '',
      CASES.has('pipelines') ? `pipelines of ${pipelineBenchOptions(env).sizes.join('/')} stages (${pipelineBenchOptions(env).shapes.join(', ')})` : '',
      CASES.has('environment') ? "an experiment's environment capture with the dvc peer's virtualenv active" : '',
      CASES.has('exp-show') ? `${expShowBenchOptions(env).baselines} commits with ${expShowBenchOptions(env).experimentsPerBaseline} experiments each` : '',
      CASES.has('exp-run') ? `exp run on a 0.1 s stage, ${EXP_FILES} tracked files` : '',
      CASES.has('exp-queue') ? `${expQueueBenchOptions(env).runs} queued experiments of a ${expQueueBenchOptions(env).stageSeconds} s stage, -j ${expQueueBenchOptions(env).jobs}` : '',
    ].filter(Boolean).join('; ')}`,
  ];
}

async function main(): Promise<void> {
  if (!fs.existsSync(cairnCli)) throw new Error(`${cairnCli} is missing; run \`npm run build\` first.`);
  const dvcBin = findDvc();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bench-'));
  const dvcHome = path.join(work, '.dvc-env');
  for (const d of ['global', 'system', 'site-cache']) fs.mkdirSync(path.join(dvcHome, d), { recursive: true });
  // No update checks or analytics, no user/system config, DVC's state dbs inside the temp dir.
  fs.writeFileSync(path.join(dvcHome, 'global', 'config'), '[core]\n    check_update = false\n    analytics = false\n');
  const dvc: Tool = {
    name: 'dvc',
    cmd: dvcBin,
    args: [],
    env: {
      ...env,
      DVC_NO_ANALYTICS: '1',
      DVC_GLOBAL_CONFIG_DIR: path.join(dvcHome, 'global'),
      DVC_SYSTEM_CONFIG_DIR: path.join(dvcHome, 'system'),
      DVC_SITE_CACHE_DIR: path.join(dvcHome, 'site-cache'),
    },
  };
  const cairn: Tool = { name: 'cairn', cmd: process.execPath, args: [cairnCli], env: { ...env } };
  const dvcVersion = sh(dvcBin, ['--version']) || '?';
  const cleanup = () => {
    if (KEEP) log(`kept ${work}`);
    else removeTree(work);
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  const started = Date.now();
  log(`working in ${work}; dvc ${dvcVersion} at ${dvcBin}`);
  const info = machine(work, dvcVersion);
  try {
    if (CASES.has('small')) await smallFilesCase(work, cairn, dvc);
    if (CASES.has('big')) await bigFileCase(work, cairn, dvc);
    if (CASES.has('rss')) await rssCase(work, cairn, dvc);
    if (CASES.has('remote') || CASES.has('s3') || CASES.has('s3-link')) {
      const dvcS3: Tool = { ...dvc, name: 'dvc', cmd: env.BENCH_DVC ?? ensureDvcS3() };
      if (CASES.has('remote')) await remoteCase(work, cairn, dvcS3, 'local');
      if (CASES.has('s3')) await remoteCase(work, cairn, dvcS3, 's3');
      if (CASES.has('s3-link')) await remoteCase(work, cairn, dvcS3, 's3-link');
    }
    if (CASES.has('pipelines')) {
      await pipelinesCase(work, cairn, dvc, pipelineBenchOptions(env), {
        run,
        must,
        childrenCpuSeconds,
        waitForQuiet,
        log,
        row: (r) => rows.push(r),
        note: (n) => notes.push(n),
      });
    }
    if (CASES.has('environment')) await environmentCase(work, dvcBin, { run, waitForQuiet, log, row: (r) => rows.push(r) });
    if (CASES.has('exp-run')) await expRunCase(work, cairn, dvc, { files: EXP_FILES, rounds: EXP_ROUNDS }, { must, waitForQuiet, log, row: (r) => rows.push(r) });
    if (CASES.has('exp-show')) {
      await expShowCase(work, cairn, dvc, expShowBenchOptions(env), { run, must, childrenCpuSeconds, waitForQuiet, log, row: (r) => rows.push(r), note: (n) => notes.push(n) });
    }
    if (CASES.has('exp-queue')) await expQueueCase(work, cairn, dvc, expQueueBenchOptions(env), { must, waitForQuiet, log, row: (r) => rows.push(r), note: (n) => notes.push(n) });
  } finally {
    cleanup();
  }
  const total = (Date.now() - started) / 1000;
  if (info.some((l) => l.includes('no journal'))) {
    notes.push(
      'the temp dir is on ext4 without a journal: for a few minutes after many files are deleted (by anything on the machine), ' +
        "creating files is slowed by the kernel's recently_deleted() inode scan (perf: most of `cp -r`'s time then). " +
        'The bench deletes nothing until it ends; compare the `cp -r` floor between runs to spot it.',
    );
  }
  if (busyBefore.length) {
    notes.push(
      `other processes' CPU use just before each case (1 s sample): ${busyBefore.join(', ')}` +
        (busyWarning ? ' — the machine was NOT quiet: timings are unreliable, run again when it is idle.' : '.'),
    );
  }

  process.stdout.write(`\n${table()}\n\n`);
  for (const n of notes) process.stdout.write(`* ${n}\n`);
  process.stdout.write(`\n${info.join('\n')}\n- bench took ${total.toFixed(0)} s\n`);

  if (resultsFile) {
    const md = [
      '# Cairn benchmark results',
      '',
      'Written by `npm run bench` (bench/run.ts). Each tool runs as a CLI in its own fresh git repo on an identical copy of',
      'generated data; times are wall-clock seconds of the whole command (process start to exit).',
      '',
      markdownTable(),
      '',
      '## Notes',
      '',
      ...notes.map((n) => `- ${n}`),
      '',
      '## Machine',
      '',
      ...info,
      `- bench took ${total.toFixed(0)} s`,
      '',
    ].join('\n');
    fs.writeFileSync(resultsFile, md);
    log(`wrote ${path.relative(process.cwd(), resultsFile) || resultsFile}`);
  }
  // Unmet targets are reported, not fatal; a hash that disagrees with the peer is.
  if (rows.some((r) => r.met.includes('differs'))) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 2;
});
