import type { DirEntry } from '../core/hashing/dirManifest';
import { compareCodePoints } from '../core/hashing/dirManifest';

export interface ManifestFolder {
  folders: string[];
  files: { name: string; md5: string }[];
  /** Files in it, at any depth. */
  fileCount: number;
}

/**
 * A tracked directory's `.dir` manifest as folders, built once in one pass so that
 * expanding any folder of a 100k-file directory is a map lookup, not a scan.
 */
export class ManifestTree {
  private readonly folders = new Map<string, ManifestFolder>();

  constructor(entries: DirEntry[]) {
    const folder = (prefix: string): ManifestFolder => {
      let f = this.folders.get(prefix);
      if (!f) this.folders.set(prefix, (f = { folders: [], files: [], fileCount: 0 }));
      return f;
    };
    folder('');
    for (const e of entries) {
      const parts = e.relpath.split('/');
      let prefix = '';
      folder('').fileCount++;
      for (let i = 0; i < parts.length - 1; i++) {
        const child = prefix ? `${prefix}/${parts[i]}` : parts[i];
        if (!this.folders.has(child)) folder(prefix).folders.push(parts[i]);
        folder(child).fileCount++;
        prefix = child;
      }
      folder(prefix).files.push({ name: parts[parts.length - 1], md5: e.md5 });
    }
    for (const f of this.folders.values()) {
      f.folders.sort(compareCodePoints);
      f.files.sort((a, b) => compareCodePoints(a.name, b.name));
    }
  }

  /** The folder at `prefix` ('' for the top), or undefined when the manifest has none. */
  get(prefix: string): ManifestFolder | undefined {
    return this.folders.get(prefix);
  }
}
