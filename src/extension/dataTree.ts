import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RepositoryModel } from './repositoryModel';
import type { ItemStatus, TrackedItem } from './trackedItem';
import { ManifestTree } from './manifestTree';
import { isModel as matchesModel } from './modelPatterns';
import { Repo } from '../core/repo/repo';
import { formatSize } from '../core/formatSize';
import { isObjectId } from '../core/hashing/objectId';

/** Rows shown per folder before a "show more" row: a 100k-file folder expands at once. */
export const PAGE_SIZE = 500;

/**
 * A row's `resourceUri`: its file icon comes from the name, but it is no file's URI, so no file
 * decorations apply. Everything here is tracked data: git's grey for its ignored files (DVC
 * git-ignores them; git's provider looks at the path whatever the scheme, so the path is
 * repo-relative) would make every row look disabled, and a "T" (tracked) badge on each would
 * say nothing; the rows' own icons and descriptions give their status.
 */
function rowUri(...rel: string[]): vscode.Uri {
  return vscode.Uri.from({ scheme: 'cairn-data', path: `/${rel.filter(Boolean).join('/')}` });
}

/** Whether an output goes under Models (`cairn.modelPatterns`, `type: model`). */
function isModel(item: TrackedItem): boolean {
  return matchesModel(item, vscode.workspace.getConfiguration('cairn').get<string[]>('modelPatterns') ?? []);
}

/** Files of a folder row, as its description says them. */
function filesText(count: number): string {
  return `${count.toLocaleString('en-US')} file${count === 1 ? '' : 's'}`;
}

export type DataNode =
  | { kind: 'group'; group: 'Datasets' | 'Models'; model: RepositoryModel }
  | { kind: 'output'; item: TrackedItem; model: RepositoryModel }
  | { kind: 'folder'; item: TrackedItem; model: RepositoryModel; prefix: string; fileCount?: number }
  | { kind: 'file'; item: TrackedItem; model: RepositoryModel; relpath: string; md5: string; status: ItemStatus }
  | { kind: 'more'; parentKey: string; shown: number; total: number; model: RepositoryModel };

const STATUS_ICONS: Record<ItemStatus, vscode.ThemeIcon> = {
  'in sync': new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  modified: new vscode.ThemeIcon('diff-modified', new vscode.ThemeColor('gitDecoration.modifiedResourceForeground')),
  deleted: new vscode.ThemeIcon('diff-removed', new vscode.ThemeColor('gitDecoration.deletedResourceForeground')),
  'not in cache': new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  new: new vscode.ThemeIcon('diff-added', new vscode.ThemeColor('gitDecoration.addedResourceForeground')),
};

const STATUS_TEXT: Record<ItemStatus, string> = {
  'in sync': 'In sync with its .dvc file',
  modified: 'Modified since it was last committed',
  deleted: 'Deleted from the workspace (restore it with Checkout)',
  'not in cache': 'Not in the cache: pull or re-add it',
  new: 'Not committed yet',
};

const FILE_STATUS_TEXT: Record<ItemStatus, string> = {
  'in sync': 'Unchanged',
  modified: 'Modified since the directory was last committed',
  deleted: 'Deleted from the workspace (restore it with Checkout)',
  'not in cache': 'Not in the cache',
  new: 'Added to the directory since it was last committed',
};

