import { HashPool } from './hashPool';
import type { FileHash } from './hashFile';
import type { WorkerResult } from './workerProtocol';

/**
 * The md5 of a file computed on a thread of its own while the caller is still writing it (a
 * big download): hashing keeps pace with the bytes instead of taking its time after them, and
 * the caller's thread is free for the network. Tell it each new length (`wrote`), then ask for
 * the md5 once the file is complete, or `abandon` it.
 */
export class FollowingHash {
  /** [bytes written so far, state: 0 writing, 1 done, 2 abandoned], shared with the hashing thread. */
  private readonly progress = new BigInt64Array(new SharedArrayBuffer(16));
  private readonly pool = new HashPool(1);
  private readonly result: Promise<WorkerResult[]>;

  /** `file` must exist already: the thread opens it at once. */
  constructor(file: string, signal?: AbortSignal) {
    this.result = this.pool.run([{ op: 'hashFollowing', path: file, progress: this.progress }], { signal });
    this.result.catch(() => undefined); // awaited by md5() or dropped by abandon()
  }

  wrote(totalBytes: number): void {
    Atomics.store(this.progress, 0, BigInt(totalBytes));
    Atomics.notify(this.progress, 1);
  }

  async md5(): Promise<string> {
    this.finish(1n);
    try {
      const [r] = await this.result;
      if (!r.ok) throw Object.assign(new Error(r.error), { code: r.errno });
      return (r.value as FileHash).md5;
    } finally {
      void this.pool.close();
    }
  }

  abandon(): void {
    this.finish(2n);
    void this.result.finally(() => this.pool.close()).catch(() => undefined);
  }

  private finish(state: bigint): void {
    Atomics.store(this.progress, 1, state);
    Atomics.notify(this.progress, 1);
  }
}
