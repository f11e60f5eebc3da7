import * as fs from 'node:fs';
import * as path from 'node:path';
import { Repo } from '../repo/repo';
import { isInside } from '../repo/pathGuard';
import { CairnError, throwIfAborted } from '../errors';
import { runGit } from '../scm/git';
import { withReader } from '../metrics/show';
import { sharingParsedYaml } from '../pipeline/yamlDocument';
import type { RevisionReader } from '../metrics/revisions';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import type { ExecutorState, ExpExecutor, ExpRange, ExpState } from './contract';
import { ExpRevisions, RevisionState } from './revisionData';
import { ExpShowCache } from './showCache';
import { experimentRefsByBaseline } from './refs';
import { readEnvironmentNotes } from './environmentNotes';
import { readAnnotations } from './annotations';
import { CELERY_FAILED_STASH, CELERY_STASH, processOf, queueSuccesses, stashEntries, tempTreeRuns, workspaceRun } from './queue';
import { CAIRN_QUEUE, queueLogPath, queueStates } from './runQueue';
import { cairnTempRuns } from './liveRuns';

/** Which baselines to show, as dvc's `exp show` chooses them. */
export interface BaselineSelection {
  /** Baseline revisions (default HEAD when nothing else is chosen). */
  revs?: string[];
  /** Commits to show from each of `revs`, first parents back (1 by default; negative: all). */
  num?: number;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
}

export interface ExpShowOptions extends BaselineSelection {
  hideQueued?: boolean;
  hideFailed?: boolean;
  hideWorkspace?: boolean;
  /** Baselines by sha only, never by branch or tag name. */
  shaOnly?: boolean;
  /** Read every commit again, not what an earlier `exp show` kept of it (`ExpShowCache`); what is read is kept anew. */
  force?: boolean;
  signal?: AbortSignal;
  reader?: RevisionReader;
  /** One line for each environment note that is ignored (too big, not a record). */
  onWarning?: (line: string) => void;
  /**
   * Read only the newest this many finished experiments of each baseline (by their tip's commit
   * time, as they are listed), for a first screen of a long table; `onOmitted` is told how many
   * were left out. Such a read neither uses nor keeps `ExpShowCache`: the whole read does.
   */
  newest?: number;
  onOmitted?: (count: number) => void;
}

/**
 * `exp show`: the workspace, then each baseline with its experiments — those finished (from
 * `refs/exps/<baseline>/...`), then dvc's queued and failed queue entries — each group newest
 * first, as `dvc exp show --json` lists them. A revision that cannot be read carries its error;
 * the others are unaffected. Each commit is read once, all through one `git cat-file --batch`.
 */
export async function expShow(repo: Repo, options: ExpShowOptions = {}): Promise<ExpState[]> {
  // Experiments of a baseline mostly share dvc.yaml and dvc.lock byte for byte: each text is parsed once.
  return sharingParsedYaml(() => withReader(repo, { reader: options.reader }, (reader) => collect(repo, reader, options)));
}