/** The Data & Models view: datasets and models of the workspace, each expandable lazily from its manifest. */
export class DataTreeProvider implements vscode.TreeDataProvider<DataNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DataNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly manifests = new Map<string, ManifestTree | null>();
  private readonly pages = new Map<string, number>();
  private readonly changedFiles = new WeakMap<TrackedItem, Map<string, ItemStatus>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly models: () => RepositoryModel[]) {}

  watch(model: RepositoryModel): void {
    this.subscriptions.push(model.onDidChange(() => this.changed.fire(undefined)));
  }

  /** Show one more page under the parent of a "more" row. */
  showMore(node: DataNode): void {
    if (node.kind !== 'more') return;
    this.pages.set(node.parentKey, node.shown + PAGE_SIZE);
    this.changed.fire(undefined);
  }

  getChildren(node?: DataNode): DataNode[] {
    if (!node) {
      return this.models().flatMap((model) => {
        if (model.items.length === 0) return [];
        const groups: DataNode[] = [];
        if (model.items.some((i) => !isModel(i))) groups.push({ kind: 'group', group: 'Datasets', model });
        if (model.items.some((i) => isModel(i))) groups.push({ kind: 'group', group: 'Models', model });
        return groups;
      });
    }
    switch (node.kind) {
      case 'group':
        return node.model.items.filter((i) => isModel(i) === (node.group === 'Models')).map((item) => ({ kind: 'output' as const, item, model: node.model }));
      case 'output':
        return this.folderChildren(node.item, node.model, '');
      case 'folder':
        return this.folderChildren(node.item, node.model, node.prefix);
      default:
        return [];
    }
  }

  /**
   * The folders of a tracked directory: its recorded manifest, plus the files added in the
   * workspace since (a directory with changes gets a tree of its own per refresh).
   */
  /** Lets `TreeView.reveal` find a row: rows are matched by their ids. */
  getParent(node: DataNode): DataNode | undefined {
    switch (node.kind) {
      case 'output':
        return { kind: 'group', group: isModel(node.item) ? 'Models' : 'Datasets', model: node.model };
      case 'folder':
      case 'file': {
        const inside = node.kind === 'folder' ? node.prefix : node.relpath;
        const parent = path.posix.dirname(inside);
        return parent === '.' ? { kind: 'output', item: node.item, model: node.model } : { kind: 'folder', item: node.item, model: node.model, prefix: parent };
      }
      default:
        return undefined;
    }
  }

  private manifest(item: TrackedItem, model: RepositoryModel): ManifestTree | null {
    const key = item.changedFiles?.length ? `${model.root}:${item.path}:${model.generation}` : `${model.root}:${item.md5}`;
    if (!this.manifests.has(key)) {
      let tree: ManifestTree | null = null;
      try {
        const entries = Repo.open(model.root).store.readDir(item.md5!, 'md5');
        const added = (item.changedFiles ?? []).filter((f) => f.status === 'new').map((f) => ({ relpath: f.relpath, md5: '' }));
        tree = entries ? new ManifestTree([...entries, ...added]) : null;
      } catch {
        tree = null;
      }
      this.manifests.set(key, tree);
    }
    return this.manifests.get(key)!;
  }

  /**
   * A file's status inside a tracked directory: its own change when the directory is modified,
   * 'deleted' when the whole directory is gone; no claim for a directory not in the cache.
   */
  private fileStatus(item: TrackedItem, relpath: string): ItemStatus {
    if (item.status === 'deleted') return 'deleted';
    if (item.status !== 'modified') return 'in sync';
    let byPath = this.changedFiles.get(item);
    if (!byPath) this.changedFiles.set(item, (byPath = new Map((item.changedFiles ?? []).map((f) => [f.relpath, f.status]))));
    return byPath.get(relpath) ?? 'in sync';
  }

  private folderChildren(item: TrackedItem, model: RepositoryModel, prefix: string): DataNode[] {
    if (!item.isdir || !item.md5) return [];
    const folder = this.manifest(item, model)?.get(prefix);
    if (!folder) return [];
    const parentKey = `${model.root}:${item.path}:${prefix}`;
    const limit = this.pages.get(parentKey) ?? PAGE_SIZE;
    const join = (name: string) => (prefix ? `${prefix}/${name}` : name);
    const all: DataNode[] = [
      ...folder.folders.map((name) => ({ kind: 'folder' as const, item, model, prefix: join(name), fileCount: this.manifest(item, model)?.get(join(name))?.fileCount })),
      ...folder.files.map((f) => ({ kind: 'file' as const, item, model, relpath: join(f.name), md5: f.md5, status: this.fileStatus(item, join(f.name)) })),
    ];
    if (all.length <= limit) return all;
    return [...all.slice(0, limit), { kind: 'more', parentKey, shown: limit, total: all.length, model }];
  }

  getTreeItem(node: DataNode): vscode.TreeItem {
    switch (node.kind) {
      case 'group': {
        const count = node.model.items.filter((i) => isModel(i) === (node.group === 'Models')).length;
        const t = new vscode.TreeItem(node.group, vscode.TreeItemCollapsibleState.Expanded);
        t.description = String(count);
        t.iconPath = new vscode.ThemeIcon(node.group === 'Models' ? 'package' : 'database');
        t.contextValue = 'cairn.group';
        t.id = `${node.model.root}:group:${node.group}`;
        return t;
      }
      case 'output': {
        const { item } = node;
        const uri = vscode.Uri.file(path.join(node.model.root, item.path));
        const t = new vscode.TreeItem(item.path, item.isdir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        t.id = `${node.model.root}:out:${item.path}`;
        t.resourceUri = rowUri(item.path);
        t.iconPath = STATUS_ICONS[item.status];
        const sizeText = item.size === null ? '' : formatSize(item.size);
        const remote = node.model.remoteStates?.states[item.path];
        t.description = [sizeText, item.nfiles === null ? '' : filesText(item.nfiles), item.status === 'in sync' ? '' : item.status, remote ? `☁ ${remote}` : ''].filter(Boolean).join(' · ');
        t.tooltip = tooltipFor(item, remote && `${remote} (remote '${node.model.remoteStates!.remote}')`);
        // Stage outputs are recorded in dvc.lock and made by Repro: the .dvc actions do not apply.
        t.contextValue = `cairn.${item.stage ? 'stageOutput' : 'output'}.${item.isdir ? 'dir' : 'file'}.${item.status.replace(/ /g, '-')}`;
        if (!item.isdir && item.status !== 'deleted') t.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
        return t;
      }
      case 'folder': {
        const t = new vscode.TreeItem(path.posix.basename(node.prefix), vscode.TreeItemCollapsibleState.Collapsed);
        t.id = `${node.model.root}:out:${node.item.path}/${node.prefix}/`;
        t.resourceUri = rowUri(node.item.path, node.prefix);
        // Always an icon (icon themes such as Seti draw none for folders): without one, a folder's
        // label sits left of its parent's, which has a status icon, and looks not indented.
        // ('file-directory' is the codicon of a folder; 'folder' would mean the icon theme's again.)
        t.iconPath = new vscode.ThemeIcon('file-directory');
        if (node.fileCount !== undefined) t.description = filesText(node.fileCount);
        t.contextValue = 'cairn.entry.folder';
        return t;
      }
      case 'file': {
        const uri = vscode.Uri.file(path.join(node.model.root, node.item.path, node.relpath));
        const t = new vscode.TreeItem(path.posix.basename(node.relpath), vscode.TreeItemCollapsibleState.None);
        t.id = `${node.model.root}:out:${node.item.path}/${node.relpath}`;
        t.resourceUri = rowUri(node.item.path, node.relpath);
        const changed = node.status !== 'in sync';
        t.iconPath = changed ? STATUS_ICONS[node.status] : vscode.ThemeIcon.File;
        const size = this.fileSize(node);
        t.description = [size === undefined ? '' : formatSize(size), changed ? (node.status === 'new' ? 'added' : node.status) : ''].filter(Boolean).join(' · ');
        t.tooltip = `${node.item.path}/${node.relpath}\n${FILE_STATUS_TEXT[node.status]}${node.md5 ? `\nmd5 ${node.md5} (committed)` : ''}`;
        t.contextValue = `cairn.entry.file.${node.status.replace(/ /g, '-')}`;
        if (node.status !== 'deleted') t.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
        return t;
      }
      case 'more': {
        const t = new vscode.TreeItem(`Show ${Math.min(PAGE_SIZE, node.total - node.shown).toLocaleString('en-US')} more of ${(node.total - node.shown).toLocaleString('en-US')}…`);
        t.iconPath = new vscode.ThemeIcon('ellipsis');
        t.command = { command: 'cairn.showMore', title: 'Show more', arguments: [node] };
        return t;
      }
    }
  }

  /**
   * A file's size inside a tracked directory: as it is in the workspace, else (deleted there)
   * its cache object's; a stat of one row's file when the row is drawn (a page at most).
   */
  private fileSize(node: Extract<DataNode, { kind: 'file' }>): number | undefined {
    const inWorkspace = fs.statSync(path.join(node.model.root, node.item.path, node.relpath), { throwIfNoEntry: false });
    if (inWorkspace?.isFile()) return inWorkspace.size;
    if (!isObjectId(node.md5)) return undefined;
    try {
      return fs.statSync(Repo.open(node.model.root).store.pathOf(node.md5, 'md5'), { throwIfNoEntry: false })?.size;
    } catch {
      return undefined;
    }
  }

  /** Forget cached manifests (after add/commit/checkout changed what is tracked). */
  invalidate(): void {
    this.manifests.clear();
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.changed.dispose();
  }
}

