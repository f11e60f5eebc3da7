import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { runGit } from '../scm/git';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import type { ExperimentRef } from './refs';
import { ambiguousName, headCommit, localExperimentRefs, resolveRevision } from './resolve';
import { assertRefFormat, gitRootOf } from './refWrites';

export interface ExpBranchResult {
  branch: string;
  experiment: string;
  commit: string;
}

/**
 * `exp branch <experiment> [branch]` (dvc: experiments/branch.py): a git branch
 * `refs/heads/<branch>` (default `<name>-branch`) at the experiment's commit, with dvc's reflog
 * message; nothing checked out. An existing branch is refused.
 */
export async function expBranch(repo: Repo, experiment: string, branch?: string): Promise<ExpBranchResult> {
  const gitRoot = gitRootOf(repo);
  const { commit } = await resolveRevision(gitRoot, experiment);
  // dvc finds the experiment by its commit: the refs whose history holds it (scmrepo's `get_refs_containing`).
  const containing = await localExperimentRefs(gitRoot, ['--contains', commit]);
  let ref: ExperimentRef | undefined = containing.length === 1 ? containing[0] : undefined;
  if (containing.length > 1) {
    const head = await headCommit(gitRoot);
    ref = containing.find((r) => r.baseline === head);
    if (!ref) throw ambiguousName(experiment, containing);
  }
  if (!ref) throw new CairnError('USAGE', `'${experiment}' does not appear to be an experiment commit.`, { hint: 'Name an experiment (`cairn exp list -A` lists them).' });
  const name = branch ?? `${ref.name}-branch`;
  const branchRef = `refs/heads/${name}`;
  await assertRefFormat(gitRoot, branchRef, new CairnError('USAGE', `'${name}' is not a valid git branch name.`, { hint: 'See https://git-scm.com/docs/git-check-ref-format.' }));
  if ((await runGit(gitRoot, ['for-each-ref', '--format=%(refname)', branchRef])).trim()) {
    throw new CairnError('USAGE', `Git branch '${name}' already exists.`, { hint: 'Choose another name: `cairn exp branch <experiment> <branch>`.' });
  }
  // The empty old value makes git refuse, atomically, a branch made meanwhile.
  await gitWrite(gitWriter(gitRoot, { what: 'git update-ref' }), ['update-ref', '--create-reflog', '-m', `dvc: Created from experiment '${ref.name}'`, branchRef, ref.sha, '']);
  return { branch: name, experiment: ref.name, commit: ref.sha };
}
