import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { ExpBenchContext, ExpBenchTool } from './experiments';

/**
 * The `exp-queue` case (issue 16's benchmark): BENCH_QUEUE_RUNS experiments queued with
 * `exp run --queue -S lr=<i> -n q<i>` on a stage that sleeps BENCH_QUEUE_STAGE_S seconds and then
 * writes a metric from its param, then `queue start -j BENCH_QUEUE_JOBS` — dvc's celery queue
 * against Cairn's, each in its own fresh git repository (pipeline run and dvc.lock committed).
 * Timed: the queuing (all runs together, reported apart) and the wall time from `queue start` to
 * every run finished. "Finished" is read from the files each queue keeps, polled every 20 ms
 * without starting a process (a `queue status` per poll would take CPU from the runs):
 * - dvc: every queued `run_exp` task has its celery result, `SUCCESS` or `FAILURE`
 *   (.dvc/tmp/exps/celery/result/celery-task-meta-<task id>). dvc stores it when `run_exp` returns,
 *   after the experiment's refs were fetched back and its temporary tree removed
 *   (dvc/repo/experiments/queue/tasks.py; a failed run also ends as SUCCESS there, so failures are
 *   found by the check below).
 * - Cairn: every entry is in `success/` or `failed/` (.dvc/tmp/cairn/queue/), which its run
 *   writes after its experiment's ref and note, its temporary tree already removed.
 * `queue start` is waited for until it exits (not until its output closes: dvc's workers keep that
 * open). Then, untimed: each tool's queue status says every run succeeded, and the experiment refs hold
 * the right params and metrics (a benchmark of failed runs would be worthless: it throws). dvc's
 * workers are stopped (`dvc queue stop`), Cairn's end when the queue is empty; whatever still runs
 * in a bench repository after that is killed, so nothing is left running.
 */

export interface ExpQueueBenchOptions {
  runs: number;
  jobs: number;
  stageSeconds: number;
}

export function expQueueBenchOptions(env: NodeJS.ProcessEnv): ExpQueueBenchOptions {
  const positive = (name: string, def: number, whole: boolean) => {
    const n = Number(env[name] ?? def);
    if (!Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n))) throw new Error(`${name} must be a ${whole ? 'whole ' : ''}number above 0, got '${env[name]}'`);
    return n;
  };
  return { runs: positive('BENCH_QUEUE_RUNS', 8, true), jobs: positive('BENCH_QUEUE_JOBS', 2, true), stageSeconds: positive('BENCH_QUEUE_STAGE_S', 2, false) };
}

/** The targets: Cairn's wall time at most half of dvc's, and within 25% of the floor. */
const TARGET_FRACTION_OF_DVC = 0.5;
const TARGET_OVER_FLOOR = 1.25;
const POLL_MS = 20;

type Ctx = ExpBenchContext & { note(line: string): void };

