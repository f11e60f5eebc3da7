import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import { writeFileAtomic } from '../repo/atomicWrite';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { checkParamOverrides } from './applyParamOverrides';
import { experimentName, QueuedRun, workspaceTree } from './run';
import { hasSweep, parseSetParams } from './setParams';

/**
 * Cairn's experiment queue, on disk under `.dvc/tmp/cairn/queue/`, no broker. An entry is a JSON
 * file that moves between folders by rename, which is atomic: `queued/` → `running/` (a worker
 * claims it; of two workers renaming the same file one finds it gone) → `success/` or `failed/`.
 * A run's output goes to `logs/<id>.log`. Its starting files are a commit at
 * `refs/cairn/queue/<id>` (outside `refs/exps`, so dvc does not list it, and git keeps it).
 */
export interface QueueEntry extends QueuedRun {
  id: string;
  /** When it was queued (ISO). */
  created: string;
}

export type QueueStatus = 'queued' | 'running' | 'success' | 'failed';

export interface QueueEntryState {
  entry: QueueEntry;
  status: QueueStatus;
  /** The processes running it (running entries). */
  worker?: { pid: number; execPid?: number; started: string };
  /** The experiment it made (success). */
  result?: { rev: string; ref: string };
  /** Why it failed (failed), one line. */
  error?: string;
}

const STATUSES: QueueStatus[] = ['queued', 'running', 'success', 'failed'];
const MAX_ENTRY_BYTES = 1024 * 1024;
const ID = /^[0-9a-z]{10}-[0-9a-f]{8}$/;

const queueDir = (repo: Repo, ...parts: string[]) => repo.tmpDir('cairn', 'queue', ...parts);
export const queueLogPath = (repo: Repo, id: string) => path.join(queueDir(repo, 'logs'), `${id}.log`);
/** Where a worker's run started ahead writes until it is given an entry (queueWorker.ts), named by the worker's pid. */
export const runAheadLogPath = (repo: Repo, workerPid: number) => path.join(queueDir(repo, 'logs'), `.${workerPid}.next.log`);
const RUN_AHEAD_LOG = /^\.(\d+)\.next\.log$/;
const entryPath = (repo: Repo, status: QueueStatus, id: string) => path.join(queueDir(repo, status), `${id}.json`);
const startRef = (id: string) => `refs/cairn/queue/${id}`;

/**
 * `exp run --queue`: the run as it would start now (HEAD, the workspace's tracked files, `-S`
 * overrides checked against the params files) saved for a worker; nothing runs. A name is given
 * or drawn now, and must be free among the experiments and the queue.
 */
