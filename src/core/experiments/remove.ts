import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import type { ExperimentRef } from './refs';
import { CELERY_STASH } from './queue';
import { QueueEntryState, queueStates, removeEntries } from './runQueue';
import { queuedTasks, QueuedTask, removeMessage } from './queueBroker';
import { gitCommit, headCommit, isRevisionWord, localExperimentRefs, resolveNames, unresolvedNames } from './resolve';
import { gitRemoteArgument, remoteExperimentRefs } from './gitRemote';
import { deleteExperimentRefs, gitRootOf } from './refWrites';
import { runGit } from '../scm/git';

export interface ExpRemoveOptions {
  /** Experiments by name or full ref. */
  names?: string[];
  /** Remove the experiments of these baselines (and of `num - 1` commits before each). */
  revs?: string[];
  num?: number;
  /** Every experiment. */
  allCommits?: boolean;
  /** Remove every experiment but the ones chosen. */
  keep?: boolean;
  /** Remove from this git remote (name or URL) instead: its refs deleted by pushing `:ref`. */
  gitRemote?: string;
  /** Every experiment waiting in dvc's queue. */
  queue?: boolean;
}

/**
 * `exp remove` (dvc: experiments/remove.py): experiments chosen by name, by baseline (`--rev`,
 * `-n`) or all (`-A`), or all but those (`--keep`), removed locally (their refs, and dvc's exec
 * refs naming them) or on a git remote; and experiments waiting in dvc's queue or Cairn's, by
 * name or all (`queue`). Nothing is removed when a name cannot be resolved.
 * Returns the names removed, as dvc prints them.
 */
export async function expRemove(repo: Repo, options: ExpRemoveOptions): Promise<string[]> {
  if (options.keep && options.queue) throw new CairnError('USAGE', 'Cannot use both `--keep` and `--queue`.');
  const gitRoot = gitRootOf(repo);
  const remote = options.gitRemote === undefined ? undefined : await gitRemoteArgument(gitRoot, options.gitRemote, gitRoot);
  const refs = remote === undefined ? await localExperimentRefs(gitRoot) : (await remoteExperimentRefs(gitWriter(gitRoot, { what: 'git ls-remote' }), remote)).refs;
  let chosen: ExperimentRef[] = [];
  let removed: string[] = [];
  const dequeued: QueuedTask[] = [];
  // Cairn's own queue too (`exp run --queue`): what waits there is taken out as dvc's is.
  const waiting = remote === undefined ? (await queueStates(repo)).filter((s) => s.status === 'queued') : [];
  const unqueued: QueueEntryState[] = [];
  if (options.queue) {
    const tasks = await queuedTasks(repo);
    dequeued.push(...tasks);
    unqueued.push(...waiting);
    removed.push(...tasks.map((t) => t.name ?? t.stashRev.slice(0, 7)), ...waiting.map((s) => s.entry.name));
  }
  if (options.names?.length) {
    const resolved = resolveNames(options.names, refs, await headCommit(gitRoot));
    const tasks = remote === undefined ? await queuedTasks(repo) : [];
    const unresolved: string[] = [];
    for (const name of options.names) {
      const ref = resolved.get(name);
      const task = queuedByName(tasks, name);
      const entries = waiting.filter((s) => s.entry.name === name || s.entry.id === name);
      if (!ref && !task && !entries.length) unresolved.push(name);
      if (ref && !chosen.includes(ref)) chosen.push(ref);
      if (task && !dequeued.includes(task)) dequeued.push(task);
      unqueued.push(...entries.filter((e) => !unqueued.includes(e)));
    }
    if (unresolved.length) throw unresolvedNames(unresolved, refs.map((r) => r.name), { gitRemote: remote, missingFromRemote: remote !== undefined });
    removed.push(...options.names);
  } else if (options.revs?.length) {
    const baselines = new Set(await commitsFrom(gitRoot, options.revs, options.num ?? 1));
    // dvc keys them by name (experiments/remove.py `_resolve_exp_by_baseline`): of a name several
    // of these baselines share, only the last ref in ref order is removed.
    const byName = new Map<string, ExperimentRef>();
    for (const ref of refs) if (baselines.has(ref.baseline)) byName.set(ref.name, ref);
    removed.push(...byName.keys());
    chosen = [...byName.values()];
  } else if (options.allCommits) {
    chosen = refs;
    removed.push(...refs.map((r) => r.name));
  }
  if (options.keep) {
    chosen = refs.filter((r) => !chosen.includes(r));
    removed = chosen.map((r) => r.name);
  }
  if (remote === undefined) await deleteExperimentRefs(gitRoot, chosen);
  else if (chosen.length) {
    // One push of all the deletions: `:ref` refspecs, nothing else on the remote touched.
    await gitWrite(gitWriter(gitRoot, { what: 'git push' }), ['push', '--porcelain', '--no-verify', '--', remote, ...chosen.map((r) => `:${r.ref}`)]);
  }
  if (dequeued.length) await dequeue(gitRoot, dequeued);
  if (unqueued.length) await removeEntries(repo, { names: unqueued.map((s) => s.entry.id) });
  return removed;
}

/** A queued task by its name, or by a prefix (4 hex digits or more) of its stash commit (dvc's `match_queue_entry_by_name`). */
function queuedByName(tasks: QueuedTask[], name: string): QueuedTask | undefined {
  return tasks.find((t) => t.name === name) ?? (/^[0-9a-fA-F]{4,40}$/.test(name) ? tasks.find((t) => t.stashRev.startsWith(name.toLowerCase())) : undefined);
}

/**
 * Takes tasks out of dvc's queue as dvc's `remove_tasks` does: each task's message is removed
 * and its entry dropped from the `refs/exps/celery/stash` reflog (the ref removed with its last entry).
 */
async function dequeue(gitRoot: string, tasks: QueuedTask[]): Promise<void> {
  const revs = new Set(tasks.map((t) => t.stashRev));
  const reflog = (await runGit(gitRoot, ['reflog', 'show', '--format=%H', CELERY_STASH, '--']).catch(() => '')).split('\n').filter(Boolean);
  for (const task of tasks) removeMessage(task.file);
  const writer = gitWriter(gitRoot, { what: 'git reflog' });
  // Highest index first: dropping one renumbers those after it.
  const indexes = reflog.map((sha, i) => (revs.has(sha) ? i : -1)).filter((i) => i >= 0).reverse();
  for (const i of indexes) await gitWrite(writer, ['reflog', 'delete', '--updateref', '--rewrite', `${CELERY_STASH}@{${i}}`]);
  if (indexes.length === reflog.length && reflog.length) await gitWrite(writer, ['update-ref', '-d', CELERY_STASH]);
}

/** The commits `revs` name and the `num - 1` first parents before each (dvc's `iter_revs`; `num` 0: none, negative: all). */
async function commitsFrom(gitRoot: string, revs: string[], num: number): Promise<string[]> {
  const commits: string[] = [];
  for (const rev of revs) {
    const commit = isRevisionWord(rev) ? await gitCommit(gitRoot, rev) : undefined;
    if (!commit) throw new CairnError('USAGE', `unknown revision '${rev}'.`, { hint: 'Use a commit, branch or tag.' });
    if (num === 0) continue;
    const out = await runGit(gitRoot, ['rev-list', '--first-parent', ...(num > 0 ? [`--max-count=${num}`] : []), commit]);
    commits.push(...out.split('\n').filter(Boolean));
  }
  return commits;
}
