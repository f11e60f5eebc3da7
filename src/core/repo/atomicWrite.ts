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

/** Below this size a copy is one read and one write: fewer system calls than the kernel's copy, which costs more than the bytes here. */
const SMALL_COPY = 1 << 20;
let copyBuffer: Buffer | undefined;

/**
 * Copy `source` into a new file `target` (which must not be in use) with `mode`; returns its
 * size. A big file is copied by the kernel, as a clone where the file system can (and must,
 * with `clone: 'force'`).
 */
export function copyFileBytesSync(source: string, target: string, mode: number, clone: 'try' | 'force' = 'try'): number {
  const kernelCopy = () => {
    fs.copyFileSync(source, target, clone === 'force' ? fs.constants.COPYFILE_FICLONE_FORCE : fs.constants.COPYFILE_FICLONE);
    fs.chmodSync(target, mode);
    return fs.statSync(target).size;
  };
  if (clone === 'force') return kernelCopy();
  const fd = fs.openSync(source, 'r');
  let length = 0;
  try {
    // Read to EOF rather than fstat first: one call fewer per small file. A full buffer means a big file.
    copyBuffer ??= Buffer.allocUnsafe(SMALL_COPY);
    for (let n; length < SMALL_COPY && (n = fs.readSync(fd, copyBuffer, length, SMALL_COPY - length, length)) > 0; ) length += n;
  } finally {
    fs.closeSync(fd);
  }
  if (length === SMALL_COPY) return kernelCopy();
  const out = openWithModeSync(target, mode);
  try {
    for (let written = 0; written < length; ) written += fs.writeSync(out, copyBuffer, written, length - written);
  } finally {
    fs.closeSync(out);
  }
  return length;
}

/**
 * Copy `source` to `target` (read-only, as DVC leaves remote objects) through a temp file
 * beside it, making the target's folder if needed: `target` is either absent or complete.
 */
export function copyFileAtomicSync(source: string, target: string): number {
  const tmp = tempPathFor(target);
  try {
    let size: number;
    try {
      size = copyFileBytesSync(source, tmp, 0o444);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(source)) throw err;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      size = copyFileBytesSync(source, tmp, 0o444);
    }
    fs.renameSync(tmp, target);
    return size;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
