import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RefreshQueue } from './refreshQueue';
import type { TrackedItem } from './trackedItem';
import type { RemoteStates } from './coreProtocol';
import { CoreClient } from './coreClient';
import { CairnError } from '../core/errors';

/**
 * The state of one workspace folder's repository: its tracked items and their status.
 * Views read it; `refresh()` recomputes it in a worker thread (its own, so a long command
 * does not hold up the view), one refresh at a time (a request during a run schedules
 * exactly one more).
 */
export class RepositoryModel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly core: CoreClient;
  private readonly queue = new RefreshQueue(() => this.run());
  items: TrackedItem[] = [];
  error: string | undefined;
  /** Milliseconds the last refresh took, for the output channel. */
  lastRefreshMs = 0;
  /** Counts refreshes, so views can tell a new snapshot from the one they drew. */
  generation = 0;
  /** Where each output's data is against the default remote (checked on request: it may cost network calls). */
  remoteStates: RemoteStates | undefined;

  constructor(
    readonly root: string,
    extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.core = new CoreClient(extensionPath);
  }

  static isRepository(root: string): boolean {
    return fs.existsSync(path.join(root, '.dvc'));
  }

  get changedItems(): TrackedItem[] {
    return this.items.filter((i) => i.status !== 'in sync');
  }

  refresh(): Promise<void> {
    return this.queue.request();
  }



  private async run(): Promise<void> {
    const started = Date.now();
    const hashJobs = vscode.workspace.getConfiguration('cairn').get<number>('hashJobs') || undefined;
    try {
      const { items, unreadable } = await this.core.call('snapshot', this.root, {}, { hashJobs });
      this.items = items;
      // The others are shown; the message names what was left out (a bad .dvc file, dvc.lock...).
      this.error = unreadable.length ? unreadable.join(' · ') : undefined;
      this.lastRefreshMs = Date.now() - started;
      this.log.info(`refreshed ${this.root}: ${this.items.length} outputs, ${this.changedItems.length} changed, ${this.lastRefreshMs} ms`);
    } catch (err) {
      this.error = err instanceof CairnError ? err.oneLine() : (err as Error).message;
      this.log.warn(`refresh of ${this.root} failed: ${this.error}`);
    }
    this.generation++;
    this.changed.fire();
  }

  setRemoteStates(states: RemoteStates): void {
    this.remoteStates = states;
    this.changed.fire();
  }

  dispose(): void {
    this.core.dispose();
    this.changed.dispose();
  }
}
