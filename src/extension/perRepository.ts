import * as vscode from 'vscode';
import { RefreshQueue } from './refreshQueue';
import { CairnError } from '../core/errors';

/**
 * Data a view computes for each open repository (runs, stages, remotes): read for every root
 * one refresh at a time, the failure of one root kept as its one-line error for the view to show.
 */
export class PerRepository<T> implements vscode.Disposable {
  readonly values = new Map<string, T>();
  readonly errors = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly queue = new RefreshQueue(() => this.load());

  constructor(
    /** What is read, for the log: `runs`, `pipelines`... */
    private readonly what: string,
    private readonly roots: () => string[],
    private readonly read: (root: string) => Promise<T>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  refresh(): Promise<void> {
    return this.queue.request();
  }

  private async load(): Promise<void> {
    const roots = this.roots();
    for (const root of roots) {
      const started = Date.now();
      try {
        this.values.set(root, await this.read(root));
        this.errors.delete(root);
        this.log.info(`${this.what} of ${root} read in ${Date.now() - started} ms`);
      } catch (err) {
        this.values.delete(root);
        this.errors.set(root, err instanceof CairnError ? err.oneLine() : (err as Error).message);
        this.log.warn(`${this.what} of ${root} failed: ${this.errors.get(root)}`);
      }
    }
    for (const root of this.values.keys()) if (!roots.includes(root)) this.values.delete(root);
    this.changed.fire();
  }

  /** The value of `root`, reading it first if it was never read. */
  async get(root: string): Promise<T> {
    if (!this.values.has(root)) await this.refresh();
    const value = this.values.get(root);
    if (value === undefined) throw new CairnError('USAGE', this.errors.get(root) ?? `no ${this.what} for ${root}.`);
    return value;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
