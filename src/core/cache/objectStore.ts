import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HashName } from '../hashing/hashNames';
import { DirEntry, parseDirManifest } from '../hashing/dirManifest';
import { objectPathFor, commitStagedObject, stagingPath } from '../hashing/hashFile';
import { digest } from '../hashing/digest';
import { corruptManifestError } from './verifyObjects';
import { readRepoFileSync } from '../repo/readRepoFile';

/** Remembers directories found complete in the cache (kept by the stat index). */
export interface CompletenessMemo {
  completeDir(dirObject: string): Record<string, number> | undefined;
  recordCompleteDir(dirObject: string, prefixMtimes: Record<string, number>): void;
}

function folderMtime(dir: string): number {
  try {
    return fs.statSync(dir).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * DVC's cache: DVC 3 objects under `<cache>/files/md5/ab/cdef…`, DVC 2 (md5-dos2unix)
 * objects at `<cache>/ab/cdef…`. Objects are read-only and complete once visible.
 */
export class ObjectStore {
  readonly objectsDir: string;
  readonly stagingDir: string;

  constructor(readonly cacheDir: string) {
    this.objectsDir = path.join(cacheDir, 'files', 'md5');
    // Partly written objects live here until renamed into place; never read as objects.
    this.stagingDir = path.join(cacheDir, '.cairn-staging');
  }

  objectsDirFor(hashName: HashName): string {
    return hashName === 'md5' ? this.objectsDir : this.cacheDir;
  }

  pathOf(md5: string, hashName: HashName): string {
    return objectPathFor(this.objectsDirFor(hashName), md5);
  }

  has(md5: string, hashName: HashName): boolean {
    return fs.existsSync(this.pathOf(md5, hashName));
  }

  /** Objects never change, so a manifest read once is kept. */
  private manifests = new Map<string, DirEntry[]>();

  /** A directory's manifest, or undefined when its `.dir` object is not in the cache. */
  readDir(md5: string, hashName: HashName): DirEntry[] | undefined {
    const file = this.pathOf(md5, hashName);
    const known = this.manifests.get(file);
    if (known) return known;
    let bytes: Buffer;
    try {
      bytes = readRepoFileSync(file);
    } catch {
      return undefined; // absent, or not a regular file (a FIFO would block the read)
    }
    // Read whole anyway, so verified on every read: a manifest names the files to restore or push.
    const shown = path.relative(process.cwd(), file) || file;
    const found = digest('md5', bytes);
    if (found !== md5.replace(/\.dir$/, '')) throw corruptManifestError(shown, found);
    const entries = parseDirManifest(bytes.toString('utf8'), shown);
    this.manifests.set(file, entries);
    return entries;
  }

  /** Store `.dir` manifest bytes under their hash (DVC 3 layout). */
  writeDir(md5: string, bytes: string): void {
    if (this.has(md5, 'md5')) return;
    fs.mkdirSync(this.stagingDir, { recursive: true });
    const tmp = stagingPath(this.stagingDir);
    fs.writeFileSync(tmp, bytes, { mode: 0o444 });
    commitStagedObject(tmp, this.objectsDir, md5);
  }

  /**
   * Whether an output's object, and for a directory every file in it, is in the cache.
   * With a memo, a directory found complete is not listed again while none of its objects'
   * prefix folders has changed (removing an object changes its folder's mtime).
   */
  hasAll(md5: string, hashName: HashName, memo?: CompletenessMemo): boolean {
    if (!md5.endsWith('.dir')) return this.has(md5, hashName);
    const root = this.objectsDirFor(hashName);
    const dirObject = this.pathOf(md5, hashName);
    const seen = memo?.completeDir(dirObject);
    if (seen && Object.entries(seen).every(([prefix, mtime]) => folderMtime(path.join(root, prefix)) === mtime) && fs.existsSync(dirObject)) {
      return true;
    }
    const entries = this.readDir(md5, hashName);
    if (!entries) return false;
    // Taken before checking, so a removal during the check shows as a changed folder later.
    const prefixMtimes: Record<string, number> = {};
    for (const e of entries) prefixMtimes[e.md5.slice(0, 2)] ??= folderMtime(path.join(root, e.md5.slice(0, 2)));
    if (this.missing(entries.map((e) => e.md5), hashName).length > 0) return false;
    memo?.recordCompleteDir(dirObject, prefixMtimes);
    return true;
  }

  /**
   * The hashes of `md5s` not in the cache. Many objects are checked by listing their
   * prefix folders (at most 256 readdirs) rather than one `access` each.
   */
  missing(md5s: string[], hashName: HashName): string[] {
    if (md5s.length < 512) return md5s.filter((m) => !this.has(m, hashName));
    const root = this.objectsDirFor(hashName);
    const present = new Map<string, Set<string>>();
    return md5s.filter((m) => {
      const prefix = m.slice(0, 2);
      let names = present.get(prefix);
      if (!names) {
        try {
          names = new Set(fs.readdirSync(path.join(root, prefix)));
        } catch {
          names = new Set();
        }
        present.set(prefix, names);
      }
      return !names.has(m.slice(2));
    });
  }
}
