import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { copyFileBytesSync, CopyProgress, tempPathFor } from '../repo/atomicWrite';

/** DVC's `cache.type` values, tried in the configured order. */
export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const DEFAULT_LINK_TYPES: LinkType[] = ['reflink', 'copy'];

/**
 * Put the cache object at `target` with the first link type that works. The new file is
 * made in `stagingDir` (inside .dvc/tmp, so a killed process leaves no partial file among
 * the user's data) and renamed over the target, which is never half-written. Where the
 * staging folder is on another file system, the temp file goes beside the target instead.
 */
export function linkFromCacheSync(objectPath: string, target: string, linkTypes: LinkType[], isexec: boolean, stagingDir: string, onProgress?: CopyProgress): LinkType {
  let lastError: unknown;
  const cacheDir = path.dirname(path.dirname(objectPath));
  for (const type of linkTypes) {
    const known = `${type}\0${cacheDir}\0${stagingDir}`;
    if (unsupported.has(known) && type !== linkTypes[linkTypes.length - 1]) continue;
    for (const tmp of [path.join(stagingDir, `${process.pid}-${threadId}-${tempCounter++}.link`), tempPathFor(target)]) {
      try {
        makeLink(type, objectPath, tmp, isexec, onProgress);
        fs.renameSync(tmp, target);
        return type;
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        lastError = err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') unsupported.add(known);
        if (code !== 'EXDEV') break;
      }
    }
  }
  throw lastError ?? new Error(`no usable cache.type among ${linkTypes.join(',')}`);
}

/**
 * Link types the file system refused outright (e.g. reflink on ext4), per cache and staging
 * folder: not tried again for every file of a big checkout.
 */
const unsupported = new Set<string>();
let tempCounter = 0;

/** DVC's modes for a workspace file: writable, user-executable when the entry says `isexec`. */
export const writableMode = (isexec: boolean): number => (isexec ? 0o744 : 0o644);

function makeLink(type: LinkType, objectPath: string, tmp: string, isexec: boolean, onProgress?: CopyProgress): void {
  switch (type) {
    case 'reflink':
      copyFileBytesSync(objectPath, tmp, writableMode(isexec), 'force');
      return;
    case 'copy':
      copyFileBytesSync(objectPath, tmp, writableMode(isexec), 'try', onProgress);
      return;
    case 'hardlink':
      fs.linkSync(objectPath, tmp);
      return;
    case 'symlink':
      fs.symlinkSync(objectPath, tmp);
      return;
  }
}
