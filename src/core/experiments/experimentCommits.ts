import { runGit } from '../scm/git';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import type { ExperimentRef } from './refs';

/**
 * The commits of each experiment, from its tip back along first parents to its baseline
 * (exclusive), as dvc's `exp_commits` walks them: the revisions whose outputs `exp push/pull`
 * move. A walk stops at a root or at a commit that is not here.
 */
export async function experimentCommits(objects: GitObjectReader, refs: ExperimentRef[]): Promise<string[]> {
  const commits = new Set<string>();
  for (const ref of refs) {
    let sha: string | undefined = ref.sha;
    while (sha && !commits.has(sha)) {
      const commit = await objects.read(sha);
      if (commit?.type !== 'commit') break;
      commits.add(sha);
      const parent: string | undefined = /^parent ([0-9a-f]+)$/m.exec(headerOf(commit.data))?.[1];
      sha = parent === ref.baseline ? undefined : parent;
    }
  }
  return [...commits];
}

/** Whether `ancestor` is `commit` or one of its ancestors (false when `ancestor` is not here). */
export async function isAncestor(gitRoot: string, objects: GitObjectReader, ancestor: string, commit: string): Promise<boolean> {
  if ((await objects.read(ancestor))?.type !== 'commit') return false;
  // When it is an ancestor it is the one best common ancestor; exit 1: none in common.
  return (await runGit(gitRoot, ['merge-base', ancestor, commit], { allowedExitCodes: [1] })).trim() === ancestor;
}

/** A commit's header lines (before the blank line that starts its message). */
function headerOf(data: Buffer): string {
  const text = data.toString('utf8');
  const end = text.indexOf('\n\n');
  return end < 0 ? text : text.slice(0, end);
}
