import { GitObjectReader } from '../metrics/gitObjectReader';
import { runGit } from '../scm/git';
import { LegacyArtifact, readLegacyIndex } from './legacyIndex';
import { CommitInfo, readCommitInfo, readRegistryTags } from './readTags';
import { buildState, RegistryState } from './state';

/**
 * The registry of the git work tree `gitRoot` as GTO reads it: every annotated GTO tag, the
 * commit of each version and HEAD, and their legacy `artifacts.yaml`. One `cat-file --batch`
 * reads them all.
 */
export async function readRegistry(gitRoot: string): Promise<RegistryState> {
  const reader = new GitObjectReader(gitRoot);
  try {
    const tags = await readRegistryTags(gitRoot, reader);
    const head = (await runGit(gitRoot, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { allowedExitCodes: [1] })).trim() || undefined;
    const commits = new Map<string, CommitInfo>();
    const legacyIndexes = new Map<string, Map<string, LegacyArtifact> | undefined>();
    for (const sha of new Set([...tags.map((t) => t.target), ...(head ? [head] : [])])) {
      const info = await readCommitInfo(reader, sha);
      if (!info) continue;
      commits.set(sha, info);
      legacyIndexes.set(sha, await readLegacyIndex(reader, sha));
    }
    return buildState(tags, { commits, legacyIndexes, head });
  } finally {
    reader.close();
  }
}
