import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import { writeFileAtomic } from '../repo/atomicWrite';
import { nearestName } from '../nearestName';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { overrideParamsText } from './applyParamOverrides';
import { treeWithFiles } from './commitExperiment';
import { readRepoFile } from '../repo/readRepoFile';
import { experimentName, QueuedRun, QueuedRunOptions, workspaceTree } from './run';
import { hasSweep, ParamsFileOverrides, parseSetParams, sweepRuns } from './setParams';
import { processAlive, processArguments, runsIn } from './processCheck';

/**
 * Cairn's experiment queue, on disk under `.dvc/tmp/cairn/queue/`, no broker. An entry is a JSON
 * file that moves between folders by rename, which is atomic: `queued/` → `claimed/<id>.<pid>.json`
 * (a worker claims it, the name saying which; of two workers renaming the same file one finds it
 * gone) → `running/` (with the worker's record) → `success/` or `failed/`.
 * A run's output goes to `logs/<id>.log`. Its starting files are a commit at
 * `refs/cairn/queue/<id>` (outside `refs/exps`, so dvc does not list it, and git keeps it).
 */
export interface QueueEntry extends QueuedRun {
  id: string;
  /** When it was queued (ISO). */
  created: string;
  /** The commit of its starting files (at `refs/cairn/queue/<id>` until it ends): its tree is `startTree`, its parent the baseline. */
  start: string;
}

/** The executor name `exp show` gives runs of Cairn's queue (dvc's is `dvc-task`). */
export const CAIRN_QUEUE = 'cairn-queue';

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
const claimPath = (repo: Repo, id: string, workerPid: number) => path.join(queueDir(repo, 'claimed'), `${id}.${workerPid}.json`);
const CLAIM = /^([0-9a-z]{10}-[0-9a-f]{8})\.(\d+)\.json$/;
const startRef = (id: string) => `refs/cairn/queue/${id}`;

/** What `exp run --queue` is given: the overrides (a sweep among them queues one run per combination) and the rest of the run's options. */
export interface EnqueueOptions extends QueuedRunOptions {
  /** What `targets` and `copyPaths` are relative to. */
  cwd: string;
  setParams?: string[];
  targets?: string[];
  /** The name, or with a sweep the prefix: `sweep` names its runs `sweep-1`, `sweep-2`, ... */
  name?: string;
  /** Asked before more than SWEEP_ASK_ABOVE runs are queued; false queues none. */
  confirm?: (runs: number) => Promise<boolean>;
}

/** One run to queue: its own `-S` arguments and name (drawn when absent). */
export interface RunToQueue {
  setParams: string[];
  name?: string;
}

/** A sweep of more runs than this is queued only once the user says yes. */
export const SWEEP_ASK_ABOVE = 20;

/**
 * `exp run --queue`: the run as it would start now (HEAD, the workspace's tracked files, `-S`
 * overrides checked against the params files) saved for a worker; nothing runs. A sweep
 * (`lr=0.1,0.2`, `range()`, `choice()`) queues one run per combination, as dvc does.
 */
export async function enqueue(repo: Repo, options: EnqueueOptions): Promise<QueueEntry[]> {
  const setParams = options.setParams ?? [];
  const groups = parseSetParams(setParams);
  if (!hasSweep(groups)) return enqueueRuns(repo, [{ setParams, name: options.name }], options);
  const runs = sweepRuns(groups);
  return enqueueRuns(repo, runs.map((args, i) => ({ setParams: args, name: options.name === undefined ? undefined : `${options.name}-${i + 1}` })), options);
}

/**
 * Queue `runs` (each checked first: its overrides against the params files as they are now, its
 * name valid and free among the experiments and the queue), all or none: a bad one queues nothing.
 */
