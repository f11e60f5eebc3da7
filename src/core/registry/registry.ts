import { GitObjectReader } from '../metrics/gitObjectReader';
import { CommitInfo, readCommitInfo, readRegistryTags } from './readTags';
import { buildState, RegistryState } from './state';

/**
 * The registry of the git work tree `gitRoot` as GTO reads it: every annotated GTO tag, and the
 * commit of each version. One `cat-file --batch` reads them all.
 */
export async function readRegistry(gitRoot: string): Promise<RegistryState> {
  const reader = new GitObjectReader(gitRoot);
  try {
    const tags = await readRegistryTags(gitRoot, reader);
    const commits = new Map<string, CommitInfo>();
    for (const sha of new Set(tags.map((t) => t.target))) {
      const info = await readCommitInfo(reader, sha);
      if (info) commits.set(sha, info);
    }
    return buildState(tags, commits);
  } finally {
    reader.close();
  }
}
