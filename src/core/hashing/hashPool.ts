import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { abortedError } from '../errors';
import type { WorkerResult, WorkerTask } from './workerProtocol';

export interface PoolProgress {
  tasksDone: number;
  bytesDone: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: PoolProgress) => void;
  /** Bytes each task will touch, for batching and byte progress. */
  sizes?: number[];
}

const MAX_TASKS_PER_BATCH = 64;
const MAX_BYTES_PER_BATCH = 32 << 20;

/**
 * A pool of worker threads sized to the cores. Work goes out in small batches so that
 * many small files cost few messages, and a cancel takes effect between batches: a task
 * that has started always finishes, so nothing is left half-done.
 */
export class HashPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private nextBatchId = 0;

  constructor(readonly size: number = Math.max(1, os.availableParallelism?.() ?? os.cpus().length)) {}

  private spawn(): Worker {
    // Bundled: dist/hashWorker.js beside dist/cli.js; compiled: beside this file.
    const worker = new Worker(path.join(__dirname, 'hashWorker.js'));
    worker.unref();
    this.workers.push(worker);
    return worker;
  }

  async run(tasks: WorkerTask[], options: RunOptions = {}): Promise<WorkerResult[]> {
    const results: WorkerResult[] = new Array(tasks.length);
    if (tasks.length === 0) return results;
    const sizes = options.sizes ?? [];
    const batches: number[][] = [];
    let current: number[] = [];
    let currentBytes = 0;
    for (let i = 0; i < tasks.length; i++) {
      const bytes = sizes[i] ?? 0;
      if (current.length > 0 && (current.length >= MAX_TASKS_PER_BATCH || currentBytes + bytes > MAX_BYTES_PER_BATCH)) {
        batches.push(current);
        current = [];
        currentBytes = 0;
      }
      current.push(i);
      currentBytes += bytes;
    }
    batches.push(current);

    let next = 0;
    let tasksDone = 0;
    let bytesDone = 0;
    let failure: unknown;
    const partial = new Map<Worker, number>();
    const inFlight = () => [...partial.values()].reduce((a, b) => a + b, 0);
    const onPartial = (worker: Worker, bytes: number) => {
      partial.set(worker, bytes);
      options.onProgress?.({ tasksDone, bytesDone: bytesDone + inFlight() });
    };
    const runOn = async (worker: Worker): Promise<void> => {
      while (next < batches.length && failure === undefined) {
        if (options.signal?.aborted) {
          failure = abortedError();
          break;
        }
        const batch = batches[next++];
        try {
          const answer = await this.send(worker, batch.map((i) => tasks[i]), (bytes) => onPartial(worker, bytes));
          partial.delete(worker);
          batch.forEach((taskIndex, k) => {
            results[taskIndex] = answer[k];
            bytesDone += sizes[taskIndex] ?? 0;
          });
          tasksDone += batch.length;
          options.onProgress?.({ tasksDone, bytesDone: bytesDone + inFlight() });
        } catch (err) {
          // The worker itself failed (a crash, not a task error): it is not used again.
          failure = err;
          this.workers = this.workers.filter((w) => w !== worker);
          void worker.terminate();
          return;
        }
      }
      this.idle.push(worker);
    };
    const want = Math.min(this.size, batches.length);
    const running: Promise<void>[] = [];
    for (let i = 0; i < want; i++) running.push(runOn(this.idle.pop() ?? this.spawn()));
    await Promise.all(running);
    if (failure !== undefined) throw failure;
    return results;
  }

  private send(worker: Worker, tasks: WorkerTask[], onPartialBytes: (bytes: number) => void): Promise<WorkerResult[]> {
    const batchId = this.nextBatchId++;
    return new Promise((resolve, reject) => {
      const onMessage = (msg: { batchId: number; results?: WorkerResult[]; partialBytes?: number }) => {
        if (msg.batchId !== batchId) return;
        if (msg.results === undefined) {
          onPartialBytes(msg.partialBytes ?? 0);
          return;
        }
        cleanup();
        resolve(msg.results);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.unref();
      };
      worker.ref();
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ batchId, tasks });
    });
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    this.idle = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