export async function expQueueCase(work: string, cairn: ExpBenchTool, dvc: ExpBenchTool, options: ExpQueueBenchOptions, ctx: Ctx): Promise<void> {
  const { runs, jobs, stageSeconds } = options;
  // dvc's workers and their runs start `dvc` by name: the peer's own must come first on PATH.
  const dvcOnPath: ExpBenchTool = { ...dvc, env: { ...dvc.env, PATH: `${path.dirname(dvc.cmd)}${path.delimiter}${dvc.env.PATH ?? ''}` } };
  const floor = Math.ceil(runs / jobs) * stageSeconds;
  const label = `${runs} queued experiments of a ${stageSeconds} s stage, -j ${jobs}`;
  const results: Record<string, { queueSeconds: number[]; wallSeconds: number; finishedAt: number[] }> = {};
  for (const tool of [dvcOnPath, cairn]) {
    const root = await makeRepo(work, tool, dvcOnPath, stageSeconds, ctx);
    try {
      await ctx.waitForQuiet(`exp-queue ${tool.name}`);
      const queueSeconds: number[] = [];
      for (let i = 1; i <= runs; i++) {
        queueSeconds.push((await ctx.must(tool.cmd, [...tool.args, 'exp', 'run', '--queue', '-S', `lr=${i}`, '-n', `q${i}`], { cwd: root, env: tool.env })).seconds);
      }
      const done = tool === cairn ? cairnDone(root, runs) : dvcDone(root, runs);
      ctx.log(`exp-queue: ${tool.name}: ${runs} queued in ${sum(queueSeconds).toFixed(2)} s; queue start -j ${jobs}...`);
      const started = process.hrtime.bigint();
      const startedAt = Date.now();
      await startQueue(tool, jobs, root, path.join(work, `exp-queue-${tool.name}-start.log`));
      const deadline = Date.now() + Math.max(120, 10 * floor) * 1000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`exp-queue: ${tool.name}'s queue did not finish ${runs} runs in ${Math.max(120, 10 * floor)} s: ${root}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      ctx.log(`exp-queue: ${tool.name}: all ${runs} done ${wallSeconds.toFixed(2)} s after queue start`);
      await checkExperiments(root, tool, runs, ctx);
      const finishedAt = done.finishTimes().map((t) => (t - startedAt) / 1000).sort((a, b) => a - b);
      results[tool.name] = { queueSeconds, wallSeconds, finishedAt };
    } finally {
      await stopEverything(root, tool === cairn ? undefined : dvcOnPath, ctx);
    }
  }
  const [ours, theirs] = [results.cairn, results.dvc];
  const s = (x: number) => `${x.toFixed(2)} s`;
  ctx.row({
    case: `exp-queue: queuing ${runs} (exp run --queue -S ..., each a command; total)`,
    cairn: s(sum(ours.queueSeconds)),
    peer: `${s(sum(theirs.queueSeconds))} (dvc)`,
    ratio: `${(sum(theirs.queueSeconds) / sum(ours.queueSeconds)).toFixed(1)}× dvc/cairn`,
    target: '—',
    met: '—',
  });
  ctx.row({
    case: `exp-queue: ${label}, queue start to all finished`,
    cairn: s(ours.wallSeconds),
    peer: `${s(theirs.wallSeconds)} (dvc)`,
    ratio: `${(theirs.wallSeconds / ours.wallSeconds).toFixed(2)}× dvc/cairn`,
    target: `≤ ${TARGET_FRACTION_OF_DVC} × dvc's`,
    met: ours.wallSeconds <= TARGET_FRACTION_OF_DVC * theirs.wallSeconds ? 'met' : 'NOT met',
  });
  ctx.row({
    case: `exp-queue: ${label}, against the floor (${Math.ceil(runs / jobs)} rounds of the stage)`,
    cairn: s(ours.wallSeconds),
    peer: `${s(floor)} (floor)`,
    ratio: `${(ours.wallSeconds / floor).toFixed(2)}× cairn/floor`,
    target: `≤ ${TARGET_OVER_FLOOR} × floor`,
    met: ours.wallSeconds <= TARGET_OVER_FLOOR * floor ? 'met' : 'NOT met',
  });
  const list = (xs: number[]) => xs.map((t) => t.toFixed(2)).join(', ');
  ctx.note(
    `exp-queue: each tool in its own fresh repository (stage \`sh train.sh\`: sleep ${stageSeconds}, then metrics.json from params.yaml's lr), one round each, dvc first. ` +
      `Queuing (s, each \`exp run --queue\`): dvc [${list(theirs.queueSeconds)}], cairn [${list(ours.queueSeconds)}]. ` +
      `"All finished": dvc — every run_exp task has its celery result; Cairn — every entry in the queue's success/ or failed/ folder (both polled every ${POLL_MS} ms from the files); ` +
      `then each tool's queue status and the ${runs} experiment refs (params.yaml lr=i, metrics.json score=2i) checked. The time includes \`queue start\` itself (dvc's spawns its celery workers).`,
  );
  ctx.note(
    `exp-queue: when each run ended, in s after \`queue start\` (as each queue recorded it: dvc's celery date_done, Cairn's entry 'finished'): ` +
      `dvc [${list(theirs.finishedAt)}], cairn [${list(ours.finishedAt)}]. With ${jobs} workers, run k of a worker can end at k × ${stageSeconds} s at the soonest.`,
  );
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * `queue start -j N`, waited for until it exits. Its output goes to a file, not a pipe: dvc's
 * workers inherit the command's output descriptors, so a pipe stays open until they leave (10 s
 * after the queue is empty) and waiting for it to close would add that to dvc's time.
 */
