import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';

/** A temp name beside `target`, so the final rename stays on one file system. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
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
 * Copy `source` into a new file `target` (which must not be in use) with `mode`. A big file is
 * copied by the kernel, as a clone where the file system can (and must, with `clone: 'force'`).
 */
export function copyFileBytesSync(source: string, target: string, mode: number, clone: 'try' | 'force' = 'try'): void {
  const fd = fs.openSync(source, 'r');
  try {
    const { size } = fs.fstatSync(fd);
    if (size > SMALL_COPY || clone === 'force') {
      fs.copyFileSync(source, target, clone === 'force' ? fs.constants.COPYFILE_FICLONE_FORCE : fs.constants.COPYFILE_FICLONE);
      fs.chmodSync(target, mode);
      return;
    }
    copyBuffer ??= Buffer.allocUnsafe(SMALL_COPY);
    let length = 0;
    for (let n; length < size && (n = fs.readSync(fd, copyBuffer, length, size - length, length)) > 0; ) length += n;
    const out = fs.openSync(target, 'w', mode);
    try {
      for (let written = 0; written < length; ) written += fs.writeSync(out, copyBuffer, written, length - written);
      fs.fchmodSync(out, mode); // exact, whatever the umask
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
export function copyFileAtomicSync(source: string, target: string): void {
  const tmp = tempPathFor(target);
  try {
    try {
      copyFileBytesSync(source, tmp, 0o444);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(source)) throw err;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      copyFileBytesSync(source, tmp, 0o444);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
