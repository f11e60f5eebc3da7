import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CoreClient } from './coreClient';
import type { RemoteListing } from '../core/remotes/remoteConfig';
import { RefreshQueue } from './refreshQueue';
import { CairnError } from '../core/errors';

export type RemoteNode = { kind: 'repository'; root: string } | { kind: 'remote'; root: string; remote: RemoteListing; hasSecret: boolean } | { kind: 'problem'; root: string; text: string };

/** Where VS Code keeps a remote's credentials when the user keeps them out of config.local. */
export function secretKey(root: string, remote: string): string {
  return `cairn.remote:${root}:${remote}`;
}

/** The Remotes view: the remotes of each repository (the default marked), from .dvc/config and config.local. */
export class RemotesTreeProvider implements vscode.TreeDataProvider<RemoteNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly remotes = new Map<string, RemoteListing[]>();
  private readonly errors = new Map<string, string>();
  private readonly withSecret = new Set<string>();
  private readonly queue = new RefreshQueue(() => this.load());

  constructor(
    private readonly core: CoreClient,
    private readonly roots: () => string[],
    private readonly secrets: vscode.SecretStorage,
  ) {}

  refresh(): Promise<void> {
    return this.queue.request();
  }

  private async load(): Promise<void> {
    this.withSecret.clear();
    for (const root of this.roots()) {
      try {
        const list = await this.core.call('remotes', root, {});
        this.remotes.set(root, list);
        this.errors.delete(root);
        for (const r of list) if (await this.secrets.get(secretKey(root, r.name))) this.withSecret.add(secretKey(root, r.name));
      } catch (err) {
        this.remotes.delete(root);
        this.errors.set(root, err instanceof CairnError ? err.oneLine() : (err as Error).message);
      }
    }
    this.changed.fire();
  }

  getChildren(node?: RemoteNode): RemoteNode[] {
    if (!node) {
      const roots = this.roots();
      return roots.length > 1 ? roots.map((root) => ({ kind: 'repository', root })) : roots.flatMap((root) => this.remotesOf(root));
    }
    return node.kind === 'repository' ? this.remotesOf(node.root) : [];
  }

  private remotesOf(root: string): RemoteNode[] {
    const error = this.errors.get(root);
    if (error) return [{ kind: 'problem', root, text: error }];
    return (this.remotes.get(root) ?? []).map((remote) => ({ kind: 'remote', root, remote, hasSecret: this.withSecret.has(secretKey(root, remote.name)) }));
  }

  getTreeItem(node: RemoteNode): vscode.TreeItem {
    if (node.kind === 'repository') {
      const t = new vscode.TreeItem(path.basename(node.root), vscode.TreeItemCollapsibleState.Expanded);
      t.iconPath = new vscode.ThemeIcon('repo');
      return t;
    }
    if (node.kind === 'problem') {
      const t = new vscode.TreeItem(node.text);
      t.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      return t;
    }
    const { remote } = node;
    const t = new vscode.TreeItem(remote.name);
    t.id = `${node.root}:remote:${remote.name}`;
    t.description = `${remote.default ? 'default · ' : ''}${remote.url}`;
    t.iconPath = new vscode.ThemeIcon(remote.default ? 'cloud' : 'cloud-upload');
    t.tooltip = new vscode.MarkdownString(
      `**${remote.name}**${remote.default ? ' (default)' : ''}\n\n\`${remote.url}\`${node.hasSecret ? '\n\nCredentials kept by VS Code (not in config.local)' : ''}`,
    );
    t.contextValue = `cairn.remote${remote.default ? '.default' : ''}${remote.url.startsWith('s3://') ? '.s3' : ''}`;
    return t;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
