import * as vscode from 'vscode';
import { RepositoryModel } from './repositoryModel';
import { DataNode, DataTreeProvider } from './dataTree';
import { TrackedDataDecorations } from './decorations';
import { registerCommands } from './commands';
import { putCliOnPath } from './cliOnPath';
import { CoreClient } from './coreClient';
import { RunNode, RunsTreeProvider } from './runsTree';
import { followRunsSelection } from './experimentActions';
import { RUN_BRANCHES_KEY } from './runBranches';
import { PipelineNode, PipelinesTreeProvider } from './pipelinesTree';
import { RemotesTreeProvider } from './remotesTree';
import { ModelNode, RegistryTreeProvider } from './registryTree';
import { remoteCredentials } from './commands';
import { PipelineLanguageClient } from './languageClient';
import { setFolderTrusted } from '../core/folderTrust';
import { QueueStatusBar } from './queueStatusBar';
import { COMMANDS } from './commandIds';

const REFRESH_DEBOUNCE_MS = 300;

/** The extension's state for one window: a model per repository folder and the views over them. */
class CairnWorkbench implements vscode.Disposable {
  private models = new Map<string, RepositoryModel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly modelWatchers = new Map<string, vscode.Disposable[]>();
  readonly log = vscode.window.createOutputChannel('Cairn', { log: true });
  readonly tree = new DataTreeProvider(() => [...this.models.values()]);
  readonly view: vscode.TreeView<DataNode>;
  readonly decorations = new TrackedDataDecorations(() => [...this.models.values()]);
  /** Runs the write commands in a worker thread; each model refreshes in a worker of its own. */
  private readonly core: CoreClient;
  private readonly statusBar = vscode.window.createStatusBarItem('cairn.status', vscode.StatusBarAlignment.Left, 40);
  private refreshTimer: NodeJS.Timeout | undefined;

