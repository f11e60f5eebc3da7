import { CairnError, throwIfAborted } from '../errors';
import { joinClean } from '../repo/atomicWrite';
import { readRepoFile } from '../repo/readRepoFile';
import type { Repo } from '../repo/repo';
import type { LockStage } from '../pipeline/lockFile';
import { entryHashName, parseRunCacheEntry, RUN_ENTRY_BYTES, runEntryKeys, splitRunEntryKey, writeRunEntryFile } from '../pipeline/runCache';
import { objectKey, type Remote } from './remote';
import { remoteHas } from './remoteIndex';
import { emptyResult, fetchObjects, mergeResults, pushObjects, TransferOptions, TransferResult } from './transfer';
import type { UsedOutput } from './usedObjects';

/**
 * `push --run-cache` / `fetch --run-cache`: DVC's run-cache entries (`runs/ab/<key>/<value>`, in
 * the cache and on the remote alike) and the outputs they record. dvc 3 moves the entries only;
 * Cairn moves the outputs too (those the sending side holds), so a clone that fetched the run
 * cache checks a run out instead of running it. Every entry is checked (pipeline/runCache) before
 * its outputs are named or it is written: an entry from a remote or a cloned cache is hostile
 * input, refused by name.
 */

/** Upload the recorded outputs the remote lacks, then the entries it lacks (so an entry there has its outputs). */
export async function pushRunCache(repo: Repo, remote: Remote, options: TransferOptions = {}): Promise<TransferResult> {
  const result = emptyResult();
  const entries = await readEntries(repo, runEntryKeys(repo.store.cacheDir), result);
  const outputs = entriesOutputs(entries.map((e) => e.stage)).filter((o) => repo.store.hasAll(o.md5, o.hashName, repo.statIndex));
  const pushed = await pushObjects(repo, remote, outputs, options);
  const there = new Set(await remote.listRunEntries(options.signal));
  for (const { key, bytes } of entries) {
    throwIfAborted(options.signal);
    if (there.has(key)) {
      result.skipped++;
      continue;
    }
    await remote.writeRunEntry(key, bytes, options.signal);
    result.transferred++;
    result.bytes += bytes.length;
  }
  result.failed = result.failures.length;
  return mergeResults(result, pushed);
}

/** Download the entries the cache lacks (each checked first), then the outputs of every entry the remote has that the cache lacks. */
export async function fetchRunCache(repo: Repo, remote: Remote, options: TransferOptions = {}): Promise<TransferResult> {
  const result = emptyResult();
  const local = new Set(runEntryKeys(repo.store.cacheDir));
  const stages: LockStage[] = [];
  for (const key of await remote.listRunEntries(options.signal)) {
    throwIfAborted(options.signal);
    const shown = `${remote.name}:${key}`;
    try {
      if (local.has(key)) {
        stages.push(...(await readEntries(repo, [key], result)).map((e) => e.stage));
        result.skipped++;
        continue;
      }
      const bytes = await remote.readRunEntry(key, RUN_ENTRY_BYTES, options.signal);
      stages.push(parseRunCacheEntry(bytes, shown, splitRunEntryKey(key)));
      await writeRunEntryFile(repo.store.cacheDir, key, bytes);
      result.transferred++;
      result.bytes += bytes.length;
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      // A bad entry on the remote: the remote is at fault, not this repository.
      result.failures.push({ object: key, path: 'run cache', message: err.message });
    }
  }
  // Only outputs the remote holds: a run whose outputs never left its machine is not an error (repro runs it).
  const wanted = entriesOutputs(stages).filter((o) => !repo.store.hasAll(o.md5, o.hashName, repo.statIndex));
  const present = await remoteHas(remote, wanted.map((o) => objectKey(o.md5, o.hashName)), { jobs: options.jobs ?? remote.defaultJobs, signal: options.signal });
  const fetched = await fetchObjects(repo, remote, wanted.filter((o) => present.has(objectKey(o.md5, o.hashName))), options);
  result.failed = result.failures.length;
  return mergeResults(result, fetched);
}

/** The local entries, read and checked; one that fails a check is a refused failure and is left out. */
async function readEntries(repo: Repo, keys: string[], result: TransferResult): Promise<{ key: string; bytes: Buffer; stage: LockStage }[]> {
  const entries: { key: string; bytes: Buffer; stage: LockStage }[] = [];
  for (const key of keys) {
    const file = joinClean(repo.store.cacheDir, key);
    try {
      const bytes = await readRepoFile(file, repo.rel(file), RUN_ENTRY_BYTES);
      entries.push({ key, bytes, stage: parseRunCacheEntry(bytes, repo.rel(file), splitRunEntryKey(key)) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone since it was listed
      if (!(err instanceof CairnError)) throw err;
      result.failures.push({ object: key, path: 'run cache', message: err.message, refused: true });
    }
  }
  return entries;
}

/** The outputs the entries record, each object once, named by its path for messages. */
function entriesOutputs(stages: LockStage[]): UsedOutput[] {
  const seen = new Map<string, UsedOutput>();
  for (const stage of stages) {
    for (const o of stage.outs) {
      const hashName = entryHashName(o);
      const key = objectKey(o.md5!, hashName);
      if (!seen.has(key)) seen.set(key, { rev: 'run cache', rel: o.path, md5: o.md5!, hashName, size: o.size, nfiles: o.nfiles });
    }
  }
  return [...seen.values()];
}
