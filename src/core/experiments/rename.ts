import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { headCommit, localExperimentRefs, resolveNames, unresolvedNames } from './resolve';
import { assertRefFormat, gitRootOf, refTarget } from './refWrites';

/**
 * `exp rename <experiment> <new name> [-f]` (dvc: experiments/rename.py): the ref moves to
 * `refs/exps/<baseline>/<new name>` on the same commit. A taken name is refused unless `force`;
 * an invalid one always. Returns the names renamed (none when old and new are the same).
 */
export async function expRename(repo: Repo, experiment: string, newName: string, options: { force?: boolean } = {}): Promise<string[]> {
  if (experiment === newName) return [];
  const gitRoot = gitRootOf(repo);
  const refs = await localExperimentRefs(gitRoot);
  const ref = resolveNames([experiment], refs, await headCommit(gitRoot)).get(experiment);
  if (!ref) throw unresolvedNames([experiment], refs.map((r) => r.name));
  const newRef = `refs/exps/${ref.baseline.slice(0, 2)}/${ref.baseline.slice(2)}/${newName}`;
  const taken = await refTarget(gitRoot, newRef);
  if (taken && !options.force) {
    throw new CairnError('USAGE', `Experiment conflicts with existing experiment '${newName}'.`, { hint: 'To overwrite the existing experiment run: cairn exp rename -f ...' });
  }
  if (newName.includes('/')) throw invalidName(newName);
  await assertRefFormat(gitRoot, newRef, invalidName(newName));
  // The new ref first (refusing one made meanwhile unless forced), then the old one goes: only
  // the ref, as dvc's `_rename_exp` (dvc's exec refs name a commit, which stays).
  const writer = gitWriter(gitRoot, { what: 'git update-ref' });
  await gitWrite(writer, ['update-ref', newRef, ref.sha, ...(options.force ? [] : [taken ?? ''])]);
  await gitWrite(writer, ['update-ref', '-d', ref.ref, ref.sha]);
  return [experiment];
}

function invalidName(name: string): CairnError {
  return new CairnError('USAGE', `Invalid exp name ${name}, the exp name must follow rules in https://git-scm.com/docs/git-check-ref-format`);
}