export async function enqueueRuns(repo: Repo, runs: readonly RunToQueue[], options: Omit<EnqueueOptions, 'setParams' | 'name'>): Promise<QueueEntry[]> {
  const scm = repo.scm;
  if (!scm) throw new CairnError('USAGE', 'experiments need git: this DVC repository is not in a git repository.', { hint: 'Run `git init` and commit first.' });
  const baseline = await scm.revParse('HEAD').catch(() => '');
  if (!baseline) throw new CairnError('USAGE', 'cannot queue an experiment without a git commit to start from.', { hint: 'Commit your pipeline first (git add -A && git commit).' });
  if (!runs.length) throw new CairnError('USAGE', 'the sweep makes no runs: one of its value lists is empty.', { hint: 'Check each range() and choice(): range(start, stop, step) needs start before stop.' });
  // Each run's starting files: the workspace's, with its overrides applied (as dvc's stash commit
  // holds them); an override that cannot apply fails here, before anything is queued.
  const workspace = await workspaceTree(scm.root);
  const trees: string[] = [];
  for (const run of runs) {
    const groups = parseSetParams(run.setParams);
    if (hasSweep(groups)) throw new CairnError('USAGE', `'${run.setParams.join(' ')}' holds a sweep inside one run of a sweep.`);
    trees.push(await treeWithOverrides(repo, scm.root, workspace, groups));
  }
  const taken = new Set((await queueStates(repo)).filter((s) => s.status === 'queued' || s.status === 'running').filter((s) => s.entry.baseline === baseline).map((s) => s.entry.name));
  const names: string[] = [];
  for (const run of runs) {
    if (run.name !== undefined && taken.has(run.name)) {
      throw new CairnError('USAGE', `an experiment named '${run.name}' is already queued.`, { hint: 'Pick another name with -n.' });
    }
    let name = await experimentName(scm.root, baseline, { name: run.name, force: options.force });
    while (run.name === undefined && taken.has(name)) name = await experimentName(scm.root, baseline, {});
    taken.add(name);
    names.push(name);
  }
  const copyPaths = (options.copyPaths ?? []).map((p) => {
    const abs = repo.resolveInside(p, options.cwd);
    if (!fs.existsSync(abs)) throw new CairnError('MISSING_PATH', `Unable to copy '${p}': it does not exist.`, { hint: 'Name a file or folder of the workspace with -C.' });
    return path.relative(repo.root, abs);
  });
  if (runs.length > SWEEP_ASK_ABOVE && options.confirm && !(await options.confirm(runs.length))) {
    throw new CairnError('ABORTED', `nothing queued: the sweep's ${runs.length} runs were not confirmed.`);
  }
  const git = gitWriter(scm.root, { what: 'git commit-tree (queue)' });
  const entries: QueueEntry[] = [];
  for (const [i, run] of runs.entries()) {
    const id = newEntryId();
    const start = (await gitWrite(git, ['commit-tree', trees[i], '-p', baseline, '-m', `cairn: queued experiment ${names[i]}`])).trim();
    await gitWrite(git, ['update-ref', startRef(id), start]);
    const entry: QueueEntry = { id, created: new Date().toISOString(), start, baseline, name: names[i], startTree: trees[i], setParams: run.setParams, targets: options.targets ?? [], message: options.message, force: options.force, runCache: options.runCache, copyPaths, downstream: options.downstream, singleItem: options.singleItem, allPipelines: options.allPipelines };
    await writeFileAtomic(entryPath(repo, 'queued', id), JSON.stringify(entry, null, 2));
    entries.push(entry);
  }
  return entries;
}

/** The workspace's tree with the overrides applied to its params files (read from the workspace, as `exp run` reads them). */
async function treeWithOverrides(repo: Repo, gitRoot: string, workspace: string, groups: readonly ParamsFileOverrides[]): Promise<string> {
  const files: { path: string; content: string }[] = [];
  for (const group of groups) {
    const abs = repo.resolveInside(group.file, repo.root);
    const text = fs.existsSync(abs) ? (await readRepoFile(abs, group.file)).toString('utf8') : path.extname(abs).toLowerCase() === '.json' ? '{}' : '';
    const result = overrideParamsText(text, group.file, group.overrides);
    if (result.changed) files.push({ path: path.relative(gitRoot, abs).split(path.sep).join('/'), content: result.text });
  }
  return treeWithFiles(gitRoot, workspace, files);
}

