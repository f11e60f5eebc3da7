import type { Repo } from '../repo/repo';
import { openRemote, remoteNameFor } from './openRemote';
import type { Remote } from './remote';
import { emptyResult, fetchObjects, mergeResults, pushObjects, TransferOptions, TransferResult } from './transfer';
import { remoteOfOutput, UsedOptions, UsedOutput, usedOutputs } from './usedObjects';
import { checkout, CheckoutResult } from '../outputs/checkout';
import { fetchRunCache, pushRunCache } from './runCacheSync';

/** Options of `push`, `fetch` and `pull`: which outputs (targets, revisions), which remote, how fast. */
export interface SyncOptions extends Omit<UsedOptions, 'forPush'>, TransferOptions {
  /** Also DVC's run cache (`--run-cache`): its entries and the outputs they record, to or from the remote asked for (else the default). */
  runCache?: boolean;
}

/** Outputs grouped by the remote their objects live on (an output's own `remote:` wins). */
export function groupByRemote(repo: Repo, outputs: UsedOutput[], asked: string | undefined, command: string): Map<string, UsedOutput[]> {
  const groups = new Map<string, UsedOutput[]>();
  for (const o of outputs) {
    const name = remoteNameFor(repo, remoteOfOutput(o, asked), command);
    const list = groups.get(name) ?? [];
    list.push(o);
    groups.set(name, list);
  }
  return groups;
}

async function eachRemote(
  repo: Repo,
  outputs: UsedOutput[],
  options: SyncOptions,
  command: string,
  fn: (remote: Remote, outs: UsedOutput[]) => Promise<TransferResult>,
): Promise<TransferResult> {
  let total = emptyResult();
  for (const [name, outs] of groupByRemote(repo, outputs, options.remote, command)) {
    const remote = openRemote(repo, name, command);
    try {
      total = mergeResults(total, await fn(remote, outs));
    } finally {
      remote.close();
    }
  }
  return total;
}

async function withRemote(repo: Repo, name: string | undefined, command: string, fn: (remote: Remote) => Promise<TransferResult>): Promise<TransferResult> {
  const remote = openRemote(repo, name, command);
  try {
    return await fn(remote);
  } finally {
    remote.close();
  }
}

/** `dvc push`: upload the cached objects of the chosen outputs (not `push: false` ones) that the remote lacks. */
export async function push(repo: Repo, options: SyncOptions): Promise<TransferResult> {
  repo.pool.warm(); // its threads start while the outputs are collected
  const outputs = await usedOutputs(repo, { ...options, forPush: true });
  const pushed = await eachRemote(repo, outputs, options, 'push', (remote, outs) => pushObjects(repo, remote, outs, options));
  return options.runCache ? mergeResults(pushed, await withRemote(repo, options.remote, 'push', (remote) => pushRunCache(repo, remote, options))) : pushed;
}

/** `dvc fetch`: download into the cache the objects of the chosen outputs that it lacks, verified. */
export async function fetch(repo: Repo, options: SyncOptions): Promise<TransferResult> {
  return repo.withLock(async () => {
    repo.pool.warm();
    const runs = options.runCache ? await withRemote(repo, options.remote, 'fetch', (remote) => fetchRunCache(repo, remote, options)) : emptyResult();
    const outputs = await usedOutputs(repo, options);
    return mergeResults(runs, await eachRemote(repo, outputs, options, 'fetch', (remote, outs) => fetchObjects(repo, remote, outs, options)));
  });
}

/** `dvc pull`: fetch, then check the workspace out from the cache. */
export async function pull(repo: Repo, options: SyncOptions & { force?: boolean }): Promise<{ fetch: TransferResult; checkout: CheckoutResult }> {
  const fetched = await fetch(repo, options);
  const targets = options.targets ?? [];
  const checkedOut = await checkout(repo, targets, { cwd: options.cwd, force: options.force, signal: options.signal, onProgress: options.onProgress });
  return { fetch: fetched, checkout: checkedOut };
}