async function collect(repo: Repo, reader: RevisionReader, options: ExpShowOptions): Promise<ExpState[]> {
  if (!reader.objects || !reader.gitRoot) return [];
  const gitRoot = reader.gitRoot;
  const cache = new ExpShowCache(repo);
  const revisions = new ExpRevisions(reader as RevisionReader & { objects: GitObjectReader }, (sha) => cache.get(sha));
  // What does not wait for another git answer starts at once: the workspace (its files and `git ls-files`), the refs, the baselines.
  const workspaceState = options.hideWorkspace ? undefined : revisions.state(undefined);
  void reader.refs().catch(() => undefined);
  const chosen = selectBaselines(reader, gitRoot, options);
  chosen.catch(() => undefined); // without commits it fails, unawaited
  if (!(await reader.hasCommits())) return [];
  const baselines = await chosen;
  throwIfAborted(options.signal);
  // A first screen reads its few commits from git: the kept file of a baseline holds all of them, and parsing it would cost more.
  if (!options.force && options.newest === undefined) cache.load(baselines);
  // A stash's entries are in its reflog, read only when the ref is there (dvc's queue was used).
  const stashed = new Set((await reader.refs()).map((r) => r.ref));
  const entriesOf = (ref: string, hidden: boolean | undefined) => (hidden || !stashed.has(ref) ? [] : stashEntries(gitRoot, ref));
  const [names, refs, queued, failed, successes, running, cairnQueue, tempRuns] = await Promise.all([
    options.shaOnly ? new Map<string, string>() : describe(reader, baselines),
    experimentRefsByBaseline(reader),
    entriesOf(CELERY_STASH, options.hideQueued),
    entriesOf(CELERY_FAILED_STASH, options.hideFailed),
    queueSuccesses(repo),
    workspaceRun(repo),
    queueStates(repo),
    tempTreeRuns(repo),
  ]);
  const cairnTemp = cairnTempRuns(repo);

  const workspace = workspaceState ? [workspaceState.then((state) => stateOf('workspace', null, state))] : [];
  // Every baseline at once: their reads share the one cat-file process, whose pipe then never runs dry.
  const shown = baselines.map(async (baseline): Promise<ExpState> => {
    throwIfAborted(options.signal);
    const finished = await Promise.all(
      (await newestRefs(revisions, refs.get(baseline) ?? [], options)).map(async ({ ref, sha, name }): Promise<ExpRange | undefined> => {
        throwIfAborted(options.signal);
        const revs = await experimentCommits(revisions, sha, baseline);
        if (!revs.length) return undefined;
        const states = await Promise.all(revs.map(async (rev, i) => stateOf(rev, i === 0 ? name : null, await revisions.state(rev))));
        return { revs: states, executor: successes.get(ref) ?? null, name };
      }),
    );
    const queuedRanges = await Promise.all(
      queued
        .filter((e) => e.baselineRev === baseline)
        .map(async (e): Promise<ExpRange> => {
          const state = stateOf(e.stashRev, e.name || null, await revisions.state(e.stashRev));
          // dvc shows no metrics for what has not run yet.
          if (state.data) state.data = { ...state.data, metrics: {} };
          const executor: ExpExecutor = { state: 'queued', name: 'dvc-task', local: { root: null, log: null, pid: null, returncode: null, task_id: e.stashRev } };
          return { revs: [state], executor, name: e.name || null };
        }),
    );
    const failedRanges = await Promise.all(
      failed
        .filter((e) => e.baselineRev === baseline)
        .map(async (e): Promise<ExpRange> => {
          const state = stateOf(e.stashRev, e.name || null, await revisions.state(e.stashRev));
          state.error = { msg: 'Experiment run failed', type: '' };
          return { revs: [state], executor: { state: 'failed', name: null, local: await processOf(repo, e.stashRev) }, name: e.name || null };
        }),
    );
    // Cairn's own queue, which dvc does not see: what waits, runs or failed there (oldest first, as queued).
    const cairnRanges = await Promise.all(
      cairnQueue
        .filter((q) => q.entry.baseline === baseline && (q.status === 'running' || (q.status === 'queued' && !options.hideQueued) || (q.status === 'failed' && !options.hideFailed)))
        .map(async (q): Promise<ExpRange> => {
          const state = stateOf(q.entry.start, q.entry.name, await revisions.state(q.entry.start));
          if (q.status === 'failed') state.error = { msg: `Experiment run failed: ${q.error ?? ''}`.trim(), type: '' };
          // It has not run (or not to its end): the metrics in its starting files are not its own.
          if (state.data) state.data = { ...state.data, metrics: {} };
          const local = { root: null, log: queueLogPath(repo, q.entry.id), pid: q.worker?.execPid ?? q.worker?.pid ?? null, returncode: null, task_id: q.entry.id };
          return { revs: [state], executor: { state: q.status as ExecutorState, name: CAIRN_QUEUE, local }, name: q.entry.name };
        }),
    );
    const byState = (state: ExecutorState) => cairnRanges.filter((r) => r.executor?.state === state);
    const active: ExpRange[] = [...byState('running')];
    if (running?.baselineRev === baseline) {
      // The workspace as it is now, then any commits HEAD has made on top of the baseline (dvc's `collect_exec_branch`).
      const head = await reader.resolve('HEAD');
      const commits = head && head !== baseline ? await experimentCommits(revisions, head, baseline) : [];
      const revs = [stateOf('workspace', running.name, await revisions.state(undefined)), ...(await Promise.all(commits.map(async (rev) => stateOf(rev, null, await revisions.state(rev)))))];
      active.push({ revs, executor: running.executor, name: running.name });
    }
    // dvc's `--temp` and queued runs going on, by the stash commit each started from, named as queued.
    for (const run of tempRuns.filter((r) => r.baselineRev === baseline)) {
      const state = stateOf(run.stashRev, run.name, await runningTreeState(repo, path.join(run.tree, path.relative(gitRoot, repo.root)), run.stashRev, revisions));
      active.push({ revs: [state], executor: run.executor, name: run.name });
    }
    // Cairn's `--temp` runs going on, which dvc does not see: by the commit of their starting files, as dvc lists its own.
    for (const run of cairnTemp.filter((r) => r.baseline === baseline)) {
      const state = stateOf(run.start, run.name, await runningTreeState(repo, run.tree, run.start, revisions));
      active.push({ revs: [state], executor: { state: 'running', name: 'tempdir', local: { root: run.tree, log: null, pid: run.pid, returncode: null, task_id: null } }, name: run.name });
    }
    const experiments = [
      ...active,
      ...newestFirst(finished.filter((r): r is ExpRange => r !== undefined)),
      ...newestFirst(queuedRanges),
      ...byState('queued').reverse(),
      ...newestFirst(failedRanges),
      ...byState('failed').reverse(),
    ];
    const state = stateOf(baseline, names.get(baseline) ?? null, await revisions.state(baseline));
    state.experiments = experiments.length ? experiments : null;
    return state;
  });
  const result = await Promise.all([...workspace, ...shown]);
  if (options.newest === undefined) await cache.save(commitsByBaseline(result), (sha) => revisions.cacheable(sha));
  // After the cache is saved: it keeps what dvc shows; the records are read fresh each time.
  await addNotes(reader, result, options.onWarning);
  return result;
}

