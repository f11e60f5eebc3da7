import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError, throwIfAborted } from '../errors';
import type { Repo } from '../repo/repo';
import { openRemote } from './openRemote';
import { isObjectKey, layoutFiles, objectKey } from './remote';
import { forEachParallel } from './parallel';
import { usedOutputs } from './usedObjects';
import { unreadableFiles } from '../outputs/unreadableFiles';
import { expandObjects } from './transfer';

export interface GcOptions {
  cwd: string;
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  /** Also remove unused objects from a remote (`-c`). */
  cloud?: boolean;
  remote?: string;
  /** Only say what would go. */
  dry?: boolean;
  jobs?: number;
  signal?: AbortSignal;
  /** How long a temp file must have been left alone to count as abandoned (default ABANDONED_AFTER_MS). */
  abandonedAfterMs?: number;
  /** Asked once the plan is known, before anything is removed; false stops gc (nothing removed). */
  confirm?: (plan: GcPlan) => Promise<boolean>;
}

export interface GcPlan {
  /** Objects kept, and the revisions whose outputs keep them. */
  kept: { objects: number; revisions: string[]; outputs: number };
  /** Cache objects to remove: keys like `files/md5/ab/cdef…` (legacy ones without `files/md5/`). */
  cache: string[];
  /** Remote objects to remove (with `cloud`). */
  remote: string[];
  remoteName?: string;
  /**
   * With `cloud`: what killed pushes left on the remote (temp files, unfinished multipart uploads).
   * The cache needs no such list: its staging folders are emptied whenever a writer takes the lock.
   */
  abandoned: string[];
}

export interface GcResult extends GcPlan {
  /** False when nothing was removed (dry run, or not confirmed). */
  removed: boolean;
}

/** An upload nothing has written to for this long was left by a killed push: a live one keeps writing. */
export const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/**
 * `dvc gc`: remove cache objects (and with `cloud`, remote objects) that no output of the
 * chosen revisions uses. The workspace is always kept. Only object files are removed: never
 * workspace files, `.dvc` files, or anything else in the cache folder.
 */
export async function gc(repo: Repo, options: GcOptions): Promise<GcResult> {
  if (!options.workspace && !options.allBranches && !options.allTags && !options.allCommits) {
    throw new CairnError('USAGE', 'Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` or `--all-commits` needs to be set.', {
      hint: '`cairn gc -w` keeps what the workspace uses and removes the rest.',
    });
  }
  return repo.withLock(async () => {
    const outputs = await usedOutputs(repo, { cwd: options.cwd, allBranches: options.allBranches, allTags: options.allTags, allCommits: options.allCommits });
    const unreadable = unreadableFiles(repo);
    if (unreadable.length) {
      // What an unreadable file uses is unknown: removing "unused" objects could remove its data.
      const files = [...new Set(unreadable.map((e) => e.file ?? '?'))];
      throw new CairnError('BAD_FILE', `gc cannot tell which objects ${files.length === 1 ? `'${files[0]}' uses` : `${files.length} files use (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', ...' : ''})`}; nothing was removed`, {
        paths: files,
        hint: 'Fix or restore the files named above, then run gc again.',
      });
    }
    const { refs } = expandObjects(outputs, (o) => repo.store.readDir(o.md5, o.hashName));
    const keep = new Set(refs.keys());
    for (const o of outputs) keep.add(objectKey(o.md5, o.hashName));
    const revisions = [...new Set(outputs.map((o) => o.rev))];
    const plan: GcPlan = {
      kept: { objects: keep.size, revisions, outputs: outputs.length },
      cache: layoutFiles(repo.store.cacheDir).filter((k) => isObjectKey(k) && !keep.has(k)).sort(),
      remote: [],
      abandoned: [],
    };
    const remote = options.cloud ? openRemote(repo, options.remote, 'gc') : undefined;
    try {
      if (remote) {
        plan.remoteName = remote.name;
        const listed = [...(await remote.list('files/md5/', options.signal)), ...(await remote.list('', options.signal)).filter((k) => !k.startsWith('files/'))];
        plan.remote = [...new Set(listed)].filter((k) => isObjectKey(k) && !keep.has(k)).sort();
        plan.abandoned = (await remote.abandonedUploads(options.abandonedAfterMs ?? ABANDONED_AFTER_MS, options.signal)).sort();
      }
      throwIfAborted(options.signal);
      if (options.dry || (options.confirm && !(await options.confirm(plan)))) return { ...plan, removed: false };
      for (const key of plan.cache) {
        const file = path.join(repo.store.cacheDir, ...key.split('/'));
        await fs.promises.rm(file, { force: true });
      }
      if (remote) {
        await forEachParallel(plan.remote, options.jobs ?? remote.defaultJobs, (k) => remote.remove(k, options.signal), options.signal);
        await forEachParallel(plan.abandoned, options.jobs ?? remote.defaultJobs, (id) => remote.removeAbandoned(id, options.signal), options.signal);
      }
      return { ...plan, removed: true };
    } finally {
      remote?.close();
    }
  });
}
