import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { Repo } from '../repo/repo';
import { claimNext, failAbandoned, finishEntry, queueLogPath, queueStates, setWorker } from './runQueue';
import { runQueuedExperiment } from './run';

/**
 * A queue worker: claims the oldest queued entry and runs it in a process of its own (`cairn
 * queue exec <id>`, its output in the entry's log), until none is left. The run records its own
 * end; a run that ends without doing so (killed, crashed) is failed here, with its exit code or
 * signal. `cli` is how to start Cairn's CLI (node and the script).
 */
export async function runWorker(repo: Repo, cli: string[]): Promise<void> {
  await failAbandoned(repo);
  for (;;) {
    const entry = await claimNext(repo);
    if (!entry) return;
    const log = fs.openSync(queueLogPath(repo, entry.id), 'a');
    const started = new Date().toISOString();
    const child = spawn(cli[0], [...cli.slice(1), 'queue', 'exec', entry.id], { cwd: repo.root, stdio: ['ignore', log, log] });
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
export async function execEntry(repo: Repo, id: string, log: (line: string) => void): Promise<number> {
  const state = (await queueStates(repo)).find((s) => s.entry.id === id && s.status === 'running');
  if (!state) {
    log(`ERROR: queue entry '${id}' is not running (claimed by a worker).`);
    return 1;
  }
  try {
    const result = await runQueuedExperiment(repo, state.entry, { log, warn: (line) => log(`WARNING: ${line}`) });
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