async function startQueue(tool: ExpBenchTool, jobs: number, cwd: string, logFile: string): Promise<void> {
  const out = fs.openSync(logFile, 'w');
  try {
    const child = spawn(tool.cmd, [...tool.args, 'queue', 'start', '-j', String(jobs)], { cwd, env: tool.env, stdio: ['ignore', out, out] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`exp-queue: ${tool.name} queue start exited ${code}: ${fs.readFileSync(logFile, 'utf8')}`);
  } finally {
    fs.closeSync(out);
  }
}

/** A fresh git repository with the pipeline run once by dvc and committed (dvc.lock too). */
async function makeRepo(work: string, tool: ExpBenchTool, dvc: ExpBenchTool, stageSeconds: number, ctx: Ctx): Promise<string> {
  const root = path.join(work, `exp-queue-${tool.name}`);
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'params.yaml'), 'lr: 0\n');
  fs.writeFileSync(path.join(root, 'train.sh'), `sleep ${stageSeconds}\nlr=$(sed -n 's/^lr: *//p' params.yaml)\necho "{\\"lr\\": $lr, \\"score\\": $((lr * 2))}" > metrics.json\n`);
  fs.writeFileSync(path.join(root, 'dvc.yaml'), 'stages:\n  train:\n    cmd: sh train.sh\n    deps: [train.sh]\n    params: [lr]\n    metrics: [{metrics.json: {cache: false}}]\n');
  const git = (...args: string[]) => ctx.must('git', args, { cwd: root });
  await git('init', '-q');
  await git('config', 'user.email', 'bench@cairn.dev');
  await git('config', 'user.name', 'bench');
  await ctx.must(dvc.cmd, [...dvc.args, 'init', '-q'], { cwd: root, env: dvc.env });
  await ctx.must(dvc.cmd, [...dvc.args, 'repro', '-q'], { cwd: root, env: dvc.env });
  await git('add', '-A');
  await git('commit', '-qm', 'baseline');
  return root;
}

/** Whether every run has ended, and (once so) when each did (epoch ms, as the queue recorded it). */
interface DoneSignal {
  (): boolean;
  finishTimes(): number[];
}

/** dvc: every run_exp task queued has its result stored (see the top of this file). */
function dvcDone(root: string, runs: number): DoneSignal {
  const celery = path.join(root, '.dvc', 'tmp', 'exps', 'celery');
  const inbox = path.join(celery, 'broker', 'in');
  const taskIds = fs
    .readdirSync(inbox)
    .filter((f) => f.endsWith('.msg'))
    .map((f) => (JSON.parse(fs.readFileSync(path.join(inbox, f), 'utf8')) as { headers?: { task?: string; id?: string } }).headers)
    .filter((h) => h?.task === 'dvc.repo.experiments.queue.tasks.run_exp' && typeof h.id === 'string')
    .map((h) => h!.id!);
  if (taskIds.length !== runs) throw new Error(`exp-queue: dvc queued ${taskIds.length} run_exp tasks, not ${runs}`);
  const result = (id: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(celery, 'result', `celery-task-meta-${id}`), 'utf8')) as { status?: string; date_done?: string };
    } catch {
      return undefined; // not written yet, or being written
    }
  };
  const ready = (id: string) => ['SUCCESS', 'FAILURE'].includes(result(id)?.status ?? '');
  return Object.assign(() => taskIds.every(ready), { finishTimes: () => taskIds.map((id) => Date.parse(result(id)?.date_done ?? '')) });
}

