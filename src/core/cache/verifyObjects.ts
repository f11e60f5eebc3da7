import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import type { ObjectStat } from '../hashing/statIndex';
import type { WorkerTask } from '../hashing/workerProtocol';
import { hashOpenFileSync, OnBytes } from '../hashing/hashFile';
import { shownHash } from '../hashing/objectId';
import { CairnError } from '../errors';
import { assertRealFolders } from './layoutFolders';
import type { Progress } from '../progress';

/** A cache object about to leave the cache (checkout, push); `name` is its md5 (or `<md5>.dir`). */
export interface ObjectToCheck {
  path: string;
  name: string;
  hashName: HashName;
  /** What the stat index last verified of this file: while it still matches, the object is not read. */
  known?: ObjectStat;
}

/** A worker's verdict on one object. */
export type ObjectCheck =
  | { state: 'missing' }
  | { state: 'unreadable'; error: string }
  /** Still the file the stat index verified: not read. */
  | { state: 'known'; size: number }
  /** Read now: its bytes hash to its name. */
  | { state: 'good'; stat: ObjectStat }
  /** Read now: its bytes hash to `md5`, not to its name. */
  | { state: 'corrupt'; size: number; md5: string };

/** In a worker: stat the object; read and hash it unless it is still the file the stat index verified. */
export function checkObjectSync(o: ObjectToCheck, onBytes?: OnBytes): ObjectCheck {
  let fd: number;
  try {
    // Non-blocking: a FIFO planted under an object's name must not hang the thread (a file reads as always).
    fd = fs.openSync(o.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { state: 'missing' } : { state: 'unreadable', error: (err as Error).message };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { state: 'unreadable', error: 'not a regular file' };
    const stat: ObjectStat = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    const k = o.known;
    if (k && k.ino === stat.ino && k.size === stat.size && k.mtimeMs === stat.mtimeMs) return { state: 'known', size: stat.size };
    const { md5 } = hashOpenFileSync(fd, st.size, o.hashName, onBytes);
    return md5 === o.name.replace(/\.dir$/, '') ? { state: 'good', stat } : { state: 'corrupt', size: stat.size, md5 };
  } catch (err) {
    return { state: 'unreadable', error: (err as Error).message };
  } finally {
    fs.closeSync(fd);
  }
}

/** What a verification read, for tests and -v: a second run over unchanged objects reads nothing. */
export interface VerifyStats {
  objects: number;
  hashedObjects: number;
  hashedBytes: number;
}

/** Objects the stat index knows are stat'ed this many to a task; the others are read, one to a task. */
const KNOWN_PER_TASK = 256;

/**
 * Verify cache objects before they leave the cache: each one the stat index has not seen
 * verified as it is now is read and hashed by the worker pool (and recorded when good). A
 * corrupt one is moved aside (see quarantine) so that a fetch or an add can bring it back.
 * Returns a verdict per object, in order; `size` is the object's size where it is usable.
 */
export async function verifyObjects(
  repo: Repo,
  objects: { path: string; name: string; hashName: HashName; size?: number }[],
  options: { signal?: AbortSignal; onProgress?: (p: Progress) => void; onVerified?: (s: VerifyStats) => void } = {},
): Promise<ObjectVerdict[]> {
  // The same object twice (a directory's duplicate files) is checked once.
  const first = new Map<string, number>();
  const unique = objects.filter((o, i) => !first.has(o.path) && first.set(o.path, i));
  const verdicts = await verifyUnique(repo, unique, options);
  const byPath = new Map(unique.map((o, i) => [o.path, verdicts[i]]));
  return objects.map((o) => byPath.get(o.path)!);
}

async function verifyUnique(
  repo: Repo,
  objects: { path: string; name: string; hashName: HashName; size?: number }[],
  options: { signal?: AbortSignal; onProgress?: (p: Progress) => void; onVerified?: (s: VerifyStats) => void },
): Promise<ObjectVerdict[]> {
  const index = repo.statIndex;
  const tasks: WorkerTask[] = [];
  const sizes: number[] = [];
  /** The objects of each task, by index into `objects`. */
  const members: number[][] = [];
  /** Whether a task reads its object (else it stats known ones). */
  const readTask: boolean[] = [];
  let known: number[] = [];
  const flushKnown = () => {
    if (known.length === 0) return;
    tasks.push({ op: 'verify', objects: known.map((i) => ({ path: objects[i].path, name: objects[i].name, hashName: objects[i].hashName, known: index.knownObject(objects[i].path, objects[i].hashName) })) });
    sizes.push(32 << 20); // a batch of its own, as the pool's 'sizes' tasks
    members.push(known);
    readTask.push(false);
    known = [];
  };
  let toRead = 0;
  let bytesToRead = 0;
  objects.forEach((o, i) => {
    if (index.knownObject(o.path, o.hashName)) {
      known.push(i);
      if (known.length === KNOWN_PER_TASK) flushKnown();
    } else {
      tasks.push({ op: 'verify', objects: [{ path: o.path, name: o.name, hashName: o.hashName }] });
      sizes.push(o.size ?? 0);
      members.push([i]);
      readTask.push(true);
      toRead++;
      bytesToRead += o.size ?? 0;
    }
  });
  flushKnown();
  const message = 'verifying cache objects';
  // Progress counts the objects read (the pool's own bytes count the stat-only tasks as full batches).
  let [read, bytesRead] = [0, 0];
  const results = await repo.pool.run(tasks, {
    signal: options.signal,
    sizes,
    onTasksDone: (done) => {
      for (const t of done) if (readTask[t]) [read, bytesRead] = [read + 1, bytesRead + sizes[t]];
      if (toRead > 0) options.onProgress?.({ done: read, total: toRead, unit: 'objects', bytes: bytesRead, totalBytes: bytesToRead, message });
    },
  });
  const checks: ObjectCheck[] = new Array(objects.length);
  results.forEach((r, t) => {
    members[t].forEach((i, k) => {
      checks[i] = r.ok ? (r.value as ObjectCheck[])[k] : { state: 'unreadable', error: r.error };
    });
  });
  const stats: VerifyStats = { objects: objects.length, hashedObjects: 0, hashedBytes: 0 };
  const verdicts = checks.map((c, i): ObjectVerdict => {
    const o = objects[i];
    switch (c.state) {
      case 'known':
        return { ok: true, size: c.size };
      case 'good':
        stats.hashedObjects++;
        stats.hashedBytes += c.stat.size;
        index.recordVerifiedObject(o.path, c.stat, o.hashName, o.name.replace(/\.dir$/, ''));
        return { ok: true, size: c.stat.size };
      case 'corrupt':
        stats.hashedObjects++;
        stats.hashedBytes += c.size;
        return { ok: false, missing: false, reason: corruptReason(repo, o.path, c.md5) };
      case 'missing':
        return { ok: false, missing: true, reason: 'not in the cache' };
      case 'unreadable':
        return { ok: false, missing: false, reason: `cannot read ${shownPath(repo, o.path)}: ${c.error}` };
    }
  });
  options.onVerified?.(stats);
  return verdicts;
}

export type ObjectVerdict = { ok: true; size: number } | { ok: false; missing: boolean; reason: string };

/** Where corrupt objects are moved, inside the cache folder: never read as objects, never deleted by Cairn. */
export const QUARANTINE_DIR = '.cairn-corrupt';

/** Move a corrupt object out of the object folders and say where it went, or why it stayed. */
function corruptReason(repo: Repo, objectPath: string, md5: string): string {
  const what = `${shownPath(repo, objectPath)} is corrupt (its bytes hash to ${shownHash(md5)})`;
  const hint = 'fetch it again from a remote (`cairn fetch`) or add the file again';
  try {
    const moved = quarantine(repo.store.cacheDir, objectPath);
    return `${what}; moved to ${shownPath(repo, moved)}: ${hint}`;
  } catch (err) {
    return `${what} and could not be moved aside (${err instanceof CairnError ? err.message : (err as Error).message}): remove it, then ${hint}`;
  }
}

/** Rename `objectPath` into the cache's quarantine folder under its hash (and a number when that name is taken). */
function quarantine(cacheDir: string, objectPath: string): string {
  const dir = path.join(cacheDir, QUARANTINE_DIR);
  // Neither out of a linked prefix folder nor into a linked quarantine: only files of the cache move.
  assertRealFolders(cacheDir, objectPath);
  assertRealFolders(cacheDir, path.join(dir, 'object'));
  fs.mkdirSync(dir, { recursive: true });
  const name = path.basename(path.dirname(objectPath)) + path.basename(objectPath);
  for (let n = 0; ; n++) {
    const target = path.join(dir, n === 0 ? name : `${name}.${n}`);
    if (fs.existsSync(target)) continue;
    fs.renameSync(objectPath, target);
    return target;
  }
}

/** Repo-relative when inside the repository (a shared cache is shown absolute). */
function shownPath(repo: Repo, abs: string): string {
  const rel = repo.rel(abs);
  return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
}

/** A corrupt `.dir` manifest read from the cache: an error naming it (see ObjectStore.readDir). */
export function corruptManifestError(file: string, md5: string): CairnError {
  return new CairnError('CORRUPT_OBJECT', `cache object ${file} is corrupt (its bytes hash to ${shownHash(md5)})`, {
    file,
    hint: 'Move it out of the cache, then fetch it again from a remote (`cairn fetch`) or add the directory again.',
  });
}
