import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CairnError } from '../core/errors';
import { folderTrusted } from '../core/folderTrust';
import type { Progress } from '../core/progress';
import type { CoreOp, CoreOps, FromWorker, ToWorker } from './coreProtocol';

export interface CallOptions {
  hashJobs?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Answers the worker's question before changed outputs are recorded; no answer means no. */
  confirm?: (outputs: string[], dvcFile: string) => Promise<boolean>;
}

/**
 * Calls into the core in a worker thread (dist/coreWorker.js): the extension host's UI
 * thread never walks, stats or hashes the workspace. A crashed worker fails the calls in
 * flight and is started again on the next call. A worker is trusted (runs git, writes) only if
 * the folder was when it started (`folderTrusted` of the extension host); once trust is granted
 * the next call starts a new worker, and the old one stops when its calls are done.
 */
export class CoreClient {
  private worker: Worker | undefined;
  private workerTrusted = false;
  private nextId = 0;
  private readonly pending = new Map<number, { worker: Worker; resolve(v: unknown): void; reject(e: Error): void; options: CallOptions }>();

  constructor(private readonly extensionPath: string) {}

  call<K extends CoreOp>(op: K, root: string, args: CoreOps[K]['args'], options: CallOptions = {}): Promise<CoreOps[K]['result']> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve: resolve as (v: unknown) => void, reject, options });
      const post = (msg: ToWorker) => worker.postMessage(msg);
      options.signal?.addEventListener('abort', () => post({ id, abort: true }), { once: true });
      post({ id, op, root, hashJobs: options.hashJobs, args });
    });
  }

  private start(): Worker {
    if (this.worker && this.workerTrusted === folderTrusted()) return this.worker;
    if (this.worker) this.retire(this.worker);
    this.workerTrusted = folderTrusted();
    const worker = new Worker(path.join(this.extensionPath, 'dist', 'coreWorker.js'), { workerData: { folderTrusted: this.workerTrusted } });
    worker.on('message', (msg: FromWorker) => void this.onMessage(worker, msg));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`the Cairn worker stopped (exit code ${code})`)));
    return (this.worker = worker);
  }

  private async onMessage(worker: Worker, msg: FromWorker): Promise<void> {
    const call = this.pending.get(msg.id);
    if (!call) return;
    if ('progress' in msg) call.options.onProgress?.(msg.progress);
    else if ('confirm' in msg) {
      const confirmed = (await call.options.confirm?.(msg.confirm.outputs, msg.confirm.dvcFile)) ?? false;
      worker.postMessage({ id: msg.id, confirmed } satisfies ToWorker);
    } else {
      this.pending.delete(msg.id);
      if ('result' in msg) call.resolve(msg.result);
      else {
        const { code, message, options } = msg.error;
        call.reject(code ? new CairnError(code, message, options) : new Error(message));
      }
      if (worker !== this.worker && ![...this.pending.values()].some((p) => p.worker === worker)) void worker.terminate();
    }
  }

  /** A worker started before trust was granted: no new calls; it stops once its calls are answered. */
  private retire(worker: Worker): void {
    this.worker = undefined;
    if (![...this.pending.values()].some((p) => p.worker === worker)) void worker.terminate();
  }

  private fail(worker: Worker, err: Error): void {
    if (this.worker === worker) this.worker = undefined;
    for (const [id, call] of this.pending) {
      if (call.worker !== worker) continue;
      this.pending.delete(id);
      call.reject(err);
    }
  }

  dispose(): void {
    const workers = new Set([this.worker, ...[...this.pending.values()].map((p) => p.worker)]);
    this.worker = undefined;
    for (const worker of workers) void worker?.terminate();
  }
}
