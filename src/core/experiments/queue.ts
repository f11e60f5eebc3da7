import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { runGit } from '../scm/git';
import { readRepoFile } from '../repo/readRepoFile';
import { isDict } from '../metrics/flatten';
import type { ExpExecutor, LocalExecutor } from './contract';
import { expCommandAt, isDvcProgram, processAlive, processArguments } from './processCheck';

/**
 * dvc's own experiment queue, read only: the entries `dvc exp run --queue` stashes at
 * `refs/exps/celery/stash`, those whose run failed (moved to `refs/exps/celery/failed`), and what
 * dvc's queue workers wrote about each run under `.dvc/tmp/exps/run/<stash rev>/`.
 */

export const CELERY_STASH = 'refs/exps/celery/stash';
export const CELERY_FAILED_STASH = 'refs/exps/celery/failed';

/** One stash entry: the stash commit (its tree is the experiment's workspace) and what its message says. */
export interface QueueEntry {
  stashRev: string;
  headRev: string;
  baselineRev: string;
  /** '' when none was given (dvc then names it when it runs). */
  name: string;
}

const isSha = (s: unknown): s is string => typeof s === 'string' && /^[0-9a-f]{40}$/.test(s);

/** dvc's stash message: `dvc-exp:<head rev>:<baseline rev>:<name>[:<branch>]` (dvc: experiments/stash.py). */
const STASH_MESSAGE = /^commit: dvc-exp:([0-9a-f]+):([0-9a-f]+):([^~^:\\?[\]*]*)(:.+)?$/;

/** The entries of a stash ref's reflog, newest first; none when the ref has no reflog. Odd lines are skipped. */
export async function stashEntries(gitRoot: string, ref: string): Promise<QueueEntry[]> {
  let out: string;
  try {
    out = await runGit(gitRoot, ['reflog', 'show', '--no-abbrev', '--format=%H%x09%gs', ref, '--']);
  } catch {
    return [];
  }
  const entries: QueueEntry[] = [];
  for (const line of out.split('\n')) {
    const tab = line.indexOf('\t');
    const stashRev = line.slice(0, tab);
    const match = STASH_MESSAGE.exec(line.slice(tab + 1).trim());
    if (tab < 0 || !isSha(stashRev) || !match) continue;
    entries.push({ stashRev, headRev: match[1], baselineRev: match[2], name: match[3] });
  }
  return entries;
}

/** The name dvc gives the record of a run in the workspace (`dvc exp run` without --queue or --temp). */
const WORKSPACE_RUN = 'workspace';

/** Queue files are small JSON; anything bigger is not dvc's. */
const MAX_QUEUE_FILE = 1024 * 1024;

/**
 * A JSON file dvc's queue wrote for a stash entry (`<rev>.run`: where and how it ran; `<rev>.json`:
 * the process), or undefined. `.dvc/tmp` is not in git, but a cloned archive may hold anything
 * there: the file is read only when it is a regular file inside the repository's `.dvc` folder.
 */
