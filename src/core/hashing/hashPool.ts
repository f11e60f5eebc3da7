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
  /** Called with the indexes of the tasks just finished, before the progress they make. */
  onTasksDone?: (taskIndexes: number[]) => void;
}

const MAX_TASKS_PER_BATCH = 64;
const MAX_BYTES_PER_BATCH = 32 << 20;

/**
 * A pool of worker threads sized to the cores. Work goes out in small batches so that
 * many small files cost few messages. A cancel reaches the workers at once through a
 * shared flag: a task stops within one chunk of its file and removes its temp file, so a
 * cancel is quick even inside a 100 GB file and nothing is left half-done.
 */
export class HashPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private nextBatchId = 0;
  /** Set to 1 while the current run is cancelled; the workers read it between chunks. */
  private readonly cancelFlag = new Int32Array(new SharedArrayBuffer(4));

  constructor(readonly size: number = Math.max(1, os.availableParallelism?.() ?? os.cpus().length)) {}

  private spawn(): Worker {
    // Bundled: dist/hashWorker.js beside dist/cli.js; compiled: beside this file.
    const worker = new Worker(path.join(__dirname, 'hashWorker.js'), { workerData: { cancelFlag: this.cancelFlag } });
    worker.unref();
    this.workers.push(worker);
    return worker;
  }

  /** Start the threads now, so their start-up overlaps the caller's own preparation. */
  warm(): void {
    while (this.workers.length < this.size) this.idle.push(this.spawn());
  }

  /** The sizes of `files` (undefined for a missing one), stat'ed by the threads in parallel. */
  async sizes(files: string[], signal?: AbortSignal): Promise<(number | undefined)[]> {
    const per = Math.max(256, Math.ceil(files.length / (this.size * 4)));
    const tasks: WorkerTask[] = [];
    for (let i = 0; i < files.length; i += per) tasks.push({ op: 'sizes', paths: files.slice(i, i + per) });
    // Weighed as full batches, so that each is a batch of its own and the threads share them.
    const results = await this.run(tasks, { signal, sizes: tasks.map(() => MAX_BYTES_PER_BATCH) });
    return results.flatMap((r) => {
      if (!r.ok) throw new Error(r.error);
      return (r.value as number[]).map((size) => (size < 0 ? undefined : size));
    });
  }

  async run(tasks: WorkerTask[], options: RunOptions = {}): Promise<WorkerResult[]> {
    const results: WorkerResult[] = new Array(tasks.length);
    if (tasks.length === 0) return results;
    if (options.signal?.aborted) throw abortedError();
    Atomics.store(this.cancelFlag, 0, 0);
    const cancel = () => Atomics.store(this.cancelFlag, 0, 1);
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      return await this.runBatches(tasks, results, options);
    } finally {
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  private async runBatches(tasks: WorkerTask[], results: WorkerResult[], options: RunOptions): Promise<WorkerResult[]> {
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
          if (options.signal?.aborted) {
            failure = abortedError(); // the batch's answers are "cancelled" errors
            break;
          }
          batch.forEach((taskIndex, k) => {
            results[taskIndex] = answer[k];
            bytesDone += sizes[taskIndex] ?? 0;
          });
          tasksDone += batch.length;
          options.onTasksDone?.(batch);
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

/** The worker tasks of a batch of items, where an item may take several (a big file's ranges, a fetch's hash and copy) or none. */
export class ItemTasks {
  readonly tasks: WorkerTask[] = [];
  /** Bytes per task, for the pool's batching and progress. */
  readonly sizes: number[] = [];
  /** The item each task belongs to. */
  readonly owner: number[] = [];

  add(item: number, task: WorkerTask, size: number): void {
    this.tasks.push(task);
    this.sizes.push(size);
    this.owner.push(item);
  }

  /** The answers of `run` grouped by item (of `items`), in task order. */
  byItem<T>(items: number, results: T[]): T[][] {
    const grouped: T[][] = Array.from({ length: items }, () => []);
    results.forEach((r, t) => grouped[this.owner[t]].push(r));
    return grouped;
  }

  /** Run options that report progress by items (of `items`): one is done once all its tasks are (at once when it has none). */
  progress(items: number, report: (itemsDone: number, bytes: number) => void): Pick<RunOptions, 'onProgress' | 'onTasksDone'> {
    const left = new Map<number, number>();
    for (const item of this.owner) left.set(item, (left.get(item) ?? 0) + 1);
    let done = items - left.size;
    return {
      onTasksDone: (taskIndexes) => {
        for (const t of taskIndexes) {
          const item = this.owner[t];
          left.set(item, left.get(item)! - 1);
          if (left.get(item) === 0) done++;
        }
      },
      onProgress: (p) => report(done, p.bytesDone),
    };
  }
}
