import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { HashPool } from './hashPool';
import type { FileHash } from './hashFile';
import type { WorkerResult } from './workerProtocol';

/** The md5 of a file being written (a download), fed as the writer goes. */
export interface WritingHash {
  /** `chunks` were just written; the file now holds `totalBytes`. */
  wrote(chunks: Buffer[], totalBytes: number): void;
  /** Once the file is complete. */
  md5(): Promise<string>;
  /** The writer gave up. */
  abandon(): void;
}

const cores = os.availableParallelism?.() ?? os.cpus().length;
/** Hashing threads at work for writers; beyond one per core, a writer hashes on its own thread. */
let threadsInUse = 0;
/**
 * The threads that follow writers, kept between downloads: starting one costs ~30 ms of CPU
 * here, more than hashing a 10 MiB download. A cancel reaches all their tasks at once (one
 * operation's downloads share its signal).
 */
let followers: HashPool | undefined;

/** A hash of `file` (which must exist) kept level with its writer, on a thread of its own when one is free. */
export function hashWhileWriting(file: string, signal?: AbortSignal): WritingHash {
  if (threadsInUse >= cores) return inlineHash();
  threadsInUse++;
  return new FollowingHash(file, signal, () => threadsInUse--);
}

function inlineHash(): WritingHash {
  const hash = crypto.createHash('md5');
  return {
    wrote: (chunks) => chunks.forEach((c) => hash.update(c)),
    md5: async () => hash.digest('hex'),
    abandon: () => undefined,
  };
}

/**
 * The md5 computed by another thread while the caller is still writing the file: hashing
 * keeps pace with the bytes instead of taking its time after them, and the caller's thread is
 * free for the network. The thread reads what the writer reports written and sleeps until told
 * of more (a shared counter, Atomics.wait/notify).
 */
export class FollowingHash implements WritingHash {
  /** [bytes written so far, state: 0 writing, 1 done, 2 abandoned], shared with the hashing thread. */
  private readonly progress = new BigInt64Array(new SharedArrayBuffer(16));
  private readonly result: Promise<WorkerResult[]>;

  constructor(file: string, signal?: AbortSignal, onDone?: () => void) {
    this.result = (followers ??= new HashPool(cores)).run([{ op: 'hashFollowing', path: file, progress: this.progress }], { signal });
    this.result.catch(() => undefined); // awaited by md5() or dropped by abandon()
    void this.result.then(onDone, onDone);
  }

  wrote(_chunks: Buffer[], totalBytes: number): void {
    Atomics.store(this.progress, 0, BigInt(totalBytes));
    Atomics.notify(this.progress, 1);
  }

  async md5(): Promise<string> {
    this.finish(1n);
    const [r] = await this.result;
    if (!r.ok) throw Object.assign(new Error(r.error), { code: r.errno });
    return (r.value as FileHash).md5;
  }

  abandon(): void {
    this.finish(2n);
  }

  private finish(state: bigint): void {
    Atomics.store(this.progress, 1, state);
    Atomics.notify(this.progress, 1);
  }
}
