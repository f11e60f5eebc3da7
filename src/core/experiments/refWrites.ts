import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { runGit } from '../scm/git';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import type { ExperimentRef } from './refs';

/** dvc's exec refs an experiment's removal also clears (dvc: experiments/refs.py). */
export const EXEC_APPLY = 'refs/exps/exec/EXEC_APPLY';
export const EXEC_BRANCH = 'refs/exps/exec/EXEC_BRANCH';

/** The git work tree of a repository; experiments need one. */
export function gitRootOf(repo: Repo): string {
  if (!repo.scm) throw new CairnError('USAGE', 'experiments need git: this DVC repository is not in a git work tree.', { hint: 'Run `git init` and commit first.' });
  return repo.scm.root;
}

/** Refuses, with `refusal`, a ref name git would not accept (`git check-ref-format`). */
export async function assertRefFormat(gitRoot: string, ref: string, refusal: CairnError): Promise<void> {
  try {
    await runGit(gitRoot, ['check-ref-format', ref]);
  } catch {
    throw refusal;
  }
}

/** The commit a ref points at (not following a symbolic ref), or undefined. */
export async function refTarget(gitRoot: string, ref: string): Promise<string | undefined> {
  const out = await runGit(gitRoot, ['for-each-ref', '--format=%(objectname)', ref]);
  return out.split('\n')[0] || undefined;
}

/**
 * Deletes local experiment refs as dvc's `remove_exp_refs`: each only if it still points where
 * it was read (git checks the old value), and dvc's `EXEC_BRANCH` and an `EXEC_APPLY` naming the
 * experiment's commit with it.
 */
export async function deleteExperimentRefs(gitRoot: string, refs: ExperimentRef[]): Promise<void> {
  if (!refs.length) return;
  const writer = gitWriter(gitRoot, { what: 'git update-ref' });
  const execBranch = (await runGit(gitRoot, ['for-each-ref', '--format=%(refname)', EXEC_BRANCH])).trim();
  const execApply = await refTarget(gitRoot, EXEC_APPLY);
  if (execBranch) await gitWrite(writer, ['update-ref', '--no-deref', '-d', EXEC_BRANCH]);
  for (const ref of refs) {
    if (execApply && execApply === ref.sha) await gitWrite(writer, ['update-ref', '-d', EXEC_APPLY, execApply]);
    await gitWrite(writer, ['update-ref', '-d', ref.ref, ref.sha]);
  }
}
