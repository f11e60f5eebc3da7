import type { Remote } from './remote';
import { forEachParallel } from './parallel';

/** DVC's constants for choosing between listing a remote and asking per object (dvc-objects). */
const PAGE_SIZE = 1000;
const WEIGHT_MULTIPLIER = 5;
const THRESHOLD_SIZE = 500_000;
const PREFIXES = 256;

export interface QueryPlan {
  method: 'head' | 'list-prefixes' | 'list-all';
  estimatedRemoteSize: number;
}

/**
 * Which of `keys` the remote holds. Like DVC, the remote's size is estimated by listing one
 * prefix (`files/md5/00/`) and multiplying by 256; asking per object (HEAD, or `access` on a
 * folder) wins when there are few keys against a big remote, listing wins otherwise. Unlike
 * DVC, only the prefixes the keys fall in are listed. A local remote is read by folder.
 */
export async function remoteHas(
  remote: Remote,
  keys: string[],
  options: { jobs: number; signal?: AbortSignal; onPlan?: (plan: QueryPlan) => void },
): Promise<Set<string>> {
  const present = new Set<string>();
  if (keys.length === 0) return present;
  const unique = [...new Set(keys)];
  const dvc3 = unique.filter((k) => k.startsWith('files/md5/'));
  const legacy = unique.filter((k) => !k.startsWith('files/md5/'));
  const head = async (ks: string[]) =>
    forEachParallel(ks, options.jobs, async (k) => {
      if (await remote.exists(k, options.signal)) present.add(k);
    }, options.signal);
  const listPrefixes = async (ks: string[], base: string) => {
    const prefixes = [...new Set(ks.map((k) => k.slice(0, base.length + 3)))];
    const wanted = new Set(ks);
    await forEachParallel(prefixes, options.jobs, async (p) => {
      for (const k of await remote.list(p, options.signal)) if (wanted.has(k)) present.add(k);
    }, options.signal);
  };

  if (remote.kind === 'local') {
    // A readdir per prefix folder beats a stat per object once there are more objects than folders.
    if (dvc3.length > 64) await listPrefixes(dvc3, 'files/md5/');
    else await head(dvc3);
    options.onPlan?.({ method: dvc3.length > 64 ? 'list-prefixes' : 'head', estimatedRemoteSize: -1 });
    await head(legacy);
    return present;
  }

  if (dvc3.length <= 1) {
    await head(dvc3);
    options.onPlan?.({ method: 'head', estimatedRemoteSize: -1 });
  } else {
    const sample = await remote.list('files/md5/00/', options.signal);
    const estimatedRemoteSize = PREFIXES * Math.max(1, sample.length);
    const wanted = new Set(dvc3);
    for (const k of sample) if (wanted.has(k)) present.add(k);
    const pages = estimatedRemoteSize / PAGE_SIZE;
    const weight = estimatedRemoteSize > THRESHOLD_SIZE ? pages * WEIGHT_MULTIPLIER : pages;
    if (dvc3.length < weight) {
      options.onPlan?.({ method: 'head', estimatedRemoteSize });
      await head(dvc3.filter((k) => !k.startsWith('files/md5/00/')));
    } else if (pages < PREFIXES / options.jobs) {
      // Small remote: one listing of everything costs fewer requests than 256 prefixes.
      options.onPlan?.({ method: 'list-all', estimatedRemoteSize });
      for (const k of await remote.list('files/md5/', options.signal)) if (wanted.has(k)) present.add(k);
    } else {
      options.onPlan?.({ method: 'list-prefixes', estimatedRemoteSize });
      await listPrefixes(dvc3.filter((k) => !k.startsWith('files/md5/00/')), 'files/md5/');
    }
  }
  await head(legacy);
  return present;
}
