import * as fs from 'node:fs';
import * as path from 'node:path';
import { HashPool, ItemTasks } from '../hashing/hashPool';
import { SPLIT_COPY_BYTES, WorkerResult } from '../hashing/workerProtocol';
import { commitVerifiedObject, FileHash } from '../hashing/hashFile';
import { BatchOptions, GetItem, isObjectKey, isPrefixFolder, layoutFiles, layoutFolder, LAYOUTS, PutItem, Remote, subfolders } from './remote';
import { assertRealFolders } from '../cache/layoutFolders';
import { isTempName, joinClean, tempPathFor } from '../repo/atomicWrite';
import { BigCopy, publishSplitCopy, startBigCopy } from '../hashing/splitCopy';
import { CairnError } from '../errors';
import { shownHash } from '../hashing/objectId';
import { readRepoFile } from '../repo/readRepoFile';
import { runEntryKeys, splitRunEntryKey, writeRunEntryFile } from '../pipeline/runCache';

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

  /** The file of an object's key (or of an upload's temp file beside one): never any other path. */
  private abs(key: string): string {
    const [folder, name] = [key.slice(0, key.lastIndexOf('/') + 1), key.slice(key.lastIndexOf('/') + 1)];
    if (!isObjectKey(key) && !(isObjectKey(`${folder}${'0'.repeat(30)}`) && isUploadTemp(name))) {
      throw new CairnError('BAD_HASH', `'${shownHash(key)}' is not an object's key; refusing to use it as a path in remote '${this.name}'.`);
    }
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

  /**
   * A small object is one 'put' task; a big one is cloned where the file system can, else
   * copied by all threads at once into a temp file (see startBigCopy) that is renamed here.
   */
  async putAll(items: PutItem[], options: BatchOptions): Promise<(Error | undefined)[]> {
    const pool = this.poolFor(options.jobs);
    const errors: (Error | undefined)[] = items.map(() => undefined);
    const tasks = new ItemTasks();
    const bigCopies = new Map<number, BigCopy>();
    items.forEach((item, k) => {
      const target = this.abs(item.key);
      // A big object's temp file goes beside its target, whose folder is made first.
      const tmp = () => (fs.mkdirSync(path.dirname(target), { recursive: true }), tempPathFor(target));
      let big: BigCopy | 'cloned' | undefined;
      try {
        assertRealFolders(this.root, target);
        big = startBigCopy(item.file, target, item.size, pool.size, tmp, 0o444, true);
      } catch (err) {
        errors[k] = err as Error;
        return;
      }
      if (big === undefined) tasks.add(k, { op: 'put', path: item.file, target }, item.size);
      else if (big !== 'cloned') {
        bigCopies.set(k, big);
        for (const task of big.tasks) tasks.add(k, task, task.end - task.start);
      }
    });
    try {
      const results = await pool.run(tasks.tasks, { signal: options.signal, sizes: tasks.sizes, ...tasks.progress(items.length, (done, bytes) => options.onProgress?.({ done, bytes })) });
      results.forEach((r, t) => (errors[tasks.owner[t]] ??= asError(r)));
      for (const [k, big] of bigCopies) {
        try {
          if (!errors[k]) publishSplitCopy(big.tmp, this.abs(items[k].key), big.size, 0o444);
        } catch (err) {
          errors[k] = err as Error;
        }
      }
    } finally {
      for (const big of bigCopies.values()) fs.rmSync(big.tmp, { force: true }); // gone already once published
    }
    // The pool reported its tasks; cloned objects had none.
    options.onProgress?.({ done: items.length, bytes: items.reduce((sum, item) => sum + item.size, 0) });
    return errors;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.abs(key));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The object keys under `prefix` (`files/md5/`, `files/md5/ab/`, '' or `ab/` for DVC 2's layout):
   * only names of the object shape in prefix folders, none through a link. The folder may be
   * shared with other files (notes, other tools' data): they are never keys, so never removed.
   */
  async list(prefix: string): Promise<string[]> {
    const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const keys: string[] = [];
    for (const layout of LAYOUTS) {
      const dir = layoutFolder(this.root, layout);
      if (dir === undefined) continue;
      let prefixes: string[];
      if (layout.startsWith(base)) prefixes = subfolders(dir).filter(isPrefixFolder); // the whole layout
      else if (base.startsWith(layout) && base.length === layout.length + 3 && isPrefixFolder(base.slice(layout.length, -1))) prefixes = [base.slice(layout.length, -1)];
      else continue;
      await Promise.all(
        prefixes.map(async (p) => {
          let names: fs.Dirent[];
          try {
            if ((await fs.promises.lstat(path.join(dir, p))).isSymbolicLink()) return;
            names = await fs.promises.readdir(path.join(dir, p), { withFileTypes: true });
          } catch {
            return;
          }
          for (const e of names) {
            const key = `${layout}${p}/${e.name}`;
            if (e.isFile() && isObjectKey(key)) keys.push(key);
          }
        }),
      );
    }
    return keys;
  }

  /** Small objects are read, hashed and written in one task each; a big one by a 'hash' and a 'copy' task at once, verified here. */
  async getAll(items: GetItem[], stagingDir: string, options: BatchOptions): Promise<(Error | undefined)[]> {
    const pool = this.poolFor(options.jobs);
    const sources = items.map((i) => this.abs(i.key));
    const sizes = (await pool.sizes(sources, options.signal)).map((size) => size ?? 0);
    const split = items.map((i, k) => i.hashName === 'md5' && sizes[k] >= SPLIT_COPY_BYTES);
    const tasks = new ItemTasks();
    items.forEach((i, k) => {
      if (split[k]) {
        tasks.add(k, { op: 'hash', path: sources[k], hashName: 'md5' }, sizes[k]);
        tasks.add(k, { op: 'copy', path: sources[k], stagingDir }, 0);
      } else {
        tasks.add(k, { op: 'fetch', path: sources[k], objectsDir: i.objectsDir, stagingDir, name: i.name, hashName: i.hashName }, sizes[k]);
      }
    });
    const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
    const results = await pool.run(tasks.tasks, { signal: options.signal, sizes: tasks.sizes, ...tasks.progress(items.length, (done, bytes) => options.onProgress?.({ done, bytes, totalBytes })) });
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
    const file = this.abs(key);
    assertRealFolders(this.root, file);
    await fs.promises.rm(file, { force: true });
  }

  async listRunEntries(): Promise<string[]> {
    return runEntryKeys(this.root);
  }

  async readRunEntry(key: string, maxBytes: number): Promise<Buffer> {
    splitRunEntryKey(key); // throws unless it has an entry's shape: a name is never a path
    const file = joinClean(this.root, key);
    assertRealFolders(this.root, file);
    return readRepoFile(file, `${this.name}:${key}`, maxBytes);
  }

  async writeRunEntry(key: string, bytes: Buffer): Promise<void> {
    await writeRunEntryFile(this.root, key, bytes);
  }

  /** Upload temp files (see tempPathFor) in the prefix folders, idle for `idleMs`. */
  async abandonedUploads(idleMs: number): Promise<string[]> {
    const before = Date.now() - idleMs;
    return layoutFiles(this.root).filter((key) => {
      if (!isUploadTemp(path.posix.basename(key))) return false;
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

/** An upload's temp file beside its object (tempPathFor): `.<object name>.<pid>.<random>[.<n>].tmp`; another file is not ours. */
function isUploadTemp(name: string): boolean {
  return isTempName(name) && /^\.[0-9a-f]{30}(\.dir)?\./.test(name);
}

function asError(r: WorkerResult): Error | undefined {
  return r.ok ? undefined : Object.assign(new Error(r.error), { code: r.errno });
}
