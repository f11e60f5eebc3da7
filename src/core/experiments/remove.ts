import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import type { ExperimentRef } from './refs';
import { CELERY_STASH, stashEntries } from './queue';
import { gitCommit, headCommit, isRevisionWord, localExperimentRefs, remoteExperimentRefs, resolveNames, unresolvedNames } from './resolve';
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
  signal?: AbortSignal;
}

/**
 * `exp remove` (dvc: experiments/remove.py): experiments chosen by name, by baseline (`--rev`,
 * `-n`) or all (`-A`), or all but those (`--keep`), removed locally (their refs, and dvc's exec
 * refs naming them) or on a git remote. Nothing is removed when a name cannot be resolved.
 * Returns the names removed, as dvc prints them.
 */
export async function expRemove(repo: Repo, options: ExpRemoveOptions): Promise<string[]> {
  const gitRoot = gitRootOf(repo);
  const remote = options.gitRemote;
  const refs = remote === undefined ? await localExperimentRefs(gitRoot) : await remoteExperimentRefs(gitRoot, remote);
  let chosen: ExperimentRef[] = [];
  let removed: string[] = [];
  if (options.names?.length) {
    const resolved = resolveNames(options.names, refs, await headCommit(gitRoot));
    const unresolved = options.names.filter((n) => !resolved.get(n));
    if (unresolved.length) throw await unresolvedOrQueued(gitRoot, unresolved, refs, remote);
    for (const name of options.names) {
      const ref = resolved.get(name)!;
      removed.push(name);
      if (!chosen.includes(ref)) chosen.push(ref);
    }
  } else if (options.revs?.length) {
    const baselines = new Set(await commitsFrom(gitRoot, options.revs, options.num ?? 1));
    // dvc keys them by name (experiments/remove.py `_resolve_exp_by_baseline`): of a name several
    // of these baselines share, only the last ref in ref order is removed.
    const byName = new Map<string, ExperimentRef>();
    for (const ref of refs) if (baselines.has(ref.baseline)) byName.set(ref.name, ref);
    removed = [...byName.keys()];
    chosen = [...byName.values()];
  } else if (options.allCommits) {
    chosen = refs;
    removed = refs.map((r) => r.name);
  }
  if (options.keep) {
    chosen = refs.filter((r) => !chosen.includes(r));
    removed = chosen.map((r) => r.name);
  }
  if (remote === undefined) await deleteExperimentRefs(gitRoot, chosen);
  else if (chosen.length) {
    // One push of all the deletions: `:ref` refspecs, nothing else on the remote touched.
    await gitWrite(gitWriter(gitRoot, 'git push'), ['push', '--porcelain', '--no-verify', '--', remote, ...chosen.map((r) => `:${r.ref}`)]);
  }
  return removed;
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

/** Names nothing resolved: dvc's queued entries are said to be dvc's to remove; others get a "did you mean". */
async function unresolvedOrQueued(gitRoot: string, names: string[], refs: ExperimentRef[], remote: string | undefined): Promise<CairnError> {
  if (remote === undefined) {
    const queued = (await stashEntries(gitRoot, CELERY_STASH)).filter((e) => names.includes(e.name)).map((e) => e.name);
    if (queued.length) {
      return new CairnError('USAGE', `'${queued.join("; ")}' ${queued.length > 1 ? 'are experiments' : 'is an experiment'} in dvc's queue, which Cairn does not change.`, {
        hint: `Remove ${queued.length > 1 ? 'them' : 'it'} with \`dvc queue remove ${queued.join(' ')}\`.`,
      });
    }
  }
  return unresolvedNames(names, refs.map((r) => r.name), remote);
}
