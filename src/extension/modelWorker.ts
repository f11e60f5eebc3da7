import { parentPort } from 'node:worker_threads';
import { Repo } from '../core/repo/repo';
import { outputStatuses } from '../core/outputs/status';
import { describeOutput } from '../core/outputs/list';
import { CairnError } from '../core/errors';
import type { ModelSnapshot, TrackedItem } from './trackedItem';

/**
 * Runs in a worker thread of the extension host: walking and stat-ing big trees never
 * blocks the UI thread. Answers `{id, snapshot}` for each `{id, root}` request.
 */
parentPort!.on('message', async ({ id, root, hashJobs }: { id: number; root: string; hashJobs?: number }) => {
  let snapshot: ModelSnapshot;
  try {
    const statuses = await Repo.using(root, { hashJobs }, (repo) => outputStatuses(repo, [], { cwd: root }));
    const items: TrackedItem[] = statuses.map(({ output, status }) => ({ ...describeOutput(output), status: status ?? 'in sync' }));
    snapshot = { ok: true, items };
  } catch (err) {
    snapshot = { ok: false, error: err instanceof CairnError ? err.oneLine() : (err as Error).message };
  }
  parentPort!.postMessage({ id, snapshot });
});