let lastIdTime = 0;
/** A queue id: time first, so ids sort in the order queued (one millisecond apart at least within this process), then random. */
function newEntryId(): string {
  lastIdTime = Math.max(Date.now(), lastIdTime + 1);
  return `${lastIdTime.toString(36).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Every entry of the queue, oldest first. A running one whose processes are all gone (a worker killed) counts as failed. */
export async function queueStates(repo: Repo): Promise<QueueEntryState[]> {
  // Never queued here: nothing to read, and nothing made (exp show reads the queue too).
  if (!fs.lstatSync(path.join(repo.dvcDir, 'tmp', 'cairn', 'queue'), { throwIfNoEntry: false })?.isDirectory()) return [];
  // Folders read in the order an entry moves through them, and each move makes the entry's next
  // file before it removes the last: an entry moving while they are read is met at least once,
  // and where met twice its later state counts (read the other way, it could be met nowhere).
  const byId = new Map<string, QueueEntryState>();
  const readFolder = async (status: QueueStatus) => {
    for (const file of (await fs.promises.readdir(queueDir(repo, status))).filter((f) => f.endsWith('.json') && ID.test(f.slice(0, -5)))) {
      const state = readState(path.join(queueDir(repo, status), file), status);
      if (state) byId.set(state.entry.id, state);
    }
  };
  await readFolder('queued');
  // Claimed, its worker's record not written yet: running, by the worker the file name gives.
  for (const claim of await claims(repo)) {
    const state = readState(claim.file, 'running');
    if (!state) continue;
    // The rename that claimed it set its ctime.
    const claimedAt = fs.statSync(claim.file, { throwIfNoEntry: false })?.ctime ?? new Date();
    byId.set(claim.id, { ...state, worker: { pid: claim.workerPid, started: claimedAt.toISOString() } });
  }
  for (const status of STATUSES.filter((s) => s !== 'queued')) await readFolder(status);
  const states = [...byId.values()];
  for (const state of states) {
    if (state.status !== 'running' || runsInQueue(repo, state)) continue;
    state.status = 'failed';
    const pid = state.worker?.execPid ?? state.worker?.pid;
    const alive = [state.worker?.pid, state.worker?.execPid].find((p): p is number => p !== undefined && processAlive(p));
    state.error = alive === undefined
      ? `its worker (pid ${pid ?? '?'}) is gone: killed, or the machine stopped`
      : `its record names pid ${alive}, which is not a Cairn queue worker of this repository (a record Cairn did not write, or the pid was reused)`;
  }
  return states.sort((a, b) => (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0));
}

/** The files of `claimed/`: each an entry taken by the worker its name gives. */
async function claims(repo: Repo): Promise<{ id: string; workerPid: number; file: string }[]> {
  const dir = queueDir(repo, 'claimed');
  return (await fs.promises.readdir(dir)).flatMap((name) => {
    const m = CLAIM.exec(name);
    return m ? [{ id: m[1], workerPid: Number(m[2]), file: path.join(dir, name) }] : [];
  });
}

/**
 * The oldest queued entry, now claimed by this process (moved to `claimed/`; `setWorker` moves it
 * on), or undefined when none is left. Two workers never get the same entry: only one rename of a
 * file succeeds, and the name it is renamed to says which worker has it from that moment on.
 */
export async function claimNext(repo: Repo): Promise<QueueEntry | undefined> {
  for (const state of (await queueStates(repo)).filter((s) => s.status === 'queued')) {
    try {
      await fs.promises.rename(entryPath(repo, 'queued', state.entry.id), claimPath(repo, state.entry.id, process.pid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another worker took it
      throw err;
    }
    return state.entry;
  }
  return undefined;
}

/** A claimed entry runs: to `running/` with who runs it (the worker, and the process running the experiment). */
export async function setWorker(repo: Repo, entry: QueueEntry, worker: { pid: number; execPid?: number; started: string }): Promise<void> {
  await writeFileAtomic(entryPath(repo, 'running', entry.id), JSON.stringify({ ...entry, worker }, null, 2));
  await fs.promises.rm(claimPath(repo, entry.id, worker.pid), { force: true });
}

/** A claimed entry is done: to `success/` with its experiment (its starting commit's ref goes), or `failed/` with why. */
export async function finishEntry(repo: Repo, entry: QueueEntry, outcome: { result: { rev: string; ref: string } } | { error: string }): Promise<void> {
  const status: QueueStatus = 'result' in outcome ? 'success' : 'failed';
  await writeFileAtomic(entryPath(repo, status, entry.id), JSON.stringify({ ...entry, ...outcome, finished: new Date().toISOString() }, null, 2));
  await fs.promises.rm(entryPath(repo, 'running', entry.id), { force: true });
  // A failed run's starting commit stays (exp show lists it) until `queue remove`.
  if (repo.scm && status === 'success') await gitWrite(gitWriter(repo.scm.root, { what: 'git update-ref (queue)' }), ['update-ref', '-d', startRef(entry.id)]).catch(() => undefined);
}

/**
 * Running entries whose processes are all gone go to `failed/`, so their names are free and their
 * logs kept; the log of a killed worker's run started ahead (empty: it never got an entry) goes.
 */
export async function failAbandoned(repo: Repo): Promise<void> {
  const states = await queueStates(repo);
  const claimed = await claims(repo);
  for (const state of states) {
    const abandonedClaim = claimed.some((c) => c.id === state.entry.id && !isQueueProcess(repo, c.workerPid, 'worker'));
    if (state.status === 'failed' && (fs.existsSync(entryPath(repo, 'running', state.entry.id)) || abandonedClaim)) await finishEntry(repo, state.entry, { error: state.error! });
  }
  // A claim whose worker is gone was just failed, or was left behind once its entry went on.
  for (const claim of claimed) if (!isQueueProcess(repo, claim.workerPid, 'worker')) await fs.promises.rm(claim.file, { force: true });
  const logs = queueDir(repo, 'logs');
  for (const file of await fs.promises.readdir(logs)) {
    const worker = RUN_AHEAD_LOG.exec(file);
    if (worker && !isQueueProcess(repo, Number(worker[1]), 'worker')) await fs.promises.rm(path.join(logs, file), { force: true });
  }
}

/**
 * `queue remove`: the entries of the given statuses and the named ones (names or ids) leave the
 * queue, with their logs; their experiments (success) stay. A queued entry is taken by rename, so
 * a worker claiming it at the same moment gets it or it is removed, never both. Running entries
 * are not removed (kill them first). Returns the entries removed.
 */
export async function removeEntries(repo: Repo, which: { statuses?: QueueStatus[]; names?: string[] }): Promise<QueueEntryState[]> {
  await failAbandoned(repo);
  const states = await queueStates(repo);
  const chosen = states.filter((s) => which.statuses?.includes(s.status));
  for (const name of which.names ?? []) {
    const matches = states.filter((s) => s.entry.id === name || s.entry.name === name);
    if (!matches.length) throw notInQueue(name, states);
    const running = matches.find((s) => s.status === 'running');
    if (running) throw new CairnError('USAGE', `'${name}' is running: it cannot be removed.`, { hint: `Stop it first with \`cairn queue kill ${name}\`.` });
    chosen.push(...matches.filter((s) => !chosen.includes(s)));
  }
  const removed: QueueEntryState[] = [];
  const git = repo.scm ? gitWriter(repo.scm.root, { what: 'git update-ref (queue)' }) : undefined;
  for (const state of chosen.filter((s) => s.status !== 'running')) {
    const taken = path.join(queueDir(repo, 'removing'), `${state.entry.id}.json`);
    try {
      await fs.promises.rename(entryPath(repo, state.status, state.entry.id), taken);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // a worker claimed it just now
      throw err;
    }
    if (git && state.status !== 'success') await gitWrite(git, ['update-ref', '-d', startRef(state.entry.id)]).catch(() => undefined);
    await fs.promises.rm(queueLogPath(repo, state.entry.id), { force: true });
    await fs.promises.rm(taken, { force: true });
    removed.push(state);
  }
  return removed;
}