export async function enqueue(repo: Repo, options: { cwd: string; setParams?: string[]; targets?: string[]; name?: string; message?: string; force?: boolean; runCache?: boolean }): Promise<QueueEntry> {
  const scm = repo.scm;
  if (!scm) throw new CairnError('USAGE', 'experiments need git: this DVC repository is not in a git repository.', { hint: 'Run `git init` and commit first.' });
  const baseline = await scm.revParse('HEAD').catch(() => '');
  if (!baseline) throw new CairnError('USAGE', 'cannot queue an experiment without a git commit to start from.', { hint: 'Commit your pipeline first (git add -A && git commit).' });
  const setParams = options.setParams ?? [];
  const groups = parseSetParams(setParams);
  if (hasSweep(groups)) throw new CairnError('USAGE', 'a sweep is queued one experiment per combination: not yet in Cairn.', { hint: 'Queue each value with its own `cairn exp run --queue -S key=value`.' });
  // An override that cannot apply fails now, not in a worker later.
  await checkParamOverrides(repo, groups);
  const queuedNames = new Set((await queueStates(repo)).filter((s) => s.status === 'queued' || s.status === 'running').filter((s) => s.entry.baseline === baseline).map((s) => s.entry.name));
  if (options.name !== undefined && queuedNames.has(options.name)) {
    throw new CairnError('USAGE', `an experiment named '${options.name}' is already queued.`, { hint: 'Pick another name with -n.' });
  }
  let name = await experimentName(scm.root, baseline, options);
  while (options.name === undefined && queuedNames.has(name)) name = await experimentName(scm.root, baseline, {});
  const id = `${Date.now().toString(36).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
  const tree = await workspaceTree(scm.root);
  const git = gitWriter(scm.root, { what: 'git commit-tree (queue)' });
  const start = (await gitWrite(git, ['commit-tree', tree, '-p', baseline, '-m', `cairn: queued experiment ${name}`])).trim();
  await gitWrite(git, ['update-ref', startRef(id), start]);
  const entry: QueueEntry = { id, created: new Date().toISOString(), baseline, name, startTree: tree, setParams, targets: options.targets ?? [], message: options.message, force: options.force, runCache: options.runCache };
  await writeFileAtomic(entryPath(repo, 'queued', id), JSON.stringify(entry, null, 2));
  return entry;
}

/** Every entry of the queue, oldest first. A running one whose processes are all gone (a worker killed) counts as failed. */
export async function queueStates(repo: Repo): Promise<QueueEntryState[]> {
  const states: QueueEntryState[] = [];
  for (const status of STATUSES) {
    const dir = queueDir(repo, status);
    for (const file of (await fs.promises.readdir(dir)).filter((f) => f.endsWith('.json') && ID.test(f.slice(0, -5)))) {
      const state = readState(path.join(dir, file), status);
      if (!state) continue;
      if (status === 'running' && !aliveWorker(state)) {
        state.status = 'failed';
        state.error = `its worker (pid ${state.worker?.execPid ?? state.worker?.pid ?? '?'}) is gone: killed, or the machine stopped`;
      }
      states.push(state);
    }
  }
  return states.sort((a, b) => (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0));
}

/**
 * The oldest queued entry, now claimed by this process (moved to `running/`), or undefined when
 * none is left. Two workers never get the same entry: only one rename of a file succeeds.
 */
export async function claimNext(repo: Repo): Promise<QueueEntry | undefined> {
  for (const state of (await queueStates(repo)).filter((s) => s.status === 'queued')) {
    const running = entryPath(repo, 'running', state.entry.id);
    try {
      await fs.promises.rename(entryPath(repo, 'queued', state.entry.id), running);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another worker took it
      throw err;
    }
    await setWorker(repo, state.entry, { pid: process.pid, started: new Date().toISOString() });
    return state.entry;
  }
  return undefined;
}

/** Who runs a claimed entry (the worker, and the process running the experiment). */
export async function setWorker(repo: Repo, entry: QueueEntry, worker: { pid: number; execPid?: number; started: string }): Promise<void> {
  await writeFileAtomic(entryPath(repo, 'running', entry.id), JSON.stringify({ ...entry, worker }, null, 2));
}

/** A claimed entry is done: to `success/` with its experiment, or `failed/` with why; its starting commit's ref goes. */
export async function finishEntry(repo: Repo, entry: QueueEntry, outcome: { result: { rev: string; ref: string } } | { error: string }): Promise<void> {
  const status: QueueStatus = 'result' in outcome ? 'success' : 'failed';
  await writeFileAtomic(entryPath(repo, status, entry.id), JSON.stringify({ ...entry, ...outcome, finished: new Date().toISOString() }, null, 2));
  await fs.promises.rm(entryPath(repo, 'running', entry.id), { force: true });
  if (repo.scm) await gitWrite(gitWriter(repo.scm.root, { what: 'git update-ref (queue)' }), ['update-ref', '-d', startRef(entry.id)]).catch(() => undefined);
}

/**
 * Running entries whose processes are all gone go to `failed/`, so their names are free and their
 * logs kept; the log of a killed worker's run started ahead (empty: it never got an entry) goes.
 */
export async function failAbandoned(repo: Repo): Promise<void> {
  for (const state of await queueStates(repo)) {
    if (state.status === 'failed' && fs.existsSync(entryPath(repo, 'running', state.entry.id))) await finishEntry(repo, state.entry, { error: state.error! });
  }
  const logs = queueDir(repo, 'logs');
  for (const file of await fs.promises.readdir(logs)) {
    const worker = RUN_AHEAD_LOG.exec(file);
    if (worker && !processAlive(Number(worker[1]))) await fs.promises.rm(path.join(logs, file), { force: true });
  }
}

/** The entry named `nameOrId` (an experiment name or a queue id), the newest when a name was queued more than once. */
export async function findEntry(repo: Repo, nameOrId: string): Promise<QueueEntryState | undefined> {
  const states = await queueStates(repo);
  return states.find((s) => s.entry.id === nameOrId) ?? [...states].reverse().find((s) => s.entry.name === nameOrId);
}

/** The queue's experiment entry files are read as data: a regular file, small, the expected shape, or it is left out. */
function readState(file: string, status: QueueStatus): QueueEntryState | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_ENTRY_BYTES) return undefined;
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const ok = typeof raw.id === 'string' && ID.test(raw.id) && typeof raw.name === 'string' && /^[0-9a-f]{40}$/.test(String(raw.baseline)) && /^[0-9a-f]{40}$/.test(String(raw.startTree)) && Array.isArray(raw.setParams) && raw.setParams.every((s) => typeof s === 'string') && Array.isArray(raw.targets) && raw.targets.every((s) => typeof s === 'string');
    if (!ok) return undefined;
    const entry: QueueEntry = {
      id: raw.id as string,
      created: String(raw.created ?? ''),
      baseline: raw.baseline as string,
      name: raw.name as string,
      startTree: raw.startTree as string,
      setParams: raw.setParams as string[],
      targets: raw.targets as string[],
      message: typeof raw.message === 'string' ? raw.message : undefined,
      force: raw.force === true,
      runCache: raw.runCache !== false,
    };
    const worker = raw.worker as QueueEntryState['worker'];
    const result = raw.result as QueueEntryState['result'];
    return { entry, status, worker: worker && typeof worker.pid === 'number' ? worker : undefined, result: result && typeof result.rev === 'string' ? result : undefined, error: typeof raw.error === 'string' ? raw.error : undefined };
  } catch {
    return undefined;
  }
}

function aliveWorker(state: QueueEntryState): boolean {
  const pids = [state.worker?.pid, state.worker?.execPid].filter((p): p is number => typeof p === 'number' && p > 0);
  return pids.some(processAlive);
}

/** Whether `pid` runs: it exists and, where /proc tells, is no zombie (a killed worker's child may wait a while to be reaped). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
