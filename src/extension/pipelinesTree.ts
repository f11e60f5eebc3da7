import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CoreClient } from './coreClient';
import type { PipelinesSnapshot, StageInfo } from './pipelinesSnapshot';
import type { StageState } from '../../webview/messages';
import { PerRepository } from './perRepository';

export type PipelineNode =
  | { kind: 'repository'; root: string }
  | { kind: 'file'; root: string; file: string }
  | { kind: 'stage'; root: string; stage: StageInfo }
  | { kind: 'problem'; root: string; text: string };

const STATE_ICONS: Record<StageState, vscode.ThemeIcon> = {
  'up to date': new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  changed: new vscode.ThemeIcon('diff-modified', new vscode.ThemeColor('gitDecoration.modifiedResourceForeground')),
  frozen: new vscode.ThemeIcon('lock'),
  'not run': new vscode.ThemeIcon('circle-large-outline', new vscode.ThemeColor('list.warningForeground')),
};

/**
 * The Pipelines view: the stages of every dvc.yaml with their state against dvc.lock (up to
 * date, changed and why, frozen, not run yet). Computed in the core worker.
 */
export class PipelinesTreeProvider implements vscode.TreeDataProvider<PipelineNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly data: PerRepository<PipelinesSnapshot>;

  constructor(core: CoreClient, private readonly roots: () => string[], log: vscode.LogOutputChannel) {
    this.data = new PerRepository('pipelines', roots, (root) => core.call('pipelines', root, {}), (s) => s.stages.length === 0 && s.problems.length === 0, log);
    this.data.onDidChange(() => this.changed.fire());
  }

  get snapshots(): ReadonlyMap<string, PipelinesSnapshot> {
    return this.data.values;
  }

  refresh(): Promise<void> {
    return this.data.refresh();
  }

  snapshot(root: string): Promise<PipelinesSnapshot> {
    return this.data.get(root);
  }

  getChildren(node?: PipelineNode): PipelineNode[] {
    if (!node) {
      const roots = this.roots();
      return roots.length > 1 ? roots.map((root) => ({ kind: 'repository', root })) : roots.flatMap((root) => this.topOf(root));
    }
    if (node.kind === 'repository') return this.topOf(node.root);
    if (node.kind === 'file') return (this.snapshots.get(node.root)?.stages ?? []).filter((s) => s.file === node.file).map((stage) => ({ kind: 'stage', root: node.root, stage }));
    return [];
  }

  /** Problems first, then the stages (grouped by dvc.yaml when there are several). */
  private topOf(root: string): PipelineNode[] {
    const error = this.data.errors.get(root);
    if (error) return [{ kind: 'problem', root, text: error }];
    const snapshot = this.snapshots.get(root);
    if (!snapshot) return [];
    const problems: PipelineNode[] = snapshot.problems.map((text) => ({ kind: 'problem', root, text }));
    const files = [...new Set(snapshot.stages.map((s) => s.file))];
    if (files.length > 1) return [...problems, ...files.map((file): PipelineNode => ({ kind: 'file', root, file }))];
    return [...problems, ...snapshot.stages.map((stage): PipelineNode => ({ kind: 'stage', root, stage }))];
  }

  getTreeItem(node: PipelineNode): vscode.TreeItem {
    switch (node.kind) {
      case 'repository': {
        const t = new vscode.TreeItem(path.basename(node.root), vscode.TreeItemCollapsibleState.Expanded);
        t.iconPath = new vscode.ThemeIcon('repo');
        return t;
      }
      case 'file': {
        const t = new vscode.TreeItem(node.file, vscode.TreeItemCollapsibleState.Expanded);
        t.iconPath = new vscode.ThemeIcon('symbol-file');
        t.resourceUri = vscode.Uri.file(path.join(node.root, node.file));
        t.command = { command: 'vscode.open', title: 'Open', arguments: [t.resourceUri] };
        return t;
      }
      case 'problem': {
        const t = new vscode.TreeItem(node.text);
        t.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        t.tooltip = node.text;
        return t;
      }
      case 'stage': {
        const { stage } = node;
        const t = new vscode.TreeItem(stage.addr);
        t.id = `${node.root}:stage:${stage.addr}`;
        t.iconPath = STATE_ICONS[stage.state];
        t.description = stage.state === 'changed' && stage.reasons.length ? `changed: ${stage.reasons.map((r) => r.split(':')[0].replace(/^changed /, '')).join(', ')}` : stage.state;
        t.tooltip = tooltipOf(stage);
        t.contextValue = `cairn.stage.${stage.state.replace(/ /g, '-')}`;
        const uri = vscode.Uri.file(path.join(node.root, stage.file));
        t.command = { command: 'vscode.open', title: 'Open', arguments: [uri, { selection: new vscode.Range(stage.line - 1, 0, stage.line - 1, 0) }] };
        return t;
      }
    }
  }

  dispose(): void {
    this.data.dispose();
    this.changed.dispose();
  }
}

function tooltipOf(stage: StageInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${stage.addr}** — ${stage.state}\n\n`);
  if (stage.desc) md.appendText(`${stage.desc}\n\n`);
  md.appendCodeblock(stage.cmd, 'shell');
  if (stage.reasons.length) md.appendMarkdown(`\n${stage.reasons.map((r) => `- ${r.replace(/[\\`*_[\]]/g, '\\$&')}`).join('\n')}\n`);
  if (stage.deps.length) md.appendMarkdown(`\ndeps: ${stage.deps.map((d) => `\`${d}\``).join(', ')}  \n`);
  if (stage.outs.length) md.appendMarkdown(`outs: ${stage.outs.map((o) => `\`${o}\``).join(', ')}\n`);
  return md;
}
