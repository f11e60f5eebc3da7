import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { tempPathFor } from '../repo/atomicWrite';

/** DVC's `cache.type` values, tried in the configured order. */
export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const DEFAULT_LINK_TYPES: LinkType[] = ['reflink', 'copy'];

/**
 * Put the cache object at `target` with the first link type that works. The new file is
 * made in `stagingDir` (inside .dvc/tmp, so a killed process leaves no partial file among
 * the user's data) and renamed over the target, which is never half-written. Where the
 * staging folder is on another file system, the temp file goes beside the target instead.
 */
export function linkFromCacheSync(objectPath: string, target: string, linkTypes: LinkType[], isexec: boolean, stagingDir: string): LinkType {
  let lastError: unknown;
  for (const type of linkTypes) {
    for (const tmp of [path.join(stagingDir, crypto.randomBytes(8).toString('hex')), tempPathFor(target)]) {
      try {
        makeLink(type, objectPath, tmp, isexec);
        fs.renameSync(tmp, target);
        return type;
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') break;
      }
    }
  }
  throw lastError ?? new Error(`no usable cache.type among ${linkTypes.join(',')}`);
}

function makeLink(type: LinkType, objectPath: string, tmp: string, isexec: boolean): void {
  // DVC's modes: a writable file, user-executable when the entry says `isexec`.
  const writableMode = isexec ? 0o744 : 0o644;
  switch (type) {
    case 'reflink':
      fs.copyFileSync(objectPath, tmp, fs.constants.COPYFILE_FICLONE_FORCE);
      fs.chmodSync(tmp, writableMode);
      return;
    case 'copy':
      fs.copyFileSync(objectPath, tmp);
      fs.chmodSync(tmp, writableMode);
      return;
    case 'hardlink':
      fs.linkSync(objectPath, tmp);
      return;
    case 'symlink':
      fs.symlinkSync(objectPath, tmp);
      return;
  }
}