  readonly runs: RunsTreeProvider;
  private readonly runsView: vscode.TreeView<RunNode>;
  readonly pipelines: PipelinesTreeProvider;
  readonly remotes: RemotesTreeProvider;
  private readonly pipelinesView: vscode.TreeView<PipelineNode>;
  readonly queue: QueueStatusBar;
  readonly registry: RegistryTreeProvider;
  private readonly registryView: vscode.TreeView<ModelNode>;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.core = new CoreClient(context.extensionPath);
    this.runs = new RunsTreeProvider(this.core, () => [...this.models.keys()], () => context.workspaceState.get<string[]>(RUN_BRANCHES_KEY, []), this.log);
    this.remotes = new RemotesTreeProvider(this.core, () => [...this.models.keys()], context.secrets, this.log);
    const remotesView = vscode.window.createTreeView('cairn.remotes', { treeDataProvider: this.remotes });
    this.pipelines = new PipelinesTreeProvider(this.core, () => [...this.models.keys()], this.log);
    const pipelinesView = (this.pipelinesView = vscode.window.createTreeView('cairn.pipelines', { treeDataProvider: this.pipelines }));
    this.registry = new RegistryTreeProvider(this.core, () => [...this.models.keys()], this.log);
    const registryView = (this.registryView = vscode.window.createTreeView('cairn.models', { treeDataProvider: this.registry }));
    const runsView = (this.runsView = vscode.window.createTreeView('cairn.runs', { treeDataProvider: this.runs, showCollapseAll: true, canSelectMany: true }));
    const view = (this.view = vscode.window.createTreeView('cairn.dataModels', { treeDataProvider: this.tree, showCollapseAll: true, canSelectMany: true }));
    this.queue = new QueueStatusBar(this.core, () => [...this.models.keys()], this.log, COMMANDS.showQueueActions.id);
    this.statusBar.name = 'Cairn';
    this.statusBar.command = 'cairn.dataModels.focus';
    this.disposables.push(
      this.log,
      this.tree,
      this.decorations,
      this.statusBar,
      view,
      this.runs,
      runsView,
      this.pipelines,
      pipelinesView,
      this.remotes,
      remotesView,
      remotesView.onDidChangeVisibility((e) => e.visible && void this.remotes.refresh()),
      this.registry,
      registryView,
      registryView.onDidChangeVisibility((e) => e.visible && void this.registry.refresh()),
      pipelinesView.onDidChangeVisibility((e) => e.visible && void this.pipelines.refresh()),
      this.pipelines.onDidChangeTreeData(() => this.watchOutputs()),
      runsView.onDidChangeCheckboxState((e) => e.items.forEach(([node, state]) => this.runs.setChecked(node, state === vscode.TreeItemCheckboxState.Checked))),
      runsView.onDidChangeVisibility((e) => e.visible && void this.runs.refresh()),
      runsView.onDidChangeSelection((e) => void followRunsSelection(this.core, this.runs, context, this.log, e.selection)),
      vscode.window.registerFileDecorationProvider(this.decorations),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.syncFolders()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.trustGranted()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('cairn')) {
          this.tree.invalidate();
          this.decorations.update();
        }
      }),
      ...registerCommands({
        models: () => [...this.models.values()],
        tree: this.tree,
        core: this.core,
        runs: this.runs,
        pipelines: this.pipelines,
        remotes: this.remotes,
        registry: this.registry,
        refreshRemoteStates: () => this.refreshRemoteStates(),
        extension: context,
        refreshAll: () => this.refreshAll(),
        foldersChanged: () => this.syncFolders(),
        log: this.log,
        queue: this.queue,
      }),
      this.queue,
    );
    this.syncFolders();
  }

  /** Make a model for every workspace folder that is a repository (and drop the others). */
  private syncFolders(): void {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath).filter((root) => RepositoryModel.isRepository(root));
    for (const [root, model] of this.models) {
      if (!roots.includes(root)) {
        model.dispose();
        this.modelWatchers.get(root)?.forEach((d) => d.dispose());
        this.models.delete(root);
      }
    }
    for (const root of roots) {
      if (this.models.has(root)) continue;
      const model = new RepositoryModel(root, this.context.extensionPath, this.log);
      this.models.set(root, model);
      this.tree.watch(model);
      this.modelWatchers.set(root, [model.onDidChange(() => this.onModelChanged()), ...this.watch(root)]);
    }
    void vscode.commands.executeCommand('setContext', 'cairn.isRepository', this.models.size > 0);
    this.queue.sync();
    this.updateNothingTracked();
    // Until a new repository's first status arrives its view is empty: a progress bar on it.
    void vscode.window.withProgress({ location: { viewId: 'cairn.dataModels' } }, () => this.refreshAll());
  }

  /**
   * `cairn.nothingTracked`: every repository's status has arrived and none tracks anything
   * (package.json shows "No data is tracked yet" only then, not while a first status is slow).
   */
  private updateNothingTracked(): void {
    const models = [...this.models.values()];
    void vscode.commands.executeCommand('setContext', 'cairn.nothingTracked', models.every((m) => m.generation > 0 && !m.error && m.items.length === 0));
  }

  /**
   * Narrow watchers: .dvc files, pipeline files, git's HEAD and refs, and the tracked data
   * itself (one pattern per output, renewed when the outputs change). Never `**`.
   */
  private watch(root: string): vscode.Disposable[] {
    // packed-refs: where `git pack-refs` and fetched tags put registry tags.
    const patterns = ['**/*.dvc', '**/dvc.yaml', '**/dvc.lock', '.git/HEAD', '.git/refs/**', '.dvc/config', '.git/packed-refs'];
    return patterns.map((p) => this.watcher(new vscode.RelativePattern(root, p)));
  }

  private dataWatchers: vscode.Disposable[] = [];
  private watchedOutputs = '';

  private watchOutputs(): void {
    const outputs = [
      ...[...this.models.values()].flatMap((m) => m.items.map((i) => ({ root: m.root, pattern: i.isdir ? `${i.path}/**` : i.path }))),
      // What stages read and write, so the Pipelines view sees an edited dep or param.
      ...[...this.pipelines.snapshots].flatMap(([root, s]) => s.inputs.flatMap((p) => [{ root, pattern: p }, { root, pattern: `${p}/**` }])),
    ];
    const key = JSON.stringify(outputs);
    if (key === this.watchedOutputs) return;
    this.watchedOutputs = key;
    this.dataWatchers.forEach((d) => d.dispose());
    this.dataWatchers = outputs.map((o) => this.watcher(new vscode.RelativePattern(o.root, o.pattern)));
    // A deleted directory output reports only itself.
    const folders = outputs.filter((o) => o.pattern.endsWith('/**')).map((o) => ({ root: o.root, pattern: o.pattern.slice(0, -3) }));
    this.dataWatchers.push(...folders.filter((f) => !outputs.some((o) => o.root === f.root && o.pattern === f.pattern)).map((o) => this.watcher(new vscode.RelativePattern(o.root, o.pattern))));
  }

  private watcher(pattern: vscode.RelativePattern): vscode.Disposable {
    const w = vscode.workspace.createFileSystemWatcher(pattern);
    const schedule = () => this.scheduleRefresh();
    w.onDidChange(schedule);
    w.onDidCreate(schedule);
    w.onDidDelete(schedule);
    return w;
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refreshAll(), REFRESH_DEBOUNCE_MS);
  }

  async refreshAll(): Promise<void> {
    // Runs and stages are computed only while their views are open.
    await Promise.all([
      ...[...this.models.values()].map((m) => m.refresh()),
      this.runsView.visible ? this.runs.refresh() : undefined,
      this.pipelinesView.visible ? this.pipelines.refresh() : undefined,
      // Registry tags (.git/refs/tags, packed-refs) and HEAD's dvc.yaml `artifacts:`.
      this.registryView.visible ? this.registry.refresh() : undefined,
    ]);
  }

  /**
   * The folder became trusted: git may run now (here, in new core workers, in the language
   * server), so every view reads again in full, without a window reload.
   */
  private trustGranted(): void {
    setFolderTrusted(true);
    this.log.info('the folder is trusted now: reading it again with git');
    this.onModelChanged();
    // The views drop their "needs a trusted folder" row (the Runs view gains commits and
    // experiments): those open read now (refreshAll), the others when they are shown.
    void this.remotes.refresh();
    void this.refreshAll();
    void this.queue.refresh();
  }

  /** Where each output's data is against the default remote: asked for, never on every file change (it may cost network calls). */
  async refreshRemoteStates(): Promise<void> {
    await this.remotes.refresh();
    await Promise.all(
      [...this.models.values()].map(async (m) => {
        const remotes = await this.remotes.remotesOf(m.root).catch(() => []); // the Remotes view shows why
        const credentials = await remoteCredentials(this.context.secrets, m.root, remotes);
        m.setRemoteStates(await this.core.call('remoteStates', m.root, { credentials }));
      }),
    );
  }

  private onModelChanged(): void {
    this.updateNothingTracked();
    this.decorations.update();
    this.watchOutputs();
    const changed = [...this.models.values()].reduce((n, m) => n + m.changedItems.length, 0);
    void vscode.commands.executeCommand('setContext', 'cairn.hasOutputs', [...this.models.values()].some((m) => m.items.length > 0));
    const failed = [...this.models.values()].find((m) => m.error);
    // The tree keeps what it last read; the message says why it may be stale (or empty).
    this.view.message = failed
      ? `Could not read ${failed.root}: ${failed.error}`
      : vscode.workspace.isTrusted
        ? undefined
        : 'Restricted Mode: read from disk, no git run. Trust this folder to add, commit, push or pull.';
    if (failed) {
      this.statusBar.text = '$(warning) Cairn';
      this.statusBar.tooltip = failed.error;
    } else {
      this.statusBar.text = changed ? `$(database) ${changed} changed` : '$(database) Cairn';
      this.statusBar.tooltip = changed ? `${changed} tracked output${changed === 1 ? '' : 's'} changed — click to show them` : 'Tracked data is up to date';
    }
    this.statusBar.show();
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.dataWatchers.forEach((d) => d.dispose());
    this.modelWatchers.forEach((list) => list.forEach((d) => d.dispose()));
    this.models.forEach((m) => m.dispose());
    this.core.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** What the extension exports: its state, for tests and other extensions. */
export interface CairnApi {
  workbench: CairnWorkbench;
  /** The folder holding the `cairn` shim put on the terminal's PATH. */
  cliBinDir: string;
  /** The dvc.yaml / dvc.lock / .dvc language server's client (started when such a file opens). */
  languageClient: PipelineLanguageClient;
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): CairnApi {
  const started = Date.now();
  // In Restricted Mode no git runs from this extension (nor from its workers: see CoreClient).
  setFolderTrusted(vscode.workspace.isTrusted);
  const workbench = new CairnWorkbench(context);
  context.subscriptions.push(workbench);
  const cliBinDir = putCliOnPath(context);
  const languageClient = new PipelineLanguageClient(context, workbench.log);
  context.subscriptions.push(languageClient);
  const activationMs = Date.now() - started;
  workbench.log.info(`activated in ${activationMs} ms`);
  return { workbench, cliBinDir, languageClient, activationMs };
}

export function deactivate(): void {}
