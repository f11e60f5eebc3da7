import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Repo } from '../repo/repo';
import { writeFileAtomic } from '../repo/atomicWrite';
import { claimNext, failAbandoned, finishEntry, isQueueProcess, queueLogPath, queueStates, runAheadLogPath, setWorker } from './runQueue';
import { runQueuedExperiment } from './run';

/**
 * Queue workers: each claims the oldest queued entry and runs it in a process of its own (`cairn
 * queue exec <id>`, in its own process group, its output in the entry's log), until none is left
 * or `queue stop` asks it to stop. The run records its own end; a run that ends without doing so
 * (killed, crashed) is failed here, with its exit code or signal. `cli` is how to start Cairn's
 * CLI (node and the script).
 *
 * Each run's process is started ahead, while the one before runs its stage commands: Node's
 * start and the repository's opening (a tenth of a second or more a run) are then off the
 * queue's critical path, and do not take the CPU from a run being prepared. It waits for its
 * entry's id on stdin; its output goes to a file of this worker's, renamed to the entry's log
 * when it gets one (its open descriptor follows the rename). Given no id, it exits.
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

/** Whether a worker that started at `since` (ms) was asked to stop; a request dated in the future (planted, or a clock set back) is not one. */
function stopRequested(repo: Repo, since: number): boolean {
  try {
    const at = Number(fs.readFileSync(stopRequestPath(repo), 'utf8').trim());
    return at >= since && at <= Date.now() + 60_000;
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
    // A registration file may have come with an archive, naming some other process, which would stop `queue start` from starting any.
    if (!/^\d+\.json$/.test(file) || !isQueueProcess(repo, pid, 'worker')) continue;
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
  let next: RunAhead | undefined;
  try {
    await failAbandoned(repo);
    while (!stopRequested(repo, since)) {
      const entry = await claimNext(repo);
      if (!entry) return;
      const run = next ?? startRunAhead(repo, cli);
      next = undefined;
      await fs.promises.rename(run.logFile, queueLogPath(repo, entry.id));
      // Recorded before the run is given its entry: it may end (and record its end) at once.
      await setWorker(repo, entry, { pid: process.pid, execPid: run.child.pid, started: new Date().toISOString() });
      run.stdin.end(`${entry.id}\n`);
      run.child.on('message', (message: { stageStarted?: string }) => {
        if (message?.stageStarted && !next && !stopRequested(repo, since)) next = startRunAhead(repo, cli);
      });
      const { code, signal } = await run.ended;
      const still = (await queueStates(repo)).find((s) => s.entry.id === entry.id && (s.status === 'running' || s.status === 'failed') && !s.result);
      if (still?.status === 'running' || (still && !still.error)) {
        await finishEntry(repo, entry, { error: signal ? `its run was killed by ${signal}` : `its run exited with ${code} without recording an end` });
      }
    }
  } finally {
    if (next) {
      next.stdin.end(); // no entry for it: it exits
      await fs.promises.rm(next.logFile, { force: true });
    }
  }
}

interface RunAhead {
  child: ChildProcess;
  /** Where its entry's id goes. */
  stdin: Writable;
  /** Where its output goes until it is given an entry. */
  logFile: string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `queue exec -` started now, waiting for an id (see runWorker), in its own process group so
 * `queue kill` reaches its stage's processes too; it tells when its stages start on the IPC channel.
 */
function startRunAhead(repo: Repo, cli: string[]): RunAhead {
  const logFile = runAheadLogPath(repo, process.pid);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(cli[0], [...cli.slice(1), 'queue', 'exec', '-'], { cwd: repo.root, stdio: ['pipe', log, log, 'ipc'], detached: true });
  fs.closeSync(log);
  const stdin = child.stdin!;
  stdin.on('error', () => undefined); // it died before reading its id: its end says how
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', () => resolve({ code: 127, signal: null }));
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  return { child, stdin, logFile, ended };
}

/** `queue exec <id>`: run a claimed entry here (the worker's child), recording its end: the experiment, or why it failed. */
export async function execEntry(repo: Repo, id: string, log: (line: string) => void, options: { signal?: AbortSignal; onStageStart?: (stage: string) => void } = {}): Promise<number> {
  const { signal, onStageStart } = options;
  const state = (await queueStates(repo)).find((s) => s.entry.id === id && s.status === 'running');
  if (!state) {
    log(`ERROR: queue entry '${id}' is not running (claimed by a worker).`);
    return 1;
  }
  try {
    const result = await runQueuedExperiment(repo, state.entry, { log, warn: (line) => log(`WARNING: ${line}`), signal, onStageStart });
    // The log's last line before the entry ends: who follows the log stops reading at its end.
    log(`\nRan experiment(s): ${result.name}`);
    await finishEntry(repo, state.entry, { result: { rev: result.rev, ref: result.ref } });
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
  let state = await running();
  // Claimed a moment ago: its worker names the run's process right after, so wait for it rather than miss the run.
  for (const until = Date.now() + 10_000; state && !state.worker?.execPid && Date.now() < until; state = await running()) await new Promise((r) => setTimeout(r, 50));
  // Signalled only when the record's run is this repository's `queue exec` (a planted record may name any pid; -1 would be every process).
  const group = state?.worker?.execPid;
  if (!group || !isQueueProcess(repo, group, 'exec')) return;
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