/** The commits shown under each baseline (the baseline's own first), the workspace left out. */
function commitsByBaseline(states: ExpState[]): Map<string, string[]> {
  const shown = new Map<string, string[]>();
  for (const baseline of states) {
    if (baseline.rev === 'workspace') continue;
    const revs = [baseline.rev, ...(baseline.experiments ?? []).flatMap((range) => range.revs.map((r) => r.rev))];
    shown.set(baseline.rev, revs.filter((rev) => rev !== 'workspace'));
  }
  return shown;
}

/**
 * Cairn's environment record of each commit that has one (a note in `refs/notes/cairn`) into
 * its `data.meta.environment`; dvc's `meta` is always empty, so without notes the output is dvc's.
 */
async function addNotes(reader: RevisionReader, states: ExpState[], onWarning?: (line: string) => void): Promise<void> {
  const all = states.flatMap((s) => [s, ...(s.experiments ?? []).flatMap((e) => e.revs)]);
  const revs = new Set(all.map((s) => s.rev));
  const [records, annotations] = await Promise.all([readEnvironmentNotes(reader, revs, onWarning), readAnnotations(reader, revs, onWarning)]);
  if (!records.size && !annotations.size) return;
  for (const state of all) {
    const environment = records.get(state.rev);
    const annotated = annotations.get(state.rev);
    if (!state.data || (!environment && !annotated)) continue;
    state.data = { ...state.data, meta: { ...state.data.meta, ...(environment && { environment }), ...(annotated && { tags: annotated.tags, notes: annotated.notes }) } };
  }
}

/**
 * A run going on in a temporary tree (a copy of the git repository; `root`, the DVC root in it), as
 * dvc shows it (collect_exec_branch): the tree's files as they stand now, its metrics as the run
 * has written them so far, as a workspace (no time). When the tree went meanwhile (the run ended),
 * the commit it started from, without metrics: those are the baseline's, not the run's.
 */
