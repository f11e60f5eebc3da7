import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CairnError } from '../core/errors';
import type { CoreClient } from './coreClient';
import type { QueueSummary } from './coreProtocol';

const REFRESH_DEBOUNCE_MS = 300;

/**
 * The status bar item of Cairn's experiment queue: "Cairn queue: 2 running, 3 queued" for the
 * repository of the active editor, or the sum over the repositories when the editor is in none
 * (the tooltip lists each); "idle" while workers wait with nothing queued; hidden when the queue
 * is empty and no worker is alive. Read again when `.dvc/tmp/cairn/queue/**` changes; a click
 * opens the queue's actions. Nothing is read in Restricted Mode.
 */
export class QueueStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cairn.queue', vscode.StatusBarAlignment.Left, 39);
  private readonly summaries = new Map<string, QueueSummary>();
  private watchers = new Map<string, vscode.Disposable>();
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly core: CoreClient,
    private readonly roots: () => string[],
    private readonly log: vscode.LogOutputChannel,
    command: string,
  ) {
    this.item.name = 'Cairn Queue';
    this.item.command = command;
    this.disposables.push(this.item, vscode.window.onDidChangeActiveTextEditor(() => this.draw()));
  }

  /** Watch each repository's queue folder (new roots added, gone ones dropped) and read them all. */
  sync(): void {
    const roots = this.roots();
    for (const [root, watcher] of this.watchers) {
      if (roots.includes(root)) continue;
      watcher.dispose();
      this.watchers.delete(root);
      this.summaries.delete(root);
    }
    for (const root of roots) {
      if (this.watchers.has(root)) continue;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, '.dvc/tmp/cairn/queue/**'));
      const schedule = () => this.schedule();
      watcher.onDidChange(schedule);
      watcher.onDidCreate(schedule);
      watcher.onDidDelete(schedule);
      this.watchers.set(root, watcher);
    }
    void this.refresh();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), REFRESH_DEBOUNCE_MS);
  }

  /** The queue of each repository read again (in the core worker), then drawn. */
  async refresh(): Promise<void> {
    if (!vscode.workspace.isTrusted) return this.draw();
    await Promise.all(
      this.roots().map(async (root) => {
        // Never queued here: nothing to read, and no core worker started for it at activation.
        if (!fs.existsSync(path.join(root, '.dvc', 'tmp', 'cairn', 'queue'))) {
          this.summaries.delete(root);
          return;
        }
        try {
          this.summaries.set(root, await this.core.call('queueState', root, {}));
        } catch (err) {
          this.summaries.delete(root);
          this.log.warn(`queue of ${root}: ${err instanceof CairnError ? err.oneLine() : (err as Error).message}`);
        }
      }),
    );
    this.draw();
  }

  /** The summary shown (the active editor's repository's, else the sum), for the tests. */
  get shown(): { text: string; visible: boolean } {
    return { text: this.item.text, visible: this.visible };
  }

  private visible = false;

  private draw(): void {
    const editor = vscode.window.activeTextEditor?.document.uri;
    const mine = editor?.scheme === 'file' ? [...this.summaries.keys()].filter((r) => editor.fsPath.startsWith(r + path.sep)).sort((a, b) => b.length - a.length)[0] : undefined;
    const shown = mine ? [mine] : [...this.summaries.keys()];
    const sum = shown.reduce((s, r) => add(s, this.summaries.get(r)!), { queued: 0, running: 0, workers: 0 });
    this.visible = vscode.workspace.isTrusted && (sum.queued + sum.running + sum.workers > 0);
    if (!this.visible) {
      this.item.hide();
      return;
    }
    const busy = sum.running || sum.queued;
    this.item.text = `$(${sum.running ? 'sync~spin' : 'beaker'}) Cairn queue: ${busy ? [sum.running && `${sum.running} running`, sum.queued && `${sum.queued} queued`].filter(Boolean).join(', ') : 'idle'}`;
    const lines = [...this.summaries].filter(([, s]) => s.queued + s.running + s.workers > 0).map(([root, s]) => `${path.basename(root)}: ${s.running} running, ${s.queued} queued, ${s.workers} worker${s.workers === 1 ? '' : 's'}`);
    this.item.tooltip = `${lines.join('\n')}\nClick for the queue's actions.`;
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watchers.forEach((w) => w.dispose());
    this.disposables.forEach((d) => d.dispose());
  }
}

function add(a: QueueSummary, b: QueueSummary): QueueSummary {
  return { queued: a.queued + b.queued, running: a.running + b.running, workers: a.workers + b.workers };
}