async function queueFile(repo: Repo, run: string, ext: 'run' | 'json'): Promise<Record<string, unknown> | undefined> {
  if (!isSha(run) && run !== WORKSPACE_RUN) return undefined;
  const dir = path.join(repo.dvcDir, 'tmp', 'exps', 'run', run);
  const file = path.join(dir, `${run}.${ext}`);
  try {
    const realDvc = await fs.promises.realpath(repo.dvcDir);
    const realDir = await fs.promises.realpath(dir);
    if (!realDir.startsWith(realDvc + path.sep)) return undefined;
    const st = await fs.promises.lstat(file);
    if (!st.isFile() || st.size > MAX_QUEUE_FILE) return undefined;
    const parsed: unknown = JSON.parse((await readRepoFile(file)).toString('utf8'));
    return isDict(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const stringOrNull = (v: unknown) => (typeof v === 'string' ? v : null);
const intOrNull = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/** The process dvc's queue ran for an entry (log, pid, exit code), as `exp show` reports it; null when it left no record. */
export async function processOf(repo: Repo, stashRev: string): Promise<LocalExecutor | null> {
  const info = await queueFile(repo, stashRev, 'json');
  if (!info) return null;
  return { root: null, log: stringOrNull(info.stdout), pid: intOrNull(info.pid), returncode: intOrNull(info.returncode), task_id: stashRev };
}

/**
 * Experiments dvc's queue ran to the end, by their ref: each run's info file names the ref it
 * made (`result_ref`) once it is done. Runs outside the queue leave no such record, and `exp
 * show` gives them no executor.
 */
export async function queueSuccesses(repo: Repo): Promise<Map<string, ExpExecutor>> {
  const result = new Map<string, ExpExecutor>();
  let names: string[];
  try {
    names = await fs.promises.readdir(path.join(repo.dvcDir, 'tmp', 'exps', 'run'));
  } catch {
    return result;
  }
  for (const stashRev of names.filter(isSha)) {
    const info = await queueFile(repo, stashRev, 'run');
    if (!info || info.location !== 'dvc-task' || typeof info.result_hash !== 'string' || typeof info.result_ref !== 'string') continue;
    result.set(info.result_ref, { state: 'success', name: 'dvc-task', local: await processOf(repo, stashRev) });
  }
  return result;
}

/** dvc's run states (dvc: executor/base.py TaskStatus): below FAILED and not SUCCESS, a run is still going. */
const FAILED = 4;
const SUCCESS = 3;

/** A run dvc's queue (`dvc-task`) or `dvc exp run --temp` (`tempdir`) has going on in a temporary tree under `.dvc/tmp/exps`. */
export interface TempTreeRun {
  /** The stash commit it started from: `exp show` lists the run by it. */
  stashRev: string;
  baselineRev: string;
  name: string | null;
  executor: ExpExecutor;
  /** The temporary tree it runs in (its run record's `root_dir`, checked to be a folder where dvc makes them). */
  tree: string;
}

/**
 * The runs dvc's queue and `exp run --temp` have going on (dvc: `collect_active_data` of the tempdir
 * and celery queues), `--temp` ones first, from their records under `.dvc/tmp/exps/run/<rev>/`: a
 * run not over whose temporary tree (which must be under `.dvc/tmp/exps`) is still there; a queue's
 * run also needs its process alive, where dvc asks its broker.
 */
export async function tempTreeRuns(repo: Repo): Promise<TempTreeRun[]> {
  const exps = path.join(repo.dvcDir, 'tmp', 'exps');
  let revs: string[];
  try {
    revs = (await fs.promises.readdir(path.join(exps, 'run'))).filter(isSha);
  } catch {
    return [];
  }
  const runs: TempTreeRun[] = [];
  for (const stashRev of revs) {
    const info = await queueFile(repo, stashRev, 'run');
    const status = intOrNull(info?.status);
    const root = stringOrNull(info?.root_dir);
    const location = info?.location;
    if (!info || !isSha(info.baseline_rev) || status === null || status >= FAILED || !root || (location !== 'tempdir' && location !== 'dvc-task')) continue;
    // dvc names the tree by the repository's real path, which may differ from how it was opened.
    const trees = location === 'tempdir' ? path.join(exps, 'standalone') : exps;
    if (![trees, realPathOrSelf(trees)].includes(path.dirname(root)) || !fs.lstatSync(root, { throwIfNoEntry: false })?.isDirectory()) continue;
    const name = stringOrNull(info.name);
    if (location === 'tempdir') {
      // dvc keeps a `--temp` run's process record elsewhere and lists the run without it.
      runs.push({ stashRev, baselineRev: info.baseline_rev, name, executor: { state: 'running', name: 'tempdir', local: null }, tree: root });
      continue;
    }
    if (status === SUCCESS) continue;
    const proc = await processOf(repo, stashRev);
    if (!proc?.pid || !processAlive(proc.pid) || !isDvcQueueTask(proc.pid, path.join(exps, 'run', stashRev, `${stashRev}.run`))) continue;
    runs.push({ stashRev, baselineRev: info.baseline_rev, name, executor: { state: 'running', name: 'dvc-task', local: { ...proc, root } }, tree: root });
  }
  return runs.sort((a, b) => Number(b.executor.name === 'tempdir') - Number(a.executor.name === 'tempdir'));
}

/**
 * Whether `pid` is the process dvc's queue started for the run recorded in `infofile`: `dvc exp
 * exec-run --infofile <that file>` (dvc: queue/tasks.py `run_exp`). The record may have come with
 * an archive, naming any live process; only that one makes the run one going on. Where there is no
 * /proc (macOS) the arguments come from `ps`, split at spaces: a path holding a space reads as not
 * it. Where no arguments can be read at all (Windows) the record is believed, as dvc believes it:
 * it is only shown, and nothing signals a process of dvc's queue.
 */
function isDvcQueueTask(pid: number, infofile: string): boolean {
  const args = processArguments(pid);
  if (!args) return true;
  const at = expCommandAt(args, 'exec-run', isDvcProgram);
  if (at < 0) return false;
  const flag = args.indexOf('--infofile', at);
  const named = flag < 0 ? undefined : args[flag + 1];
  return named !== undefined && path.isAbsolute(named) && realPathOrSelf(named) === realPathOrSelf(infofile);
}

function realPathOrSelf(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

/** `dvc exp run` running in the workspace now: its baseline and name, and the executor `exp show` gives it. */
export interface WorkspaceRun {
  baselineRev: string;
  name: string | null;
  executor: ExpExecutor;
}

/**
 * The experiment `dvc exp run` is running in the workspace, if any: its record names a process
 * that is alive and a state that is not over (dvc: queue/workspace.py `collect_active_data`).
 */
export async function workspaceRun(repo: Repo): Promise<WorkspaceRun | undefined> {
  const proc = await queueFile(repo, WORKSPACE_RUN, 'json');
  const pid = intOrNull(proc?.pid);
  if (pid === null || pid <= 0 || !processAlive(pid)) return undefined;
  const info = await queueFile(repo, WORKSPACE_RUN, 'run');
  const status = intOrNull(info?.status);
  if (!info || !isSha(info.baseline_rev) || status === null || status >= FAILED || status === SUCCESS) return undefined;
  return {
    baselineRev: info.baseline_rev,
    name: stringOrNull(info.name),
    executor: { state: 'running', name: 'workspace', local: { root: stringOrNull(info.root_dir), log: null, pid, returncode: null, task_id: null } },
  };
}
