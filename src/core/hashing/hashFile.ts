import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { copyFileBytesSync, CopyProgress, openWithModeSync } from '../repo/atomicWrite';
import { assertObjectId } from './objectId';
import type { ObjectStat } from './statIndex';
import { assertRealFolders, layoutRootOf } from '../cache/layoutFolders';
import { CHUNK_SIZE, HashName, TEXT_SNIFF_SIZE, dos2unixChunk, isTextBlock } from './hashNames';

/**
 * Synchronous, streaming file hashing and cache insertion. These run inside the hash
 * worker threads (see hashPool.ts), never on the extension host's main thread.
 * Memory stays at one 1 MiB buffer whatever the file size.
 */

export interface FileHash {
  md5: string;
  size: number;
  isexec: boolean;
  /** From a store: the new cache object's stat, when this call put it there (its bytes are the ones hashed). */
  stored?: ObjectStat;
}

const buffer = Buffer.allocUnsafe(CHUNK_SIZE);

let cancelFlag: Int32Array | undefined;
/** The hash pool's shared cancel flag (see hashPool.ts), checked between chunks. */
export function useCancelFlag(flag: Int32Array): void {
  cancelFlag = flag;
}

export function throwIfCancelled(): void {
  if (cancelFlag && Atomics.load(cancelFlag, 0) === 1) throw Object.assign(new Error('cancelled'), { code: 'ECANCELED' });
}

