import * as fs from 'node:fs';
import { ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Repo } from '../repo/repo';
import { claimNext, failAbandoned, finishEntry, queueLogPath, queueStates, runAheadLogPath, setWorker } from './runQueue';
import { runQueuedExperiment } from './run';

/**
 * A queue worker: claims the oldest queued entry and runs it in a process of its own (`cairn
 * queue exec`, its output in the entry's log), until none is left. The run records its own
 * end; a run that ends without doing so (killed, crashed) is failed here, with its exit code or
 * signal. `cli` is how to start Cairn's CLI (node and the script).
 *
 * Each run's process is started ahead, while the one before runs its stage commands: Node's start and
 * the repository's opening (a tenth of a second or more a run) are then off the queue's critical
 * path, and do not take the CPU from a run being prepared. It waits for its entry's id on stdin;
 * its output goes to a file of this worker's, renamed to the entry's log when it gets one (its
 * open descriptor follows the rename). Given no id, it exits.
 */
export async function runWorker(repo: Repo, cli: string[]): Promise<void> {
  let next: RunAhead | undefined = startRunAhead(repo, cli);
  try {
    await failAbandoned(repo);
    for (;;) {
      const entry = await claimNext(repo);
      if (!entry) return;
      const run = next ?? startRunAhead(repo, cli);
      next = undefined;
      await fs.promises.rename(run.logFile, queueLogPath(repo, entry.id));
      const started = new Date().toISOString();
      run.stdin.end(`${entry.id}\n`);
      await setWorker(repo, entry, { pid: process.pid, execPid: run.child.pid, started });
      run.child.on('message', (message: { stageStarted?: string }) => {
        if (message?.stageStarted && !next) next = startRunAhead(repo, cli);
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

/** `queue exec -` started now, waiting for an id (see runWorker); it tells when its stages start on the IPC channel. */
function startRunAhead(repo: Repo, cli: string[]): RunAhead {
  const logFile = runAheadLogPath(repo, process.pid);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(cli[0], [...cli.slice(1), 'queue', 'exec', '-'], { cwd: repo.root, stdio: ['pipe', log, log, 'ipc'] });
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
export async function execEntry(repo: Repo, id: string, log: (line: string) => void, onStageStart?: (stage: string) => void): Promise<number> {
  const state = (await queueStates(repo)).find((s) => s.entry.id === id && s.status === 'running');
  if (!state) {
    log(`ERROR: queue entry '${id}' is not running (claimed by a worker).`);
    return 1;
  }
  try {
    const result = await runQueuedExperiment(repo, state.entry, { log, warn: (line) => log(`WARNING: ${line}`), onStageStart });
    await finishEntry(repo, state.entry, { result: { rev: result.rev, ref: result.ref } });
    log(`\nRan experiment(s): ${result.name}`);
    return 0;
  } catch (err) {
    const line = (err as { oneLine?: () => string }).oneLine?.() ?? (err as Error).message;
    log(`ERROR: ${line}`);
    await finishEntry(repo, state.entry, { error: line });
    return 1;
  }
}