/** Cairn: every entry of the queue has ended (success/ or failed/). */
function cairnDone(root: string, runs: number): DoneSignal {
  const queue = path.join(root, '.dvc', 'tmp', 'cairn', 'queue');
  const count = (status: string) => {
    try {
      return fs.readdirSync(path.join(queue, status)).filter((f) => f.endsWith('.json')).length;
    } catch {
      return 0;
    }
  };
  if (count('queued') !== runs) throw new Error(`exp-queue: cairn queued ${count('queued')} entries, not ${runs}`);
  const finishTimes = () =>
    ['success', 'failed'].flatMap((status) =>
      fs.readdirSync(path.join(queue, status)).map((f) => Date.parse((JSON.parse(fs.readFileSync(path.join(queue, status, f), 'utf8')) as { finished?: string }).finished ?? '')),
    );
  return Object.assign(() => count('success') + count('failed') === runs, { finishTimes });
}

/** Each tool's queue says every run succeeded, and refs/exps holds q1..qN with lr = i and score = 2i. */
async function checkExperiments(root: string, tool: ExpBenchTool, runs: number, ctx: Ctx): Promise<void> {
  const fail = (why: string) => {
    throw new Error(`exp-queue: ${tool.name}'s runs did not all succeed (${root}): ${why}`);
  };
  const status = await ctx.must(tool.cmd, [...tool.args, 'queue', 'status', ...(tool.name === 'cairn' ? ['--json'] : [])], { cwd: root, env: tool.env });
  if (tool.name === 'cairn') {
    const states = JSON.parse(status.stdout) as { name: string; status: string }[];
    if (states.length !== runs || states.some((s) => s.status !== 'success')) fail(`queue status says ${JSON.stringify(states)}`);
  } else {
    const rows = status.stdout.split('\n').filter((l) => /\bq\d+\b/.test(l));
    if (rows.length !== runs || rows.some((l) => !/\bSuccess\b/.test(l))) fail(`dvc queue status says:\n${status.stdout}`);
  }
  const refs = (await ctx.must('git', ['for-each-ref', '--format=%(refname)', 'refs/exps'], { cwd: root })).stdout.split('\n').filter((r) => /^refs\/exps\/[0-9a-f]{2}\/[0-9a-f]{38}\//.test(r));
  const names = refs.map((r) => r.split('/').pop()!).sort();
  const expected = Array.from({ length: runs }, (_, i) => `q${i + 1}`).sort();
  if (names.join(',') !== expected.join(',')) fail(`experiment refs are [${names.join(', ')}], not [${expected.join(', ')}]`);
  for (const ref of refs) {
    const i = Number(ref.split('/').pop()!.slice(1));
    const params = (await ctx.must('git', ['show', `${ref}:params.yaml`], { cwd: root })).stdout;
    const metrics = JSON.parse((await ctx.must('git', ['show', `${ref}:metrics.json`], { cwd: root })).stdout) as { lr: number; score: number };
    if (params.trim() !== `lr: ${i}` || metrics.lr !== i || metrics.score !== 2 * i) fail(`${ref}: params.yaml '${params.trim()}', metrics.json ${JSON.stringify(metrics)}`);
  }
}

/** dvc's workers stopped (`dvc queue stop`); then whatever process still works in the repository is waited for, then killed. */
async function stopEverything(root: string, dvc: ExpBenchTool | undefined, ctx: Ctx): Promise<void> {
  if (dvc) await ctx.must(dvc.cmd, [...dvc.args, 'queue', 'stop'], { cwd: root, env: dvc.env }).catch((err) => ctx.log(`exp-queue: dvc queue stop failed: ${(err as Error).message}`));
  const deadline = Date.now() + 20_000;
  let left = processesIn(root);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = processesIn(root);
  }
  for (const pid of left) {
    ctx.log(`exp-queue: pid ${pid} still runs in ${root} after 20 s; killing it`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Processes whose working folder is `root` or inside it (the queue's workers and runs), zombies left out. */
function processesIn(root: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if ((cwd === root || cwd.startsWith(root + path.sep)) && !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${entry}/stat`, 'utf8'))) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
