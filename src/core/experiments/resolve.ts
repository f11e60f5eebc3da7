import { CairnError } from '../errors';
import { nearestName } from '../nearestName';
import { runGit } from '../scm/git';
import { ExperimentRef, parseExperimentRef } from './refs';
import { CELERY_STASH, QueueEntry, stashEntries } from './queue';

/**
 * Experiment names resolved as dvc resolves them (dvc: experiments/utils.py `resolve_name`,
 * scm.py `resolve_rev`): a full `refs/exps/...` ref, or a name that one experiment has, or that
 * several have but only one of them on HEAD's commit; several elsewhere is an error listing them.
 */

/**
 * The repository's experiment refs (dvc's own namespaces left out), in ref order; `filter`: more
 * `for-each-ref` options (`--contains <commit>`).
 */
export async function localExperimentRefs(gitRoot: string, filter: string[] = []): Promise<ExperimentRef[]> {
  const out = await runGit(gitRoot, ['for-each-ref', '--format=%(objectname) %(refname)', ...filter, 'refs/exps/']);
  const refs: ExperimentRef[] = [];
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ');
    const parsed = space > 0 ? parseExperimentRef(line.slice(space + 1), line.slice(0, space)) : undefined;
    if (parsed) refs.push(parsed);
  }
  return refs;
}

/** The commit HEAD is on, or undefined in a repository without commits. */
export async function headCommit(gitRoot: string): Promise<string | undefined> {
  try {
    return (await runGit(gitRoot, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Each name's experiment among `refs` (undefined when none has it), as dvc's `resolve_name`:
 * a full ref names itself; a name several experiments share picks the one of HEAD's commit,
 * else is an error listing their refs.
 */
export function resolveNames(names: string[], refs: ExperimentRef[], head: string | undefined): Map<string, ExperimentRef | undefined> {
  const result = new Map<string, ExperimentRef | undefined>();
  for (const name of names) {
    if (name.startsWith('refs/')) {
      result.set(name, refs.find((r) => r.ref === name));
      continue;
    }
    const matches = refs.filter((r) => r.name === name);
    if (matches.length <= 1) result.set(name, matches[0]);
    else {
      const onHead = matches.find((r) => r.baseline === head);
      if (!onHead) throw ambiguousName(name, matches);
      result.set(name, onHead);
    }
  }
  return result;
}

export function ambiguousName(name: string, matches: ExperimentRef[]): CairnError {
  return new CairnError('USAGE', `Ambiguous name '${name}' refers to multiple experiments.`, {
    hint: `Use one of the following full refnames instead: ${matches.map((m) => m.ref).join(', ')}.`,
    paths: matches.map((m) => m.ref),
  });
}

/**
 * dvc's "not a valid experiment name" for names nothing matched (`missingFromRemote`: "does not
 * exist in <remote>", as dvc's `exp remove -g`), with a "did you mean" for the first.
 */
export function unresolvedNames(names: string[], known: Iterable<string>, where: { gitRemote?: string; missingFromRemote?: boolean } = {}): CairnError {
  const joined = names.join('; ');
  const message = where.missingFromRemote
    ? `Experiment '${joined}' does not exist in '${where.gitRemote}'.`
    : names.length > 1
      ? `'${joined}' are not valid experiment names.`
      : `'${joined}' is not a valid experiment name.`;
  const meant = nearestName(names[0], new Set(known));
  return new CairnError('USAGE', message, {
    hint: meant ? `Did you mean '${meant}'?` : `\`cairn exp list${where.gitRemote === undefined ? '' : ` ${where.gitRemote}`} -A\` lists the experiments.`,
    suggestion: meant ? { from: names[0], to: meant } : undefined,
  });
}

/** What `exp apply` (or `exp branch`) was given, resolved: a commit, and the experiment it is when it is one. */
export interface ResolvedRevision {
  commit: string;
  /** The experiment ref the name resolved through (a name or full ref), if any. */
  ref?: ExperimentRef;
  /** A queued experiment of dvc's (`refs/exps/celery/stash`), when the name is one. */
  queued?: QueueEntry;
}

/** A word a user typed that may be passed to git as a revision: no option, no line break a batch reader would split. */
export function isRevisionWord(rev: string): boolean {
  return !!rev && !rev.startsWith('-') && !/[\0\n\r]/.test(rev);
}

/**
 * A revision as dvc's `exp apply` resolves it: whatever git resolves (sha or prefix, branch,
 * tag, full ref), else an experiment name (`resolveNames`), else the name of an entry in dvc's
 * queue (with `queued`). Unknown: dvc's "does not appear to be an experiment commit" (or, with
 * `unknown: 'revision'`, "unknown revision") with a "did you mean".
 */
export async function resolveRevision(gitRoot: string, rev: string, options: { queued?: boolean; unknown?: 'experiment' | 'revision' } = {}): Promise<ResolvedRevision> {
  const refs = await localExperimentRefs(gitRoot);
  // dvc asks git first: a branch or tag wins over an experiment of the same name. A word git could
  // read as an option is not asked about; it may still be an experiment's name (`refs/exps/.../-f`).
  const commit = isRevisionWord(rev) ? await gitCommit(gitRoot, rev) : undefined;
  if (commit) return { commit, ref: refs.find((r) => r.ref === rev) };
  if (!rev.startsWith('refs/') && rev !== 'HEAD') {
    const ref = resolveNames([rev], refs, await headCommit(gitRoot)).get(rev);
    // A ref of a cloned repository may name a tag or a tree: only a commit is an experiment.
    const expCommit = ref && (await gitCommit(gitRoot, ref.sha));
    if (ref && expCommit) return { commit: expCommit, ref };
  }
  if (options.queued) {
    const queued = (await stashEntries(gitRoot, CELERY_STASH)).find((e) => e.name === rev);
    if (queued) return { commit: queued.stashRev, queued };
  }
  const unknown = unresolvedNames([rev], refs.map((r) => r.name));
  const message = options.unknown === 'revision' ? `unknown revision '${rev}'.` : `'${rev}' does not appear to be an experiment commit.`;
  throw new CairnError('USAGE', message, { hint: unknown.hint, suggestion: unknown.suggestion });
}

/** The commit git resolves `rev` to, or undefined (`rev` must pass `isRevisionWord`). */
export async function gitCommit(gitRoot: string, rev: string): Promise<string | undefined> {
  try {
    return (await runGit(gitRoot, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
