import * as fs from 'node:fs';
import { commitVerifiedObject, hashFileSync, stagingPath } from '../hashing/hashFile';
import { settleEach } from './parallel';
import type { BatchOptions, GetItem, PutItem, TransferOptions } from './remote';

/** A remote that moves one object per request (S3): `putAll`/`getAll` run `jobs` requests at once. */
export interface ObjectAtATime {
  upload(localFile: string, key: string, size: number, options: TransferOptions): Promise<void>;
  /** Create `localFile` read-only (0444) with the object's bytes; returns their md5 and size, computed as they went by. */
  download(key: string, localFile: string, options: TransferOptions): Promise<{ md5: string; size: number }>;
}

function progress(options: BatchOptions) {
  let done = 0;
  let bytes = 0;
  return {
    onBytes: (n: number) => {
      bytes += n;
      options.onProgress?.({ done, bytes });
    },
    finished: () => {
      done++;
      options.onProgress?.({ done, bytes });
    },
  };
}

export function putEach(remote: ObjectAtATime, items: PutItem[], options: BatchOptions): Promise<(Error | undefined)[]> {
  const p = progress(options);
  return settleEach(items, options.jobs, async (item) => {
    try {
      await remote.upload(item.file, item.key, item.size, { signal: options.signal, onBytes: p.onBytes });
    } finally {
      p.finished();
    }
  }, options.signal);
}

export function getEach(remote: ObjectAtATime, items: GetItem[], stagingDir: string, options: BatchOptions): Promise<(Error | undefined)[]> {
  const p = progress(options);
  fs.mkdirSync(stagingDir, { recursive: true });
  return settleEach(items, options.jobs, async (item) => {
    const tmp = stagingPath(stagingDir);
    try {
      const { md5 } = await remote.download(item.key, tmp, { signal: options.signal, onBytes: p.onBytes });
      commitVerifiedObject(tmp, item.objectsDir, item.name, item.hashName === 'md5' ? md5 : hashFileSync(tmp, item.hashName).md5);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    } finally {
      p.finished();
    }
  }, options.signal);
}
