import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';

/** Folders found to be real (not links), per thread: each is checked once. */
const real = new Set<string>();

/**
 * Refuse to write or delete an object through a link planted inside a cache or folder remote:
 * every folder from `root` down to the object's own (`files`, `md5`, the prefix `ab`) must be a
 * real folder where it exists (a missing one is made by mkdir, real). `root` itself may be a
 * link or anywhere (a shared cache, a mounted remote): the user configured it.
 */
export function assertRealFolders(root: string, objectFile: string): void {
  const rel = path.relative(root, path.dirname(objectFile));
  if (rel === '') return;
  let dir = root;
  for (const part of rel.split(path.sep)) {
    dir = path.join(dir, part);
    if (real.has(dir)) continue;
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (!st) return;
    if (!st.isDirectory()) {
      throw new CairnError('UNSAFE_PATH', `${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; no object is written or removed through it`, {
        hint: 'Someone put it there: remove it (objects go in real folders), or point cache.dir or the remote url at the real folder.',
      });
    }
    real.add(dir);
  }
}

/** `<cache>/files/md5` → `<cache>`; a legacy layout's objects folder is the cache itself. */
export function layoutRootOf(objectsDir: string): string {
  const tail = `${path.sep}files${path.sep}md5`;
  return objectsDir.endsWith(tail) ? objectsDir.slice(0, -tail.length) : objectsDir;
}
