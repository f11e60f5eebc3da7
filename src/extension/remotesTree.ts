import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CoreClient } from './coreClient';
import type { RemoteListing } from '../core/remotes/remoteConfig';
import { PerRepository } from './perRepository';
import { trustItem } from './restrictedMode';

export type RemoteNode =
  | { kind: 'repository'; root: string }
  | { kind: 'remote'; root: string; remote: RemoteListing; hasSecret: boolean }
  | { kind: 'problem'; root: string; text: string }
  | { kind: 'needsTrust'; root: string };

/** Where VS Code keeps a remote's credentials when the user keeps them out of config.local. */
export function secretKey(root: string, remote: string): string {
  return `cairn.remote:${root}:${remote}`;
}

/** The remotes of one repository, and which of them have credentials kept by VS Code. */
interface RepositoryRemotes {
  list: RemoteListing[];
  withSecret: Set<string>;
}

/** The Remotes view: the remotes of each repository (the default marked), from .dvc/config and config.local. */
export class RemotesTreeProvider implements vscode.TreeDataProvider<RemoteNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly data: PerRepository<RepositoryRemotes>;

  constructor(core: CoreClient, private readonly roots: () => string[], secrets: vscode.SecretStorage, log: vscode.LogOutputChannel) {
    this.data = new PerRepository('remotes', roots, async (root) => {
      const list = await core.call('remotes', root, {});
      const withSecret = new Set<string>();
      for (const r of list) if (await secrets.get(secretKey(root, r.name))) withSecret.add(r.name);
      return { list, withSecret };
    }, (r) => r.list.length === 0, log);
    this.data.onDidChange(() => this.changed.fire());
  }

  refresh(): Promise<void> {
    return this.data.refresh();
  }

  /** The remotes configured for `root` (read first if the view has not yet). */
  async remotesOf(root: string): Promise<RemoteListing[]> {
    return (await this.data.get(root)).list;
  }

  getChildren(node?: RemoteNode): RemoteNode[] {
    if (!node) {
      const roots = this.roots();
      return roots.length > 1 ? roots.map((root) => ({ kind: 'repository', root })) : roots.flatMap((root) => this.nodesOf(root));
    }
    return node.kind === 'repository' ? this.nodesOf(node.root) : [];
  }

  private nodesOf(root: string): RemoteNode[] {
    const error = this.data.errors.get(root);
    if (error) return [{ kind: 'problem', root, text: error }];
    const remotes = this.data.values.get(root);
    const nodes: RemoteNode[] = (remotes?.list ?? []).map((remote) => ({ kind: 'remote', root, remote, hasSecret: remotes!.withSecret.has(remote.name) }));
    // Pushing, pulling and checking a remote the repository names need trust.
    if (!vscode.workspace.isTrusted && nodes.length) nodes.push({ kind: 'needsTrust', root });
    return nodes;
  }

  getTreeItem(node: RemoteNode): vscode.TreeItem {
    if (node.kind === 'repository') {
      const t = new vscode.TreeItem(path.basename(node.root), vscode.TreeItemCollapsibleState.Expanded);
      t.iconPath = new vscode.ThemeIcon('repo');
      return t;
    }
    if (node.kind === 'needsTrust') return trustItem('Trust this folder to push, pull or check remotes', `${node.root}:needsTrust`);
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
    this.data.dispose();
    this.changed.dispose();
  }
}
