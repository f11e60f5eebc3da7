import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { HashName } from '../hashing/hashNames';
import { DirEntry, parseDirManifest } from '../hashing/dirManifest';
import { objectPathFor, commitStagedObject } from '../hashing/hashFile';

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

  /** A directory's manifest, or undefined when its `.dir` object is not in the cache. */
  readDir(md5: string, hashName: HashName): DirEntry[] | undefined {
    const file = this.pathOf(md5, hashName);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    return parseDirManifest(text, path.relative(process.cwd(), file) || file);
  }

  /** Store `.dir` manifest bytes under their hash (DVC 3 layout). */
  writeDir(md5: string, bytes: string): void {
    if (this.has(md5, 'md5')) return;
    fs.mkdirSync(this.stagingDir, { recursive: true });
    const tmp = path.join(this.stagingDir, `${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    fs.writeFileSync(tmp, bytes);
    commitStagedObject(tmp, this.objectsDir, md5);
  }

  /** Whether an output's object, and for a directory every file in it, is in the cache. */
  hasAll(md5: string, hashName: HashName): boolean {
    if (!md5.endsWith('.dir')) return this.has(md5, hashName);
    const entries = this.readDir(md5, hashName);
    return entries !== undefined && this.missing(entries.map((e) => e.md5), hashName).length === 0;
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
