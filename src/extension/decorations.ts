import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RepositoryModel } from './repositoryModel';
import type { ItemStatus } from './trackedItem';

const DECORATIONS: Record<ItemStatus, vscode.FileDecoration> = {
  'in sync': new vscode.FileDecoration('T', 'Tracked by Cairn', new vscode.ThemeColor('gitDecoration.ignoredResourceForeground')),
  modified: new vscode.FileDecoration('M', 'Tracked by Cairn: modified', new vscode.ThemeColor('gitDecoration.modifiedResourceForeground')),
  deleted: new vscode.FileDecoration('D', 'Tracked by Cairn: deleted', new vscode.ThemeColor('gitDecoration.deletedResourceForeground')),
  'not in cache': new vscode.FileDecoration('!', 'Tracked by Cairn: not in cache', new vscode.ThemeColor('list.warningForeground')),
  new: new vscode.FileDecoration('A', 'Tracked by Cairn: not committed', new vscode.ThemeColor('gitDecoration.addedResourceForeground')),
};

/** Changed files decorated per directory output; beyond this the directory's own badge says it. */
const MAX_FILE_DECORATIONS = 2000;

/** Explorer badges for tracked outputs (and changed files inside tracked directories) and, by propagation, the folders above changed ones. */
export class TrackedDataDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private byPath = new Map<string, ItemStatus>();

  constructor(private readonly models: () => RepositoryModel[]) {}

  update(): void {
    const enabled = vscode.workspace.getConfiguration('cairn').get<boolean>('decorations.enabled', true);
    const next = new Map<string, ItemStatus>();
    if (enabled) {
      for (const m of this.models()) {
        for (const i of m.items) {
          next.set(path.join(m.root, i.path), i.status);
          for (const f of (i.changedFiles ?? []).slice(0, MAX_FILE_DECORATIONS)) next.set(path.join(m.root, i.path, f.relpath), f.status);
        }
      }
    }
    const touched = new Set([...this.byPath.keys(), ...next.keys()]);
    this.byPath = next;
    this.changed.fire([...touched].map((p) => vscode.Uri.file(p)));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== 'file') return undefined;
    const status = this.byPath.get(uri.fsPath);
    if (!status) return undefined;
    const d = DECORATIONS[status];
    const decoration = new vscode.FileDecoration(d.badge, d.tooltip, d.color);
    decoration.propagate = status !== 'in sync';
    return decoration;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