async function runningTreeState(repo: Repo, root: string, start: string, revisions: ExpRevisions): Promise<RevisionState> {
  // Only a tree with its `.dvc` folder (from anywhere else the search for a repository would go up
  // to the main one), and only one really inside `.dvc/tmp/exps`: no link on the way leads out.
  if (fs.lstatSync(path.join(root, '.dvc'), { throwIfNoEntry: false })?.isDirectory() && isBelowLinksResolved(path.join(repo.dvcDir, 'tmp', 'exps'), root)) {
    let treeRepo: Repo | undefined;
    try {
      treeRepo = Repo.open(root, { pool: repo.pool });
      if (treeRepo.root === root) {
        const state = await withReader(treeRepo, {}, async (reader) => (reader.objects ? new ExpRevisions(reader as RevisionReader & { objects: GitObjectReader }).state(undefined) : undefined));
        if (state) return state;
      }
    } catch {
      // the run ended and its tree went while it was read
    } finally {
      await treeRepo?.close();
    }
  }
  const state = await revisions.state(start);
  return state.data ? { data: { ...state.data, rev: 'workspace', timestamp: null, metrics: {} }, error: null } : state;
}

/** Whether `dir` is below `parent` (not `parent` itself), links resolved in both. */
function isBelowLinksResolved(parent: string, dir: string): boolean {
  try {
    const [realParent, realDir] = [fs.realpathSync(parent), fs.realpathSync(dir)];
    return realDir !== realParent && isInside(realParent, realDir);
  } catch {
    return false;
  }
}

function stateOf(rev: string, name: string | null, state: RevisionState): ExpState {
  return { rev, name, data: state.data, error: state.error, experiments: null };
}

/**
 * The commits of an experiment, tip first: first parents back from its ref to the baseline
 * (excluded), as dvc walks them; none when the ref names no commit.
 */
async function experimentCommits(revisions: ExpRevisions, tip: string, baseline: string): Promise<string[]> {
  const revs: string[] = [];
  const seen = new Set<string>();
  for (let info = await revisions.commit(tip); info && !seen.has(info.sha); ) {
    seen.add(info.sha);
    revs.push(info.sha);
    if (!info.firstParent || info.firstParent === baseline) break;
    info = await revisions.commit(info.firstParent);
  }
  return revs;
}

/** `refs` when `options.newest` is unset or not less than their number, else the newest that many (the order `newestFirst` lists them in). */
async function newestRefs<R extends { sha: string }>(revisions: ExpRevisions, refs: R[], options: ExpShowOptions): Promise<R[]> {
  const limit = options.newest;
  if (limit === undefined || refs.length <= limit) return refs;
  // A commit object alone gives the time: far cheaper than the files a full read parses.
  const timed = await Promise.all(refs.map(async (ref) => ({ ref, time: (await revisions.commit(ref.sha))?.time ?? 0 })));
  timed.sort((a, b) => b.time - a.time || (a.ref.sha < b.ref.sha ? 1 : a.ref.sha > b.ref.sha ? -1 : 0));
  options.onOmitted?.(refs.length - limit);
  return timed.slice(0, Math.max(0, limit)).map((t) => t.ref);
}

/** Ranges by their tip's commit time, then sha, newest first (dvc's `_sorted_ranges`). */
function newestFirst(ranges: ExpRange[]): ExpRange[] {
  const key = (r: ExpRange) => ({ time: r.revs[0]?.data?.timestamp ?? '', rev: r.revs[0]?.data?.timestamp ? r.revs[0].rev : '' });
  return [...ranges].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka.time !== kb.time) return ka.time < kb.time ? 1 : -1;
    return ka.rev === kb.rev ? 0 : ka.rev < kb.rev ? 1 : -1;
  });
}

/**
 * The baseline commits, first-seen order, each once: `revs` (HEAD by default) and `num - 1`
 * first parents of each, then all branches, all tags (by name) or all commits.
 */
