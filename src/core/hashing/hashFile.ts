import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
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
}

const buffer = Buffer.allocUnsafe(CHUNK_SIZE);

function readChunk(fd: number, position: number): number {
  let filled = 0;
  while (filled < CHUNK_SIZE) {
    const n = fs.readSync(fd, buffer, filled, CHUNK_SIZE - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/** Called now and then with the bytes read so far, so a big file shows progress. */
export type OnBytes = (bytesSoFar: number) => void;
const REPORT_EVERY = 16 << 20;

/** Hash a file; when `copyFd` is given, write its bytes there in the same pass. */
function hashFd(fd: number, name: HashName, copyFd?: number, onBytes?: OnBytes): { md5: string; size: number } {
  const md5 = crypto.createHash('md5');
  let position = 0;
  let dos2unix = false;
  for (;;) {
    const n = readChunk(fd, position);
    if (n === 0) break;
    const chunk = buffer.subarray(0, n);
    if (position === 0 && name === 'md5-dos2unix') dos2unix = isTextBlock(chunk.subarray(0, TEXT_SNIFF_SIZE));
    md5.update(dos2unix ? dos2unixChunk(chunk) : chunk);
    if (copyFd !== undefined) fs.writeSync(copyFd, chunk, 0, n);
    position += n;
    if (onBytes && position % REPORT_EVERY === 0) onBytes(position);
    if (n < CHUNK_SIZE) break;
  }
  return { md5: md5.digest('hex'), size: position };
}

export function hashFileSync(file: string, name: HashName, onBytes?: OnBytes): FileHash {
  const fd = fs.openSync(file, 'r');
  try {
    const mode = fs.fstatSync(fd).mode;
    return { ...hashFd(fd, name, undefined, onBytes), isexec: (mode & 0o111) !== 0 };
  } finally {
    fs.closeSync(fd);
  }
}

export function objectPathFor(objectsDir: string, md5: string): string {
  return path.join(objectsDir, md5.slice(0, 2), md5.slice(2));
}

/**
 * Hash `file` (as DVC 3 md5) and put its bytes into the object store at `objectsDir`
 * (`.dvc/cache/files/md5`). Bytes go to a temp file in `stagingDir` first and are renamed
 * into place only when complete, read-only: a killed process never leaves a partial object.
 */
export function hashAndStoreSync(file: string, objectsDir: string, stagingDir: string, reflink: boolean, onBytes?: OnBytes): FileHash {
  fs.mkdirSync(stagingDir, { recursive: true });
  const tmp = path.join(stagingDir, `${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(file, 'r');
  let result: FileHash;
  try {
    const mode = fs.fstatSync(fd).mode;
    if (reflink) {
      const { md5, size } = hashFd(fd, 'md5', undefined, onBytes);
      fs.copyFileSync(file, tmp, fs.constants.COPYFILE_FICLONE_FORCE);
      result = { md5, size, isexec: (mode & 0o111) !== 0 };
    } else {
      const out = fs.openSync(tmp, 'w', 0o644);
      try {
        result = { ...hashFd(fd, 'md5', out, onBytes), isexec: (mode & 0o111) !== 0 };
      } finally {
        fs.closeSync(out);
      }
    }
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    fs.closeSync(fd);
  }
  commitStagedObject(tmp, objectsDir, result.md5);
  return result;
}

/** A kernel-side copy of `file` into the staging folder (copy_file_range/sendfile; no bytes pass through JS). */
export function copyToStagingSync(file: string, stagingDir: string): string {
  fs.mkdirSync(stagingDir, { recursive: true });
  const tmp = path.join(stagingDir, `${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  try {
    fs.copyFileSync(file, tmp);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return tmp;
}

/** Move a complete, hashed temp file into the store (or drop it when the object is already there). */
export function commitStagedObject(tmp: string, objectsDir: string, md5: string): void {
  const target = objectPathFor(objectsDir, md5);
  if (fs.existsSync(target)) {
    fs.rmSync(tmp, { force: true });
    return;
  }
  fs.chmodSync(tmp, 0o444);
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(path.dirname(target), { recursive: true }); // first object of this prefix
    fs.renameSync(tmp, target);
  }
}