/** Fill the buffer from `position`; `size` (from fstat) spares the extra read that finds EOF. */
function readChunk(fd: number, position: number, size: number): number {
  const want = Math.min(CHUNK_SIZE, Math.max(size - position, 0)) || CHUNK_SIZE;
  let filled = 0;
  while (filled < want) {
    const n = fs.readSync(fd, buffer, filled, want - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

let tempCounter = 0;
/** A name unique to this process and thread; writers are serialised by the repository lock. */
export function stagingPath(stagingDir: string): string {
  return path.join(stagingDir, `${process.pid}-${threadId}-${tempCounter++}`);
}

/** Open a new staging file, read-only as objects are, making the staging folder on first use. */
function openStaging(stagingDir: string): { tmp: string; fd: number } {
  const tmp = stagingPath(stagingDir);
  const open = () => ({ tmp, fd: openWithModeSync(tmp, 0o444) });
  try {
    return open();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(stagingDir, { recursive: true });
    return open();
  }
}

/** Called now and then with the bytes read so far, so a big file shows progress. */
export type OnBytes = (bytesSoFar: number) => void;
const REPORT_EVERY = 16 << 20;

/** A big copy's progress callback (see copyFileBytesSync): stops it on cancel, reports every REPORT_EVERY bytes. */
export function copyProgress(onBytes?: OnBytes): CopyProgress {
  return (bytes) => {
    throwIfCancelled();
    if (onBytes && bytes % REPORT_EVERY === 0) onBytes(bytes);
  };
}

/** Hash a file; when `copyFd` is given, write its bytes there in the same pass. */
function hashFd(fd: number, size: number, name: HashName, copyFd?: number, onBytes?: OnBytes): { md5: string; size: number } {
  const md5 = crypto.createHash('md5');
  let position = 0;
  let dos2unix = false;
  for (;;) {
    throwIfCancelled();
    const n = readChunk(fd, position, size);
    if (n === 0) break;
    const chunk = buffer.subarray(0, n);
    if (position === 0 && name === 'md5-dos2unix') dos2unix = isTextBlock(chunk.subarray(0, TEXT_SNIFF_SIZE));
    md5.update(dos2unix ? dos2unixChunk(chunk) : chunk);
    if (copyFd !== undefined) fs.writeSync(copyFd, chunk, 0, n);
    position += n;
    if (onBytes && position % REPORT_EVERY === 0) onBytes(position);
    if (n < CHUNK_SIZE && position >= size) break;
  }
  return { md5: md5.digest('hex'), size: position };
}

/** Hash a file already open (`size` from its fstat). */
export function hashOpenFileSync(fd: number, size: number, name: HashName, onBytes?: OnBytes): { md5: string; size: number } {
  return hashFd(fd, size, name, undefined, onBytes);
}

export function hashFileSync(file: string, name: HashName, onBytes?: OnBytes): FileHash {
  const fd = fs.openSync(file, 'r');
  try {
    const { mode, size } = fs.fstatSync(fd);
    return { ...hashFd(fd, size, name, undefined, onBytes), isexec: (mode & 0o111) !== 0 };
  } finally {
    fs.closeSync(fd);
  }
}

/** `objectsDir` is a normalised path; joined by hand, as path.join costs more than the rest of a small push per file. */
export function objectPathFor(objectsDir: string, md5: string): string {
  assertObjectId(md5);
  return `${objectsDir}${path.sep}${md5.slice(0, 2)}${path.sep}${md5.slice(2)}`;
}

/** Copy the open file into a new read-only staging file, hashing its bytes on the way. */
function stageWithHash(fd: number, size: number, stagingDir: string, name: HashName, onBytes?: OnBytes): { tmp: string; md5: string; size: number } {
  const staged = openStaging(stagingDir);
  let hashed: { md5: string; size: number };
  try {
    hashed = hashFd(fd, size, name, staged.fd, onBytes);
  } catch (err) {
    fs.closeSync(staged.fd);
    fs.rmSync(staged.tmp, { force: true });
    throw err;
  }
  fs.closeSync(staged.fd);
  return { tmp: staged.tmp, ...hashed };
}

/**
 * Hash `file` (as DVC 3 md5) and put its bytes into the object store at `objectsDir`
 * (`.dvc/cache/files/md5`). Bytes go to a temp file in `stagingDir` first and are renamed
 * into place only when complete, read-only: a killed process never leaves a partial object.
 */
export function hashAndStoreSync(file: string, objectsDir: string, stagingDir: string, reflink: boolean, onBytes?: OnBytes): FileHash {
  const fd = fs.openSync(file, 'r');
  let result: FileHash;
  let tmp = '';
  try {
    const { mode, size } = fs.fstatSync(fd);
    const isexec = (mode & 0o111) !== 0;
    if (reflink) {
      const { md5 } = hashFd(fd, size, 'md5', undefined, onBytes);
      tmp = stagingPath(stagingDir);
      fs.mkdirSync(stagingDir, { recursive: true });
      fs.copyFileSync(file, tmp, fs.constants.COPYFILE_FICLONE_FORCE);
      fs.chmodSync(tmp, 0o444);
      result = { md5, size, isexec };
    } else {
      const staged = stageWithHash(fd, size, stagingDir, 'md5', onBytes);
      tmp = staged.tmp;
      result = { md5: staged.md5, size, isexec };
    }
  } catch (err) {
    if (tmp) fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    fs.closeSync(fd);
  }
  if (commitStagedObject(tmp, objectsDir, result.md5)) result.stored = objectStatOf(objectPathFor(objectsDir, result.md5));
  return result;
}

function objectStatOf(file: string): ObjectStat | undefined {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st && { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

/**
 * Bring the object `name` (an md5, or `<md5>.dir`) from `source` (a remote's copy) into the
 * store at `objectsDir`, only if its bytes hash to that name; otherwise nothing is left
 * behind and the error's code is ECORRUPT.
 */
export function fetchObjectSync(source: string, objectsDir: string, stagingDir: string, name: string, hashName: HashName, onBytes?: OnBytes): FileHash {
  // Non-blocking: a FIFO under an object's name on the remote must not hang the thread.
  const fd = fs.openSync(source, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let staged: { tmp: string; md5: string; size: number };
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    staged = stageWithHash(fd, st.size, stagingDir, hashName, onBytes);
  } finally {
    fs.closeSync(fd);
  }
  commitVerifiedObject(staged.tmp, objectsDir, name, staged.md5);
  return { md5: staged.md5, size: staged.size, isexec: false };
}

/**
 * The md5 of a file another thread is still writing (a download): `progress[0]` is how many
 * bytes are written so far, `progress[1]` turns 1 when the writer is done, 2 when it gave up.
 * Reads what is there, then sleeps until told of more, so hashing overlaps the download.
 */
export function hashFollowingSync(file: string, progress: BigInt64Array): string {
  const md5 = crypto.createHash('md5');
  const fd = fs.openSync(file, 'r');
  try {
    for (let position = 0; ; ) {
      throwIfCancelled();
      const state = Atomics.load(progress, 1);
      const written = Number(Atomics.load(progress, 0));
      if (state === 2n) throw Object.assign(new Error('download abandoned'), { code: 'ECANCELED' });
      while (position < written) {
        const n = fs.readSync(fd, buffer, 0, Math.min(CHUNK_SIZE, written - position), position);
        if (n === 0) throw new Error(`${file} is shorter than the ${written} bytes written to it`);
        md5.update(buffer.subarray(0, n));
        position += n;
      }
      if (state === 1n) return md5.digest('hex');
      Atomics.wait(progress, 1, 0n, 100); // woken by the writer's notify; the timeout also rechecks the cancel flag
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Rename a staged, read-only download into the store if `md5` (its bytes' hash) matches its name; else remove it (code ECORRUPT). */
export function commitVerifiedObject(tmp: string, objectsDir: string, name: string, md5: string): void {
  if (md5 !== name.replace(/\.dir$/, '')) {
    fs.rmSync(tmp, { force: true });
    throw Object.assign(new Error(`its content hashes to ${md5}`), { code: 'ECORRUPT' });
  }
  // No existence check first: a fetched object was missing a moment ago (and the same bytes may replace it).
  renameIntoStore(tmp, objectsDir, objectPathFor(objectsDir, name));
}

/**
 * Copy `file` into the staging folder (read-only), beside a parallel 'hash' task of the same
 * file; in pieces, so that a cancel stops it (or as a clone where the file system makes one).
 */
export function copyToStagingSync(file: string, stagingDir: string): string {
  const tmp = stagingPath(stagingDir);
  fs.mkdirSync(stagingDir, { recursive: true });
  try {
    copyFileBytesSync(file, tmp, 0o444, 'try', copyProgress());
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return tmp;
}

/** Move a complete, hashed, read-only temp file into the store (or drop it when the object is already there); true when it was moved. */
export function commitStagedObject(tmp: string, objectsDir: string, md5: string): boolean {
  const target = objectPathFor(objectsDir, md5);
  if (fs.existsSync(target)) {
    fs.rmSync(tmp, { force: true });
    return false;
  }
  renameIntoStore(tmp, objectsDir, target);
  return true;
}

/** Rename a temp file to its object path, making the prefix folder on first use; where the object is there already and cannot be replaced (Windows, read-only), the temp file goes. */
function renameIntoStore(tmp: string, objectsDir: string, target: string): void {
  try {
    assertRealFolders(layoutRootOf(objectsDir), target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      fs.mkdirSync(path.dirname(target), { recursive: true }); // first object of this prefix
      fs.renameSync(tmp, target);
    } else if (fs.existsSync(target)) fs.rmSync(tmp, { force: true });
    else throw err;
  }
}
