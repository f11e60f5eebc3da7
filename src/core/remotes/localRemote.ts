import * as fs from 'node:fs';
import * as path from 'node:path';
import { HashPool } from '../hashing/hashPool';
import type { WorkerResult, WorkerTask } from '../hashing/workerProtocol';
import type { BatchOptions, GetItem, PutItem, Remote } from './remote';

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

  constructor(readonly name: string, readonly url: string, readonly root: string, private readonly pool: HashPool) {
    this.defaultJobs = pool.size;
  }

  private abs(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  private poolFor(jobs: number): HashPool {
    if (jobs === this.pool.size) return this.pool;
    if (this.ownPool?.size !== jobs) {
      void this.ownPool?.close();
      this.ownPool = new HashPool(jobs);
    }
    return this.ownPool;
  }

  private async run(tasks: WorkerTask[], options: BatchOptions, sizes?: number[]): Promise<(Error | undefined)[]> {
    const results = await this.poolFor(options.jobs).run(tasks, {
      signal: options.signal,
      sizes,
      onProgress: (p) => options.onProgress?.({ done: p.tasksDone, bytes: p.bytesDone }),
    });
    return results.map(asError);
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

  putAll(items: PutItem[], options: BatchOptions): Promise<(Error | undefined)[]> {
    // The copy keeps the cache object's mode (read-only), which is how dvc leaves remote objects.
    const tasks: WorkerTask[] = items.map((i) => ({ op: 'put', path: i.file, target: this.abs(i.key) }));
    return this.run(tasks, options, items.map((i) => i.size));
  }

  getAll(items: GetItem[], stagingDir: string, options: BatchOptions): Promise<(Error | undefined)[]> {
    const tasks: WorkerTask[] = items.map((i) => ({ op: 'fetch', path: this.abs(i.key), objectsDir: i.objectsDir, stagingDir, name: i.name, hashName: i.hashName }));
    return this.run(tasks, options);
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.abs(key), { force: true });
  }

  close(): void {
    void this.ownPool?.close();
    this.ownPool = undefined;
  }
}

function asError(r: WorkerResult): Error | undefined {
  return r.ok ? undefined : Object.assign(new Error(r.error), { code: r.errno });
}
