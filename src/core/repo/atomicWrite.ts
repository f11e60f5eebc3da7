import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';

// Unique per process and thread (each worker thread loads its own copy of this module), even
// across machines sharing a folder: a random token drawn once, then a counter.
const tempToken = `${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
let tempCounter = 0;

/** A temp name beside `target`, so the final rename stays on one file system. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${tempToken}.${tempCounter++}.tmp`);
}

/** Whether a file name (no folder) is one tempPathFor makes. */
export function isTempName(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-f]{8}(\.\d+)?\.tmp$/.test(name); // no counter in the names of older versions
}

/**
 * `base` (a normalised absolute path) joined with `rel`, a clean '/'-separated relative path
 * (no empty or '..' parts: object keys, .dir manifest entries). By hand, as path.join's
 * normalising costs more than the rest of a small file's push or checkout.
 */
export function joinClean(base: string, rel: string): string {
  return `${base}${path.sep}${path.sep === '/' ? rel : rel.replaceAll('/', path.sep)}`;
}

/** The process's umask, read once: Cairn never changes it. */
const umask = process.umask();

/** Create (or truncate) `file` for writing with exactly `mode`: set at creation, chmod only when the umask strips bits of it. */
export function openWithModeSync(file: string, mode: number): number {
  const fd = fs.openSync(file, 'w', mode);
  if ((mode & ~umask) !== mode) fs.fchmodSync(fd, mode);
  return fd;
}

/** Write a whole file so that readers see either the old content or the new, never a part. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    await fs.promises.writeFile(tmp, data, mode === undefined ? undefined : { mode });
    await fs.promises.rename(tmp, target);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(target);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Copies go in pieces of this size: a small file is one read and one write (fewer system calls
 * than the kernel's copy), and a big one goes through a buffer that stays in the CPU's cache
 * (on ext4 here a GiB in ~0.4 s, copy_file_range ~0.75 s, 8 MiB pieces 1.1–3 s), reporting
 * progress and able to stop between pieces.
 */
const COPY_CHUNK = 1 << 20;
let copyBuffer: Buffer | undefined;

/** Called after each piece of a big copy with the bytes copied so far; it may throw to stop the copy. */
export type CopyProgress = (bytesSoFar: number) => void;

function readPiece(fd: number, buffer: Buffer, position: number): number {
  let length = 0;
  for (let n; length < buffer.length && (n = fs.readSync(fd, buffer, length, buffer.length - length, position + length)) > 0; ) length += n;
  return length;
}

/** A copy-on-write clone of a big file, where the file system makes one; false (and no target) where it does not. */
export function tryClone(source: string, target: string, mode: number): boolean {
  try {
    fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE_FORCE);
  } catch (err) {
    if (!['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    fs.rmSync(target, { force: true });
    return false;
  }
  fs.chmodSync(target, mode);
  return true;
}

/**
 * Copy `source` into a new file `target` (which must not be in use) with `mode`; returns its
 * size. A big file is cloned where the file system can (and must be, with `clone: 'force'`).
 */
export function copyFileBytesSync(source: string, target: string, mode: number, clone: 'try' | 'force' = 'try', onProgress?: CopyProgress): number {
  if (clone === 'force') {
    fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE_FORCE);
    fs.chmodSync(target, mode);
    return fs.statSync(target).size;
  }
  const fd = fs.openSync(source, 'r');
  try {
    // Read to EOF rather than fstat first: one call fewer per small file. A full buffer means a big file.
    const buffer = (copyBuffer ??= Buffer.allocUnsafe(COPY_CHUNK));
    let length = readPiece(fd, buffer, 0);
    if (length === COPY_CHUNK && tryClone(source, target, mode)) return fs.statSync(target).size;
    const out = openWithModeSync(target, mode);
    try {
      let copied = 0;
      for (;;) {
        for (let written = 0; written < length; ) written += fs.writeSync(out, buffer, written, length - written);
        copied += length;
        if (length < COPY_CHUNK) return copied;
        onProgress?.(copied);
        length = readPiece(fd, buffer, copied);
      }
    } finally {
      fs.closeSync(out);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Copy bytes [start, end) of `source` to the same place in `target`, which is created if
 * missing (writable: the caller sets its final mode) and never truncated: one of several
 * threads copying a big file at once, each its own range (see splitCopy).
 */
export function copyRangeSync(source: string, target: string, start: number, end: number, onProgress?: CopyProgress): void {
  const buffer = (copyBuffer ??= Buffer.allocUnsafe(COPY_CHUNK));
  const fd = fs.openSync(source, 'r');
  try {
    const out = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
    try {
      for (let position = start; position < end; ) {
        const length = readPiece(fd, buffer.subarray(0, Math.min(COPY_CHUNK, end - position)), position);
        if (length === 0) throw new Error(`${source} ends at byte ${position}, short of ${end}: it changed while being copied`);
        for (let written = 0; written < length; ) written += fs.writeSync(out, buffer, written, length - written, position + written);
        position += length;
        onProgress?.(position - start);
      }
    } finally {
      fs.closeSync(out);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Copy `source` to `target` (read-only, as DVC leaves remote objects) through a temp file
 * beside it, making the target's folder if needed: `target` is either absent or complete.
 */
export function copyFileAtomicSync(source: string, target: string, onProgress?: CopyProgress): number {
  const tmp = tempPathFor(target);
  try {
    let size: number;
    try {
      size = copyFileBytesSync(source, tmp, 0o444, 'try', onProgress);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(source)) throw err;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      size = copyFileBytesSync(source, tmp, 0o444, 'try', onProgress);
    }
    fs.renameSync(tmp, target);
    return size;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
