import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { writeFileAtomic } from '../repo/atomicWrite';
import { isDict } from '../metrics/flatten';
import { expCommandAt, isCairnProgram, processArguments, runsIn } from './processCheck';

/** A run going on outside the workspace: the temporary tree of a `--temp` or queued run. */
export interface TempRunTree {
  /** The folder's name under `.dvc/tmp/exps/` (`tmpab12cd`). */
  name: string;
  /** The repository's root inside that tree (the tree mirrors the git repository; the DVC root may be a subfolder). */
  root: string;
  /** The experiment it runs, as `exp show` and `queue status` name it, when its run's record says (see runningExperimentNames). */
  experiment?: string;
  /** Cairn's record of the run in it (recordTempRun), when Cairn runs it. */
  cairnRecord?: Record<string, unknown>;
}

/** The name `run.ts` gives a temporary tree (mkdtemp's `tmp` + six characters), as dvc names its own. */
const TEMP_TREE = /^tmp[A-Za-z0-9_]{6,}$/;

/**
 * The temporary trees of runs going on (`.dvc/tmp/exps/tmp*`), where `--temp` and queued runs —
 * Cairn's and dvc's — write their metrics and plots as they train. Only real folders: a committed
 * link there (a hostile repository) is never followed, and nothing is created.
 */
export function tempRunTrees(repo: Repo): TempRunTree[] {
  const exps = path.join(repo.dvcDir, 'tmp', 'exps');
  for (const dir of [path.dirname(exps), exps]) {
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return [];
  }
  const relRoot = path.relative(repo.scm?.root ?? repo.root, repo.root);
  const realExps = fs.realpathSync(exps);
  const trees: TempRunTree[] = [];
  for (const entry of fs.readdirSync(exps, { withFileTypes: true })) {
    if (!entry.isDirectory() || !TEMP_TREE.test(entry.name)) continue;
    const root = path.join(exps, entry.name, relRoot);
    const st = fs.lstatSync(root, { throwIfNoEntry: false });
    // The tree exists from mkdtemp on; its `.dvc` folder once its files are written.
    if (!st?.isDirectory() || !fs.lstatSync(path.join(root, '.dvc'), { throwIfNoEntry: false })?.isDirectory()) continue;
    // No link on the way (the repository's folder may be deeper in the tree than the tree's top).
    if (fs.realpathSync(root) !== path.join(realExps, entry.name, relRoot)) continue;
    trees.push({ name: entry.name, root });
  }
  const { names, cairnRecords } = runningExperimentNames(repo, [exps, realExps]);
  for (const tree of trees) {
    tree.experiment = names.get(tree.name);
    tree.cairnRecord = cairnRecords.get(tree.name);
  }
  return trees.sort((a, b) => a.name.localeCompare(b.name));
}

/** Where Cairn records which experiment a temporary tree runs, by the tree's name (written by run.ts for `--temp` and queued runs). */
const cairnRecordsDir = (repo: Repo) => path.join(repo.dvcDir, 'tmp', 'cairn', 'temp-runs');

/**
 * Record that the temporary tree `tree` runs the experiment `name`, until the returned function
 * removes the record. A `--temp` run (not one of the queue, which lists its own) says from which
 * baseline and starting commit too, so `exp show` lists it running.
 */
export async function recordTempRun(repo: Repo, tree: string, name: string, started?: { baseline: string; start: string }): Promise<() => Promise<void>> {
  const file = path.join(repo.tmpDir('cairn', 'temp-runs'), `${path.basename(tree)}.json`);
  await writeFileAtomic(file, JSON.stringify({ name, pid: process.pid, ...started }));
  return () => fs.promises.rm(file, { force: true });
}

/** A `--temp` run of Cairn's going on: its tree, experiment, baseline, starting commit and process. */
export interface CairnTempRun {
  tree: string;
  name: string;
  baseline: string;
  start: string;
  pid: number;
}

/**
 * Cairn's `--temp` runs going on, from their records (recordTempRun) whose tree is there and whose
 * process is `exp run --temp` in this repository. A record came from `.dvc/tmp`, which an archive
 * may bring: it is only shown (a row), never signalled, and its commits are read through git as
 * any revision is.
 */
export function cairnTempRuns(repo: Repo): CairnTempRun[] {
  const runs: CairnTempRun[] = [];
  for (const tree of tempRunTrees(repo)) {
    const info = tree.cairnRecord;
    if (!info || tree.experiment !== info.name || !SHA.test(String(info.baseline)) || !SHA.test(String(info.start))) continue;
    if (typeof info.pid !== 'number' || !isTempRunProcess(repo, info.pid)) continue;
    runs.push({ tree: tree.root, name: String(info.name), baseline: String(info.baseline), start: String(info.start), pid: info.pid });
  }
  return runs;
}

const MAX_RECORD_BYTES = 64 * 1024;
const SHA = /^[0-9a-f]{40}$/;

/** Whether `pid` is `exp run --temp` (Cairn's CLI) running in this repository, as far as the system tells (no folder check without /proc). */
function isTempRunProcess(repo: Repo, pid: number): boolean {
  const args = processArguments(pid) ?? [];
  const at = expCommandAt(args, 'run', isCairnProgram);
  return at >= 0 && args.slice(at + 2).includes('--temp') && runsIn(pid, repo.root) !== false;
}

/** A run record under `.dvc/tmp`: a small regular file holding a JSON object, else undefined. */
function readRecord(file: string): Record<string, unknown> | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_RECORD_BYTES) return undefined;
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return isDict(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The experiment each temporary tree runs, by the tree's folder name, as dvc names it in `exp show`
 * and `queue status`: Cairn's record (recordTempRun), or dvc's queue's run record
 * (`.dvc/tmp/exps/run/<rev>/<rev>.run`, whose `root_dir` is the tree). The records came from
 * `.dvc/tmp`, which git does not hold: each is read only when a small regular file, and only names
 * a tree that is there; a name is shown, never used as a path or a ref. Cairn's records are kept
 * whole, by tree, for `cairnTempRuns`.
 */
function runningExperimentNames(repo: Repo, [exps, realExps]: [string, string]): { names: Map<string, string>; cairnRecords: Map<string, Record<string, unknown>> } {
  const names = new Map<string, string>();
  const cairnRecords = new Map<string, Record<string, unknown>>();
  const named = (tree: string, name: unknown) => {
    if (typeof name === 'string' && name && name.length <= 255 && !/[\0-\x1f]/.test(name) && TEMP_TREE.test(tree)) names.set(tree, name);
  };
  const dvcRuns = path.join(exps, 'run');
  if (fs.lstatSync(dvcRuns, { throwIfNoEntry: false })?.isDirectory()) {
    for (const rev of fs.readdirSync(dvcRuns).filter((r) => SHA.test(r))) {
      const info = readRecord(path.join(dvcRuns, rev, `${rev}.run`));
      if (info && typeof info.root_dir === 'string' && [exps, realExps].includes(path.dirname(info.root_dir))) named(path.basename(info.root_dir), info.name);
    }
  }
  const cairn = cairnRecordsDir(repo);
  if (fs.lstatSync(cairn, { throwIfNoEntry: false })?.isDirectory() && fs.lstatSync(path.dirname(cairn))?.isDirectory()) {
    for (const file of fs.readdirSync(cairn).filter((f) => f.endsWith('.json'))) {
      const record = readRecord(path.join(cairn, file));
      if (record) cairnRecords.set(file.slice(0, -5), record);
      named(file.slice(0, -5), record?.name);
    }
  }
  return { names, cairnRecords };
}
