import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../repo/atomicWrite';
import type { HashName } from './hashNames';
import type { CompletenessMemo } from '../cache/objectStore';

/** What a file looked like when it was hashed: enough to know it has not changed since. */
export interface FileStat {
  ino: number;
  size: number;
  /** Modification time in ms, with the file system's sub-ms precision. */
  mtimeMs: number;
  isexec: boolean;
}

/** The part of a file's stat that says a cache object is still the file that was hashed. */
export type ObjectStat = Pick<FileStat, 'ino' | 'size' | 'mtimeMs'>;

/** [ino, size, mtimeMs, md5, hashName, hashedAt]: arrays keep the file small and its loading fast. */
type IndexEntry = [number, number, number, string, HashName, number];

/** Files modified this close to the moment they were hashed may change again unseen (racy-git). */
const RACY_WINDOW_MS = 2000;

/**
 * A persisted map (inode, size, mtime) → md5, in `.dvc/tmp/cairn/stat-index.json`, so that
 * a file is hashed once and `status` on an unchanged tree reads metadata only.
 */
export class StatIndex implements CompletenessMemo {
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly entries: Record<string, IndexEntry>,
    /** `.dir` objects found complete in the cache → their objects' prefix folders' mtimes then. */
    private readonly completeDirs: Record<string, Record<string, number>>,
  ) {}

  static load(file: string): StatIndex {
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (data?.version === 3 && data.entries && data.completeDirs) return new StatIndex(file, data.entries, data.completeDirs);
    } catch {
      // A missing or unreadable index only costs re-hashing.
    }
    return new StatIndex(file, Object.create(null), Object.create(null));
  }

  completeDir(dirObject: string): Record<string, number> | undefined {
    return this.completeDirs[dirObject];
  }

  recordCompleteDir(dirObject: string, prefixMtimes: Record<string, number>): void {
    this.completeDirs[dirObject] = prefixMtimes;
    this.dirty = true;
  }

  lookup(absPath: string, stat: FileStat, hashName: HashName): string | undefined {
    const e = this.entries[absPath];
    if (!e || e[0] !== stat.ino || e[1] !== stat.size || e[2] !== stat.mtimeMs || e[4] !== hashName) return undefined;
    if (stat.mtimeMs + RACY_WINDOW_MS > e[5]) return undefined;
    return e[3];
  }

  record(absPath: string, stat: FileStat, hashName: HashName, md5: string, hashedAt = Date.now()): void {
    this.entries[absPath] = [stat.ino, stat.size, stat.mtimeMs, md5, hashName, hashedAt];
    this.dirty = true;
  }

  /**
   * What the stat index last verified of a cache object: while the file still has this inode,
   * size and mtime, its bytes hash to its name. No racy window here: an object is complete
   * when it appears under its name (a rename) and nothing writes into it afterwards.
   */
  knownObject(objectPath: string, hashName: HashName): ObjectStat | undefined {
    const e = this.entries[objectPath];
    return e && e[4] === hashName ? { ino: e[0], size: e[1], mtimeMs: e[2] } : undefined;
  }

  recordVerifiedObject(objectPath: string, stat: ObjectStat, hashName: HashName, md5: string): void {
    this.entries[objectPath] = [stat.ino, stat.size, stat.mtimeMs, md5, hashName, Date.now()];
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify({ version: 3, entries: this.entries, completeDirs: this.completeDirs }));
    this.dirty = false;
  }
}

export function statFile(absPath: string): FileStat | undefined {
  return fileStatOf(fs.statSync(absPath, { throwIfNoEntry: false }));
}

/** A stat already taken, as `statFile` gives it. */
export function fileStatOf(st: fs.Stats | undefined): FileStat | undefined {
  if (!st || !st.isFile()) return undefined;
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, isexec: (st.mode & 0o111) !== 0 };
}
