import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../repo/atomicWrite';
import type { HashName } from './hashNames';

/** What a file looked like when it was hashed: enough to know it has not changed since. */
export interface FileStat {
  ino: number;
  size: number;
  mtimeNs: bigint;
  isexec: boolean;
}

interface IndexEntry {
  ino: number;
  size: number;
  mtimeNs: string;
  md5: string;
  hashName: HashName;
  /** When we hashed it, in ms; a file changed in the same instant it was hashed is not trusted. */
  hashedAt: number;
}

/** Files modified this close to the moment they were hashed may change again unseen (racy-git). */
const RACY_WINDOW_MS = 2000;

/**
 * A persisted map (inode, size, mtime_ns) → md5, in `.dvc/tmp/cairn/stat-index.json`,
 * so that a file is hashed once and `status` on an unchanged tree reads metadata only.
 */
export class StatIndex {
  private entries = new Map<string, IndexEntry>();
  private dirty = false;

  private constructor(private readonly file: string) {}

  static load(file: string): StatIndex {
    const index = new StatIndex(file);
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (data?.version === 1 && data.entries && typeof data.entries === 'object') {
        for (const [key, e] of Object.entries<any[]>(data.entries)) {
          index.entries.set(key, { ino: e[0], size: e[1], mtimeNs: e[2], md5: e[3], hashName: e[4], hashedAt: e[5] });
        }
      }
    } catch {
      // A missing or unreadable index only costs re-hashing.
    }
    return index;
  }

  lookup(absPath: string, stat: FileStat, hashName: HashName): string | undefined {
    const e = this.entries.get(absPath);
    if (!e || e.hashName !== hashName || e.ino !== stat.ino || e.size !== stat.size || e.mtimeNs !== String(stat.mtimeNs)) {
      return undefined;
    }
    if (Number(stat.mtimeNs / 1_000_000n) + RACY_WINDOW_MS > e.hashedAt) return undefined;
    return e.md5;
  }

  record(absPath: string, stat: FileStat, hashName: HashName, md5: string, hashedAt = Date.now()): void {
    this.entries.set(absPath, { ino: stat.ino, size: stat.size, mtimeNs: String(stat.mtimeNs), md5, hashName, hashedAt });
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    const entries: Record<string, unknown[]> = {};
    for (const [key, e] of this.entries) entries[key] = [e.ino, e.size, e.mtimeNs, e.md5, e.hashName, e.hashedAt];
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, entries }));
    this.dirty = false;
  }
}

export function statFile(absPath: string): FileStat | undefined {
  try {
    const st = fs.statSync(absPath, { bigint: true });
    if (!st.isFile()) return undefined;
    return { ino: Number(st.ino), size: Number(st.size), mtimeNs: st.mtimeNs, isexec: (st.mode & 0o111n) !== 0n };
  } catch {
    return undefined;
  }
}
