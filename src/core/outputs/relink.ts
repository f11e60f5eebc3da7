import type { Repo } from '../repo/repo';
import type { OutState } from './workspaceState';
import type { WorkerTask } from '../hashing/workerProtocol';
import { CairnError } from '../errors';
import { statFile } from '../hashing/statIndex';

/**
 * After data enters the cache, make the workspace copies links to it when `cache.type`
 * asks for hardlinks or symlinks (for reflink/copy the workspace already holds the bytes).
 */
export async function relinkWorkspace(repo: Repo, state: OutState, signal?: AbortSignal): Promise<void> {
  const types = repo.linkTypes;
  if (types[0] === 'reflink' || types[0] === 'copy') return;
  const stagingDir = repo.workspaceStagingDir;
  const tasks: WorkerTask[] = state.files.map((f) => ({
    op: 'link',
    path: f.abs,
    objectPath: repo.store.pathOf(f.md5, 'md5'),
    linkTypes: types,
    isexec: f.isexec,
    stagingDir,
  }));
  const results = await repo.pool.run(tasks, { signal });
  results.forEach((r, i) => {
    const f = state.files[i];
    if (!r.ok) throw new CairnError('BAD_FILE', `cannot link ${repo.rel(f.abs)} to the cache: ${r.error}`);
    // The link is a new inode: remember its hash so the next status does not re-read it.
    const stat = statFile(f.abs);
    if (stat) repo.statIndex.record(f.abs, stat, 'md5', f.md5);
  });
}
