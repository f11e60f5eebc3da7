import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CoreClient } from './coreClient';
import type { ModelInfo, ModelVersionInfo, RegistrySnapshot } from './registrySnapshot';
import { PerRepository } from './perRepository';
import { trustItem } from './restrictedMode';
import { CairnError } from '../core/errors';

export type ModelNode =
  | { kind: 'repository'; root: string }
  | { kind: 'model'; root: string; model: ModelInfo }
  | { kind: 'version'; root: string; model: ModelInfo; version: ModelVersionInfo }
  | { kind: 'problem'; root: string; text: string };

/**
 * The Model Registry view: every model HEAD declares (dvc.yaml `artifacts:`) or the registry
 * names (GTO's tags), its versions greatest first with the stages they are in as badges, each
 * linked to the commit or experiment that made it. Read in the core worker.
 */
export class RegistryTreeProvider implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly data: PerRepository<RegistrySnapshot>;

  constructor(core: CoreClient, private readonly roots: () => string[], log: vscode.LogOutputChannel) {
    // Registry tags are read with git: nothing is read in Restricted Mode (the view shows a trust row).
    const read = async (root: string): Promise<RegistrySnapshot> => {
      if (!vscode.workspace.isTrusted) throw new CairnError('USAGE', 'the model registry is git tags, which Cairn does not read in a folder you have not trusted.');
      return core.call('registry', root, {});
    };
    this.data = new PerRepository('models', roots, read, (s) => s.models.length === 0, log);
    this.data.onDidChange(() => this.changed.fire());
  }

  get snapshots(): ReadonlyMap<string, RegistrySnapshot> {
    return this.data.values;
  }

  refresh(): Promise<void> {
    return this.data.refresh();
  }

  snapshot(root: string): Promise<RegistrySnapshot> {
    return this.data.get(root);
  }

  getChildren(node?: ModelNode): ModelNode[] {
    if (!node) {
      const roots = this.roots();
      return roots.length > 1 ? roots.map((root) => ({ kind: 'repository', root })) : roots.flatMap((root) => this.modelsOf(root));
    }
    if (node.kind === 'repository') return this.modelsOf(node.root);
    if (node.kind === 'model') return node.model.versions.map((version) => ({ kind: 'version', root: node.root, model: node.model, version }));
    return [];
  }

  getParent(node: ModelNode): ModelNode | undefined {
    if (node.kind === 'version') return { kind: 'model', root: node.root, model: node.model };
    return undefined;
  }

  private modelsOf(root: string): ModelNode[] {
    if (!vscode.workspace.isTrusted) return [{ kind: 'problem', root, text: 'Restricted Mode' }];
    const error = this.data.errors.get(root);
    if (error) return [{ kind: 'problem', root, text: error }];
    return (this.snapshots.get(root)?.models ?? []).map((model) => ({ kind: 'model', root, model }));
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    switch (node.kind) {
      case 'repository': {
        const t = new vscode.TreeItem(path.basename(node.root), vscode.TreeItemCollapsibleState.Expanded);
        t.iconPath = new vscode.ThemeIcon('repo');
        return t;
      }
      case 'problem': {
        if (!vscode.workspace.isTrusted) return trustItem('Trust this folder to read the model registry (git tags)', `${node.root}:models:trust`);
        const t = new vscode.TreeItem(node.text);
        t.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        t.tooltip = node.text;
        return t;
      }
      case 'model':
        return modelItem(node.root, node.model);
      case 'version':
        return versionItem(node.root, node.model, node.version);
    }
  }

  dispose(): void {
    this.data.dispose();
    this.changed.dispose();
  }
}

/** A stage as a badge in a description: `[prod]`. */
const badges = (stages: string[]) => stages.map((s) => `[${s}]`).join(' ');

