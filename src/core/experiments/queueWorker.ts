import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { Repo } from '../repo/repo';
import { writeFileAtomic } from '../repo/atomicWrite';
import { claimNext, failAbandoned, finishEntry, processAlive, queueLogPath, queueStates, setWorker } from './runQueue';
import { runQueuedExperiment } from './run';

/**
 * Queue workers: each claims the oldest queued entry and runs it in a process of its own (`cairn
 * queue exec <id>`, in its own process group, its output in the entry's log), until none is left
 * or `queue stop` asks it to stop. The run records its own end; a run that ends without doing so
 * (killed, crashed) is failed here, with its exit code or signal. `cli` is how to start Cairn's
 * CLI (node and the script).
 */

/**
 * `queue start -j N`: detached workers (they outlive the terminal and the editor that started
 * them) until N are alive, as dvc's `-j` means; returns how many it started.
 */
export async function startWorkers(repo: Repo, jobs: number, cli: string[]): Promise<number> {
  const missing = Math.max(0, jobs - (await workerStates(repo)).length);
  for (let i = 0; i < missing; i++) spawn(cli[0], [...cli.slice(1), 'queue', 'worker'], { cwd: repo.root, detached: true, stdio: 'ignore' }).unref();
  return missing;
}

const stopRequestPath = (repo: Repo) => path.join(repo.tmpDir('cairn', 'queue'), 'stop');

/** `queue stop`: workers started before now take no new entry; the running ones finish. */
export async function requestStop(repo: Repo): Promise<void> {
  await writeFileAtomic(stopRequestPath(repo), `${Date.now()}\n`);
}

/** Whether a worker that started at `since` (ms) was asked to stop. */
function stopRequested(repo: Repo, since: number): boolean {
  try {
    return Number(fs.readFileSync(stopRequestPath(repo), 'utf8').trim()) >= since;
  } catch {
    return false;
  }
}

/** A worker as it registered itself (`workers/<pid>.json`), and the entry it runs now, if any. */
export interface WorkerState {
  pid: number;
  started: string;
  running?: string;
}

const workersDir = (repo: Repo) => repo.tmpDir('cairn', 'queue', 'workers');

/** The workers alive now (a registration whose process is gone is left out), with what each runs. */
export async function workerStates(repo: Repo): Promise<WorkerState[]> {
  if (!fs.lstatSync(path.join(repo.dvcDir, 'tmp', 'cairn', 'queue', 'workers'), { throwIfNoEntry: false })?.isDirectory()) return [];
  const running = (await queueStates(repo)).filter((s) => s.status === 'running');
  const workers: WorkerState[] = [];
  for (const file of await fs.promises.readdir(workersDir(repo))) {
    const pid = Number(file.replace(/\.json$/, ''));
    if (!/^\d+\.json$/.test(file) || !processAlive(pid)) continue;
    let started = '';
    try {
      started = String((JSON.parse(fs.readFileSync(path.join(workersDir(repo), file), 'utf8')) as { started?: unknown }).started ?? '');
    } catch {
      continue;
    }
    workers.push({ pid, started, running: running.find((s) => s.worker?.pid === pid)?.entry.name });
  }
  return workers;
}

export async function runWorker(repo: Repo, cli: string[]): Promise<void> {
  const since = Date.now();
  const registration = path.join(workersDir(repo), `${process.pid}.json`);
  await writeFileAtomic(registration, JSON.stringify({ pid: process.pid, started: new Date(since).toISOString() }));
  try {
    await work(repo, cli, since);
  } finally {
    await fs.promises.rm(registration, { force: true });
  }
}

async function work(repo: Repo, cli: string[], since: number): Promise<void> {
  await failAbandoned(repo);
  while (!stopRequested(repo, since)) {
    const entry = await claimNext(repo);
    if (!entry) return;
    const log = fs.openSync(queueLogPath(repo, entry.id), 'a');
    const started = new Date().toISOString();
    // Its own process group, so `queue kill` reaches the stage's processes too.
    const child = spawn(cli[0], [...cli.slice(1), 'queue', 'exec', entry.id], { cwd: repo.root, stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    await setWorker(repo, entry, { pid: process.pid, execPid: child.pid, started });
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('error', () => resolve({ code: 127, signal: null }));
      child.on('close', (c, s) => resolve({ code: c, signal: s }));
    });
    const still = (await queueStates(repo)).find((s) => s.entry.id === entry.id && (s.status === 'running' || s.status === 'failed') && !s.result);
    if (still?.status === 'running' || (still && !still.error)) {
      await finishEntry(repo, entry, { error: signal ? `its run was killed by ${signal}` : `its run exited with ${code} without recording an end` });
    }
  }
}

/** `queue exec <id>`: run a claimed entry here (the worker's child), recording its end: the experiment, or why it failed. */
export async function execEntry(repo: Repo, id: string, log: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const state = (await queueStates(repo)).find((s) => s.entry.id === id && s.status === 'running');
  if (!state) {
    log(`ERROR: queue entry '${id}' is not running (claimed by a worker).`);
    return 1;
  }
  try {
    const result = await runQueuedExperiment(repo, state.entry, { log, warn: (line) => log(`WARNING: ${line}`), signal });
    await finishEntry(repo, state.entry, { result: { rev: result.rev, ref: result.ref } });
    log(`\nRan experiment(s): ${result.name}`);
    return 0;
  } catch (err) {
    const line = signal?.aborted ? 'stopped by `cairn queue kill`' : ((err as { oneLine?: () => string }).oneLine?.() ?? (err as Error).message);
    log(`ERROR: ${line}`);
    await finishEntry(repo, state.entry, { error: line });
    return 1;
  }
}

/**
 * `queue kill`: interrupt a running entry's run (SIGINT to its process group, as Ctrl-C would; the
 * run cleans up and records itself failed), or with `force` kill it at once (SIGKILL). A run still
 * going `graceMs` after the interrupt is killed. Resolves when the entry is no longer running.
 */
export async function killEntry(repo: Repo, id: string, options: { force?: boolean; graceMs?: number } = {}): Promise<void> {
  const running = async () => (await queueStates(repo)).find((s) => s.entry.id === id && s.status === 'running');
  const state = await running();
  const group = state?.worker?.execPid;
  if (!group) return;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-group, sig);
    } catch {
      // already gone
    }
  };
  signalGroup(options.force ? 'SIGKILL' : 'SIGINT');
  const deadline = Date.now() + (options.graceMs ?? 10_000);
  let escalated = !!options.force;
  while (await running()) {
    if (!escalated && Date.now() > deadline) {
      signalGroup('SIGKILL');
      escalated = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