export async function selectBaselines(reader: RevisionReader, gitRoot: string, selection: BaselineSelection): Promise<string[]> {
  const num = selection.num ?? 1;
  const chosen = !!(selection.revs?.length || selection.allBranches || selection.allTags || selection.allCommits);
  const revs = chosen ? (selection.revs ?? []) : ['HEAD'];
  const commits: string[] = [];
  for (const rev of revs) {
    if (num === 0) continue;
    commits.push(await reader.resolveOrThrow(rev));
    for (let n = 1; n !== num; n++) {
      const parent = await reader.objects?.resolveCommit(`${rev}~${n}`);
      if (!parent) break;
      commits.push(parent);
    }
  }
  const refList = async (prefix: string) => (await reader.refs()).filter((r) => r.ref.startsWith(prefix)).map((r) => r.commit);
  if (selection.allCommits) {
    commits.push(...(await allCommitsByDate(reader, gitRoot)));
  } else {
    if (selection.allBranches) commits.push(...(await refList('refs/heads/')));
    if (selection.allTags) {
      for (const sha of await refList('refs/tags/')) if (await reader.objects?.resolveCommit(sha)) commits.push(sha);
    }
  }
  return [...new Set(commits)];
}

/**
 * Every commit HEAD, branches, remote branches and tags reach, as dvc's git layer walks them
 * (dulwich, by date): newest commit time first, ties by sha, each commit once.
 */
async function allCommitsByDate(reader: RevisionReader, gitRoot: string): Promise<string[]> {
  const starts = ['HEAD', '--branches', '--tags', '--remotes'];
  const [log, refs, head] = await Promise.all([runGit(gitRoot, ['log', '--format=%H %ct %P', ...starts, '--']), reader.refs(), reader.resolve('HEAD')]);
  const commits = new Map<string, { time: number; parents: string[] }>();
  for (const line of log.split('\n').filter(Boolean)) {
    const [sha, time, ...parents] = line.split(' ');
    commits.set(sha, { time: Number(time), parents });
  }
  // Annotated tags start from the commit they name.
  const tips = [head ?? '', ...refs.filter((r) => /^refs\/(heads|remotes|tags)\//.test(r.ref)).map((r) => r.commit)];
  const frontier = new Set(tips.filter((sha) => commits.has(sha)));
  const seen = new Set(frontier);
  const order: string[] = [];
  const before = (a: string, b: string) => commits.get(a)!.time > commits.get(b)!.time || (commits.get(a)!.time === commits.get(b)!.time && a < b);
  while (frontier.size) {
    let next = '';
    for (const sha of frontier) if (!next || before(sha, next)) next = sha;
    frontier.delete(next);
    order.push(next);
    for (const parent of commits.get(next)!.parents) {
      if (commits.has(parent) && !seen.has(parent)) {
        seen.add(parent);
        frontier.add(parent);
      }
    }
  }
  return order;
}

/**
 * Names for baselines, as dvc's `describe`: HEAD's branch for HEAD's commit, else a tag, else a
 * branch pointing at it (the first by name).
 */
export async function describe(reader: RevisionReader, shas: string[]): Promise<Map<string, string>> {
  const [head, refs] = await Promise.all([reader.resolve('HEAD'), reader.refs()]);
  const headBranch = refs.find((r) => r.head && r.ref.startsWith('refs/heads/'))?.ref.slice('refs/heads/'.length);
  const tags = new Map<string, string>();
  const branches = new Map<string, string>();
  for (const { ref, commit } of refs) {
    if (ref.startsWith('refs/tags/') && !tags.has(commit)) tags.set(commit, ref.slice('refs/tags/'.length));
    if (ref.startsWith('refs/heads/') && !branches.has(commit)) branches.set(commit, ref.slice('refs/heads/'.length));
  }
  const names = new Map<string, string>();
  for (const sha of shas) {
    const name = sha === head && headBranch ? headBranch : (tags.get(sha) ?? branches.get(sha));
    if (name) names.set(sha, name);
  }
  return names;
}

/** Refuses a `-n` that is not a whole number. */
export function parseNum(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CairnError('USAGE', `-n/--num must be a whole number, not '${value}'.`);
  return Number(value);
}