function modelItem(root: string, model: ModelInfo): vscode.TreeItem {
  const t = new vscode.TreeItem(model.name, model.versions.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  // A row made without versions cannot expand: VS Code keeps a row's state by id, so one with versions gets another id.
  t.id = `${root}:model:${model.name}${model.versions.length ? ':versions' : ''}`;
  const latest = model.versions.find((v) => v.registered);
  const type = model.declared?.type && model.declared.type !== 'model' ? `${model.declared.type} · ` : '';
  t.description = model.deprecated ? `${type}deprecated` : latest ? `${type}${latest.version}` : `${type}not registered`;
  t.iconPath = new vscode.ThemeIcon(model.deprecated ? 'circle-slash' : 'package');
  t.contextValue = `cairn.model${model.deprecated ? '.deprecated' : model.registered ? '.registered' : ''}`;
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMarkdown(model.name)}**${model.deprecated ? ' — deprecated' : ''}\n\n`);
  if (model.declared?.desc) md.appendText(`${model.declared.desc}\n\n`);
  if (model.declared) md.appendMarkdown(`\`${escapeMarkdown(model.declared.path)}\`, declared in \`${escapeMarkdown(model.declared.file)}\`\n\n`);
  else md.appendMarkdown('Registered only (no dvc.yaml `artifacts:` entry at HEAD)\n\n');
  md.appendMarkdown(model.versions.length ? `${model.versions.length} version${model.versions.length === 1 ? '' : 's'}` : 'No version registered yet: Register Version… tags a commit.');
  t.tooltip = md;
  return t;
}

function versionItem(root: string, model: ModelInfo, version: ModelVersionInfo): vscode.TreeItem {
  const t = new vscode.TreeItem(version.version);
  t.id = `${root}:model:${model.name}:${version.version}`;
  const madeBy = version.experiments.length ? version.experiments.join(', ') : version.branches.length ? version.branches.join(', ') : version.commit.slice(0, 7);
  t.description = [badges(version.stages), madeBy].filter(Boolean).join(' · ');
  t.iconPath = new vscode.ThemeIcon(version.stages.length ? 'verified-filled' : 'tag', version.stages.length ? new vscode.ThemeColor('charts.green') : undefined);
  t.contextValue = `cairn.modelVersion${version.assignedStages.length ? '.staged' : ''}`;
  t.tooltip = versionTooltip(model, version);
  return t;
}

function versionTooltip(model: ModelInfo, version: ModelVersionInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMarkdown(model.name)} ${escapeMarkdown(version.version)}**`);
  if (version.stages.length) md.appendMarkdown(` — ${version.stages.map((s) => `\`${escapeMarkdown(s)}\``).join(' ')}`);
  md.appendMarkdown('\n\n');
  md.appendMarkdown(`commit \`${version.commit.slice(0, 10)}\`${version.commitMessage ? ` ${escapeMarkdown(version.commitMessage.split('\n')[0])}` : ''}  \n`);
  if (version.commitAuthor) md.appendMarkdown(`by ${escapeMarkdown(version.commitAuthor)}, ${version.commitTime}  \n`);
  if (version.experiments.length) md.appendMarkdown(`experiment ${version.experiments.map((e) => `\`${escapeMarkdown(e)}\``).join(', ')}  \n`);
  if (version.branches.length) md.appendMarkdown(`branch ${version.branches.map((b) => `\`${escapeMarkdown(b)}\``).join(', ')}  \n`);
  md.appendMarkdown(`${version.registered ? 'registered' : 'found'} by ${escapeMarkdown(version.author)}, ${version.created}\n\n`);
  const metrics = Object.entries(version.metrics);
  if (metrics.length) {
    md.appendMarkdown('| metric | value |\n|---|---:|\n');
    for (const [key, value] of metrics.slice(0, 20)) md.appendMarkdown(`| ${escapeMarkdown(key)} | ${escapeMarkdown(String(value))} |\n`);
    if (metrics.length > 20) md.appendMarkdown(`\n… and ${metrics.length - 20} more\n`);
  } else md.appendMarkdown(version.metricsError ? `metrics: ${escapeMarkdown(version.metricsError)}` : 'No metrics at this commit.');
  return md;
}

const escapeMarkdown = (text: string) => text.replace(/[\\`*_[\]<>|#]/g, '\\$&');