/** Status texts where they differ for an output of a pipeline stage (dvc.lock records it, Repro makes it). */
const STAGE_STATUS_TEXT: Partial<Record<ItemStatus, string>> = {
  'in sync': 'In sync with dvc.lock',
  modified: 'Modified since its stage last ran',
  deleted: 'Deleted from the workspace (Repro makes it again)',
  new: 'Not produced yet: its stage has not run',
};

function tooltipFor(item: TrackedItem, remote?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${item.path}**${item.isdir ? '/' : ''}\n\n`);
  md.appendMarkdown(`${(item.stage && STAGE_STATUS_TEXT[item.status]) || STATUS_TEXT[item.status]}\n\n`);
  if (item.desc) md.appendText(`${item.desc}\n\n`);
  const rows: [string, string][] = item.stage ? [['Output of stage', item.stage], ['Declared in', item.dvcFile]] : [['Tracked by', item.dvcFile]];
  if (item.size !== null) rows.push(['Size', formatSize(item.size)]);
  if (item.nfiles !== null) rows.push(['Files', item.nfiles.toLocaleString('en-US')]);
  if (item.md5) rows.push(['md5', item.md5]);
  if (item.type) rows.push(['Type', item.type]);
  if (remote) rows.push(['Remote', remote]);
  md.appendMarkdown(rows.map(([k, v]) => `${k}: \`${v}\``).join('  \n'));
  return md;
}
