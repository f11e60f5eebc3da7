import * as fs from 'node:fs';
import * as path from 'node:path';
import { HashPool, RunOptions } from '../hashing/hashPool';
import { SPLIT_COPY_BYTES, WorkerResult, WorkerTask } from '../hashing/workerProtocol';
import { commitVerifiedObject, FileHash } from '../hashing/hashFile';
import { BatchOptions, GetItem, layoutFiles, PutItem, Remote } from './remote';
import { isTempName, joinClean } from '../repo/atomicWrite';

/**
 * A remote in a local or mounted (NFS, SMB) folder. Uploads are written under a temp name
 * beside their target and renamed into place, so an object visible under its key is complete.
 * Objects move on worker threads in batches (one message per batch, synchronous file calls
 * inside it): per small file that costs a few system calls, close to `cp`.
 */
export class LocalRemote implements Remote {
  readonly kind = 'local' as const;
  readonly defaultJobs: number;
  /** A pool of `-j` threads, when that differs from the repository's pool. */
  private ownPool: HashPool | undefined;

  readonly root: string;

  constructor(readonly name: string, readonly url: string, root: string, private readonly pool: HashPool) {
    this.root = path.resolve(root);
    this.defaultJobs = pool.size;
  }

  private abs(key: string): string {
    return joinClean(this.root, key);
  }

  private poolFor(jobs: number): HashPool {
    if (jobs === this.pool.size) return this.pool;
    if (this.ownPool?.size !== jobs) {
      void this.ownPool?.close();
      this.ownPool = new HashPool(jobs);
    }
    return this.ownPool;
  }

  putAll(items: PutItem[], options: BatchOptions): Promise<(Error | undefined)[]> {
    const tasks: WorkerTask[] = items.map((i) => ({ op: 'put', path: i.file, target: this.abs(i.key) }));
    const sizes = items.map((i) => i.size);
    return this.poolFor(options.jobs).run(tasks, { signal: options.signal, sizes, onProgress: batchProgress(options, items) }).then((r) => r.map(asError));
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

  /** Small objects are read, hashed and written in one task each; a big one by a 'hash' and a 'copy' task at once, verified here. */
  async getAll(items: GetItem[], stagingDir: string, options: BatchOptions): Promise<(Error | undefined)[]> {
    const pool = this.poolFor(options.jobs);
    const sources = items.map((i) => this.abs(i.key));
    const sizes = (await pool.sizes(sources, options.signal)).map((size) => size ?? 0);
    const split = items.map((i, k) => i.hashName === 'md5' && sizes[k] >= SPLIT_COPY_BYTES);
    const tasks: WorkerTask[] = [];
    const taskSizes: number[] = [];
    items.forEach((i, k) => {
      if (split[k]) {
        tasks.push({ op: 'hash', path: sources[k], hashName: 'md5' }, { op: 'copy', path: sources[k], stagingDir });
        taskSizes.push(sizes[k], 0);
      } else {
        tasks.push({ op: 'fetch', path: sources[k], objectsDir: i.objectsDir, stagingDir, name: i.name, hashName: i.hashName });
        taskSizes.push(sizes[k]);
      }
    });
    const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
    const results = await pool.run(tasks, { signal: options.signal, sizes: taskSizes, onProgress: batchProgress(options, items, totalBytes) });
    let t = 0;
    return items.map((item, k) => {
      const result = results[t++];
      if (!split[k]) return asError(result);
      const copy = results[t++];
      if (!result.ok || !copy.ok) {
        if (copy.ok) fs.rmSync((copy.value as { staged: string }).staged, { force: true });
        return asError(result.ok ? copy : result);
      }
      try {
        commitVerifiedObject((copy.value as { staged: string }).staged, item.objectsDir, item.name, (result.value as FileHash).md5);
        return undefined;
      } catch (err) {
        return err as Error;
      }
    });
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.abs(key), { force: true });
  }

  /** Upload temp files (see tempPathFor) in the prefix folders, idle for `idleMs`. */
  async abandonedUploads(idleMs: number): Promise<string[]> {
    const before = Date.now() - idleMs;
    return layoutFiles(this.root).filter((key) => {
      if (!isTempName(path.posix.basename(key))) return false;
      const stat = fs.statSync(this.abs(key), { throwIfNoEntry: false });
      return !!stat && stat.mtimeMs < before;
    });
  }

  removeAbandoned(id: string): Promise<void> {
    return this.remove(id);
  }

  close(): void {
    void this.ownPool?.close();
    this.ownPool = undefined;
  }
}

/** The pool's progress (tasks, bytes) as the batch's (items, bytes); a split item's second task does not count. */
function batchProgress(options: BatchOptions, items: unknown[], totalBytes?: number): RunOptions['onProgress'] {
  return (p) => options.onProgress?.({ done: Math.min(p.tasksDone, items.length), bytes: p.bytesDone, totalBytes });
}

function asError(r: WorkerResult): Error | undefined {
  return r.ok ? undefined : Object.assign(new Error(r.error), { code: r.errno });
}
