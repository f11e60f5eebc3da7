import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { tempPathFor } from '../repo/atomicWrite';
import { abortedError } from '../errors';
import type { Remote, TransferOptions } from './remote';

/** Above this size a download copies and hashes at the same time (kernel copy beside a hashing read). */
const PARALLEL_HASH_BYTES = 64 << 20;
const STREAM_CHUNK = 8 << 20;

/**
 * A remote in a local or mounted (NFS, SMB) folder. Uploads are written under a temp name
 * beside their target and renamed into place, so an object visible under its key is complete.
 */
export class LocalRemote implements Remote {
  readonly kind = 'local' as const;
  readonly defaultJobs = Math.max(4, 2 * (os.availableParallelism?.() ?? os.cpus().length));
  private readonly madeDirs = new Set<string>();

  constructor(readonly name: string, readonly url: string, readonly root: string) {}

  private abs(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.abs(key));
      return true;
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.abs(prefix.replace(/\/$/, ''));
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const out: string[] = [];
    const visit = async (d: string, rel: string) => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue; // temp files of uploads in flight
        if (e.isDirectory()) await visit(path.join(d, e.name), `${rel}${e.name}/`);
        else out.push(`${base}${rel}${e.name}`);
      }
    };
    await visit(dir, '');
    return out;
  }

  async upload(localFile: string, key: string, size: number, options: TransferOptions): Promise<void> {
    if (options.signal?.aborted) throw abortedError();
    const target = this.abs(key);
    const dir = path.dirname(target);
    if (!this.madeDirs.has(dir)) {
      await fs.promises.mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const tmp = tempPathFor(target);
    try {
      // The copy takes the cache object's mode (read-only), which is how dvc leaves remote objects.
      await fs.promises.copyFile(localFile, tmp);
      await fs.promises.rename(tmp, target);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    options.onBytes?.(size);
  }

  async download(key: string, localFile: string, options: TransferOptions): Promise<{ md5: string; size: number }> {
    if (options.signal?.aborted) throw abortedError();
    const src = this.abs(key);
    const stat = await fs.promises.stat(src);
    if (stat.size < STREAM_CHUNK) {
      const bytes = await fs.promises.readFile(src);
      await fs.promises.writeFile(localFile, bytes, { mode: 0o444 });
      options.onBytes?.(bytes.length);
      return { md5: crypto.createHash('md5').update(bytes).digest('hex'), size: bytes.length };
    }
    if (stat.size >= PARALLEL_HASH_BYTES) {
      const [, digest] = await Promise.all([fs.promises.copyFile(src, localFile), hashStream(src, options)]);
      if ((stat.mode & 0o777) !== 0o444) await fs.promises.chmod(localFile, 0o444);
      return digest;
    }
    const hash = crypto.createHash('md5');
    const out = await fs.promises.open(localFile, 'w', 0o444);
    let size = 0;
    try {
      for await (const chunk of fs.createReadStream(src, { highWaterMark: STREAM_CHUNK, signal: options.signal })) {
        hash.update(chunk as Buffer);
        await out.write(chunk as Buffer);
        size += (chunk as Buffer).length;
        options.onBytes?.((chunk as Buffer).length);
      }
    } finally {
      await out.close();
    }
    return { md5: hash.digest('hex'), size };
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.abs(key), { force: true });
  }

  close(): void {}
}

async function hashStream(file: string, options: TransferOptions): Promise<{ md5: string; size: number }> {
  const hash = crypto.createHash('md5');
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: STREAM_CHUNK, signal: options.signal })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    options.onBytes?.((chunk as Buffer).length);
  }
  return { md5: hash.digest('hex'), size };
}
