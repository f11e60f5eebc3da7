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
  private loaded = false;

  constructor(
    /** What is read, named as its view (`cairn.runs`, `cairn.pipelines`, `cairn.remotes`): `runs`, `pipelines`... */
    private readonly what: string,
    private readonly roots: () => string[],
    private readonly read: (root: string) => Promise<T>,
    /** A value the view shows nothing for (then its "nothing here yet" text may show). */
    private readonly isEmpty: (value: T) => boolean,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  refresh(): Promise<void> {
    const done = this.queue.request();
    // Until the first read ends the view is empty: a progress bar on it.
    if (!this.loaded) void vscode.window.withProgress({ location: { viewId: `cairn.${this.what}` } }, () => done);
    return done;
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
    this.loaded = true;
    // package.json shows the view's "nothing here yet" text only on `cairn.<what>Empty`: read, and
    // nothing to show (not merely not read yet, which left it showing while a first read was slow).
    const empty = roots.every((root) => !this.errors.has(root) && this.isEmpty(this.values.get(root)!));
    void vscode.commands.executeCommand('setContext', `cairn.${this.what}Empty`, empty);
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