/** An entry not in the queue: one line, with the nearest name. */
export function notInQueue(name: string, states: readonly QueueEntryState[]): CairnError {
  const near = nearestName(name, states.map((s) => s.entry.name));
  return new CairnError('USAGE', `'${name}' is not in the queue.`, { hint: near ? `Did you mean '${near}'?` : '`cairn queue status` lists its experiments.' });
}

/** The entry named `nameOrId` (an experiment name or a queue id), the newest when a name was queued more than once. */
export function findEntry(states: readonly QueueEntryState[], nameOrId: string): QueueEntryState | undefined {
  return states.find((s) => s.entry.id === nameOrId) ?? [...states].reverse().find((s) => s.entry.name === nameOrId);
}

/** The queue's experiment entry files are read as data: a regular file, small, the expected shape, or it is left out. */
function readState(file: string, status: QueueStatus): QueueEntryState | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_ENTRY_BYTES) return undefined;
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const ok = typeof raw.id === 'string' && ID.test(raw.id) && typeof raw.name === 'string' && /^[0-9a-f]{40}$/.test(String(raw.baseline)) && /^[0-9a-f]{40}$/.test(String(raw.startTree)) && /^[0-9a-f]{40}$/.test(String(raw.start)) && Array.isArray(raw.setParams) && raw.setParams.every((s) => typeof s === 'string') && Array.isArray(raw.targets) && raw.targets.every((s) => typeof s === 'string');
    if (!ok) return undefined;
    const entry: QueueEntry = {
      id: raw.id as string,
      created: String(raw.created ?? ''),
      start: raw.start as string,
      baseline: raw.baseline as string,
      name: raw.name as string,
      startTree: raw.startTree as string,
      setParams: raw.setParams as string[],
      targets: raw.targets as string[],
      message: typeof raw.message === 'string' ? raw.message : undefined,
      force: raw.force === true,
      runCache: raw.runCache !== false,
      copyPaths: Array.isArray(raw.copyPaths) ? raw.copyPaths.filter((p): p is string => typeof p === 'string') : [],
      downstream: raw.downstream === true,
      singleItem: raw.singleItem === true,
      allPipelines: raw.allPipelines === true,
    };
    const worker = raw.worker as QueueEntryState['worker'];
    const result = raw.result as QueueEntryState['result'];
    return { entry, status, worker: worker && typeof worker.pid === 'number' ? worker : undefined, result: result && typeof result.rev === 'string' ? result : undefined, error: typeof raw.error === 'string' ? raw.error : undefined };
  } catch {
    return undefined;
  }
}

/** Whether a running entry's worker or run is alive and is what its record says: this repository's `queue worker` or `queue exec`. */
function runsInQueue(repo: Repo, state: QueueEntryState): boolean {
  const { pid, execPid } = state.worker ?? {};
  return (pid !== undefined && isQueueProcess(repo, pid, 'worker')) || (execPid !== undefined && isQueueProcess(repo, execPid, 'exec'));
}

/**
 * Whether `pid` is alive and a Cairn queue process of this repository: its arguments hold `queue
 * worker` (or `queue exec`) and, where the system tells (see processCheck), it runs in the
 * repository. A pid that a planted record names, alive but some other process, is not one: the
 * entry is abandoned, and nothing is ever signalled on its word.
 */
export function isQueueProcess(repo: Repo, pid: number, role: 'worker' | 'exec'): boolean {
  if (!processAlive(pid)) return false;
  const args = processArguments(pid);
  if (!args?.some((arg, i) => arg === 'queue' && args[i + 1] === role)) return false;
  return runsIn(pid, repo.root) !== false;
}
