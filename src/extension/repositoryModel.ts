import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { ModelSnapshot, TrackedItem } from './trackedItem';

/**
 * The state of one workspace folder's repository: its tracked items and their status.
 * Views read it; `refresh()` recomputes it in a worker thread, one refresh at a time
 * (a request during a run schedules exactly one more).
 */
export class RepositoryModel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private worker: Worker | undefined;
  private nextId = 0;
  private running: Promise<void> | undefined;
  private again = false;
  items: TrackedItem[] = [];
  error: string | undefined;
  /** Milliseconds the last refresh took, for the output channel. */
  lastRefreshMs = 0;

  constructor(
    readonly root: string,
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  static isRepository(root: string): boolean {
    return fs.existsSync(path.join(root, '.dvc'));
  }

  get changedItems(): TrackedItem[] {
    return this.items.filter((i) => i.status !== 'in sync');
  }

  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const started = Date.now();
    const hashJobs = vscode.workspace.getConfiguration('cairn').get<number>('hashJobs') || undefined;
    const snapshot = await this.ask(hashJobs);
    this.lastRefreshMs = Date.now() - started;
    if (snapshot.ok) {
      this.items = snapshot.items;
      this.error = undefined;
      this.log.info(`refreshed ${this.root}: ${this.items.length} outputs, ${this.changedItems.length} changed, ${this.lastRefreshMs} ms`);
    } else {
      this.error = snapshot.error;
      this.log.warn(`refresh of ${this.root} failed: ${snapshot.error}`);
    }
    this.changed.fire();
  }

  private ask(hashJobs: number | undefined): Promise<ModelSnapshot> {
    this.worker ??= new Worker(path.join(this.extensionPath, 'dist', 'modelWorker.js'));
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onMessage = (msg: { id: number; snapshot: ModelSnapshot }) => {
        if (msg.id !== id) return;
        worker.off('message', onMessage);
        worker.off('error', onError);
        resolve(msg.snapshot);
      };
      const onError = (err: Error) => {
        worker.off('message', onMessage);
        this.worker = undefined;
        resolve({ ok: false, error: err.message });
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ id, root: this.root, hashJobs });
    });
  }

  dispose(): void {
    void this.worker?.terminate();
    this.changed.dispose();
  }
}
