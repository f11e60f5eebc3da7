import * as path from 'node:path';
import * as vscode from 'vscode';
import { CairnError } from '../core/errors';
import { FROM_EXPERIMENTS, type Direction, type ExperimentRow, type ExperimentsPayload, type FromExperiments, type LivePlots, type TableState, type ToExperiments } from '../../webview/messages';
import { parseTableState } from '../../webview/experimentsState';
import type { CoreClient } from './coreClient';
import { EXPERIMENT_COMMITS, withLiveMetrics, type LiveMetrics } from './experimentsSnapshot';
import { withRemoteOnly } from './experimentRows';
import { LivePlotsFeed } from './livePlots';
import { DIRECTIONS_KEY } from './metricsPanel';
import { PanelHost, type PanelKind } from './panelHost';
import { RefreshQueue } from './refreshQueue';
import { RUN_BRANCHES_KEY } from './runBranches';
import { TRUST_COMMAND } from './restrictedMode';

const EXPERIMENTS_PANEL: PanelKind<FromExperiments> = { viewType: 'cairn.experiments', title: 'Experiments', script: 'experimentsView.js', stylesheet: 'experiments.css', accepts: FROM_EXPERIMENTS };

/**
 * What changes the table: experiment refs (and packed refs, HEAD), dvc's run records, queue and
 * temporary trees made and removed, and Cairn's queue entries. Not what a run writes as it trains
 * (DVCLive's signals, the temporary trees' files, the queue's logs): the live feed reads those, and
 * a step updates only the rows it changed, with no new `exp show`.
 */
const WATCHED = ['.git/refs/exps/**', '.git/packed-refs', '.git/HEAD', '.git/refs/heads/**', '.dvc/tmp/exps/*', '.dvc/tmp/exps/run/*', '.dvc/tmp/exps/run/*/*', '.dvc/tmp/exps/celery/**', '.dvc/tmp/cairn/queue/*', '.dvc/tmp/cairn/queue/*/*.json'];
/**
 * DVCLive's step signals, beside the run records' folders in `.dvc/tmp/exps/run/` (a folder made
 * and written at once reports only itself: its files may come with no event of their own).
 */
const isLiveSignal = (uri: vscode.Uri) => path.basename(uri.fsPath).startsWith('DVCLIVE_');
const REFRESH_DEBOUNCE_MS = 300;
/**
 * A table opened with more experiments under a commit than this is first read and drawn with
 * only the newest this many of each (a screen and more: 60 rows of 24 px are a 1,440-pixel-high
 * editor; a small read, a small message, drawn at once), then read and sent whole. Each experiment
 * costs that read about a millisecond (500 params and metrics parsed), on top of ~110 ms for
 * 2,000 experiments' refs and commit times (quiet machine).
 */
const FIRST_EXPERIMENTS = 60;
/** Live updates sent between two whole tables at most (the page is sent them all again when it reloads). */
const MAX_UPDATES_BETWEEN_SHOWS = 200;
/** The table's state (sort, filters, stars, columns, precision) is kept in the workspace state under this key and the repository's root. */
const TABLE_STATE_KEY = 'cairn.experimentsTable';
const tableStateKey = (root: string) => `${TABLE_STATE_KEY}:${root}`;

export type TableRendered = { ms: number; rows: number; columns: number };
export type TableScrolled = { frames: number; worstFrameMs: number; medianFrameMs: number; worstDrawMs: number };

/**
 * "Cairn: Show Experiments": the experiments table of one repository (webview/experimentsView.ts)
 * on the panel host. Its data is `exp show` read in the core worker; it reads again (one read at a
 * time) when experiment refs, dvc's run records or Cairn's queue change on disk.
 */
export class ExperimentsPanel {
  private static current: ExperimentsPanel | undefined;
  private root = '';
  /** The repository `payload` is of. */
  private payloadRoot = '';
  private watchers: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly refreshes = new RefreshQueue(() => this.load());
  private readonly rendered = new vscode.EventEmitter<TableRendered>();
  /** The page drew a payload (for the log and the e2e tests). */
  readonly onDidRender = this.rendered.event;
  private readonly scrolled = new vscode.EventEmitter<TableScrolled>();
  /** A burst of scrolling ended, with its frame times (for the e2e tests). */
  readonly onDidScroll = this.scrolled.event;
  /** The last payload sent to the page, and what the page reported (for the log and the e2e tests; `at`: when it arrived). */
  payload: ExperimentsPayload | undefined;
  readonly renders: (TableRendered & { at: number })[] = [];
  lastScroll: TableScrolled | undefined;
  /** When the first read of a table came back from the core (for the e2e tests). */
  firstReadAt: number | undefined;
  /** The metrics of runs going on as their files are now (the live feed's last read): `exp show` has none for a temporary tree's. */
  private liveMetrics: LiveMetrics = { experiments: new Map() };
  /** This table's follow of the live feed of `root` (shared with the plots panel). */
  private live: vscode.Disposable | undefined;
  /** The table of `root` as last read, before the live metrics are laid over it, and the read the page was last sent whole. */
  private read: ExperimentsPayload | undefined;
  private shownRead: ExperimentsPayload | undefined;
  /** How many rows each `updateRows` sent (for the log and the e2e tests), and how many had been sent at the last `show`. */
  readonly rowUpdates: number[] = [];
  private updatesAtShow = 0;
  /** The ids of the rows selected in the page, in table order (its `selection` message). */
  selection: string[] = [];
  /** The experiments the git remote holds (`exp list <remote>`), shown dimmed where not here; read on opening and after Pull/Push Experiments. */
  remote: { name: string; experiments: { ref: string; baseline: string; name: string }[] } | undefined;

  private constructor(
    readonly host: PanelHost<ToExperiments, FromExperiments>,
    private readonly core: CoreClient,
    private readonly log: vscode.LogOutputChannel,
    private readonly context: vscode.ExtensionContext,
  ) {
    host.onMessage((m) => void this.onMessage(m));
    const trust = vscode.workspace.onDidGrantWorkspaceTrust(() => void this.refresh());
    host.onDidDispose(() => {
      trust.dispose();
      this.live?.dispose();
      if (ExperimentsPanel.current === this) ExperimentsPanel.current = undefined;
      clearTimeout(this.timer);
      this.watchers.forEach((w) => w.dispose());
      this.rendered.dispose();
      this.scrolled.dispose();
    });
  }

  /** Show the table of `root` in the open panel or a new one, once its data is read. */
  static async show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, core: CoreClient, root: string): Promise<ExperimentsPanel> {
    const host = PanelHost.show<ToExperiments, FromExperiments>(context, log, EXPERIMENTS_PANEL);
    if (ExperimentsPanel.current?.host !== host) ExperimentsPanel.current = new ExperimentsPanel(host, core, log, context);
    const panel = ExperimentsPanel.current;
    const newRoot = panel.root !== root;
    if (newRoot) {
      panel.watch(root);
      panel.remote = undefined;
    }
    host.panel.title = `Experiments: ${folderName(root)}`;
    await panel.refresh();
    if (newRoot) void panel.readRemote();
    return panel;
  }

  static get open(): ExperimentsPanel | undefined {
    return ExperimentsPanel.current;
  }

  /** The repository whose table this is. */
  get repositoryRoot(): string {
    return this.root;
  }

  /** The rows last revealed (for the log and the e2e tests). */
  revealed: string[] = [];

  /** Select `ids` in the table and scroll to the first (the Runs view's selection drives the table). */
  reveal(ids: string[]): void {
    this.revealed = ids;
    this.host.post({ type: 'reveal', ids });
  }

  /**
   * Read which experiments the git remote holds (`origin`, else the only remote; none: nothing
   * shown), then the table again. Only in a trusted folder: it runs `git ls-remote`. A remote
   * that cannot be reached is logged, not shown as an error: the local table stands.
   */
  async readRemote(gitRemote?: string): Promise<void> {
    if (vscode.workspace.isTrusted) await this.listRemote(gitRemote);
    await this.refresh();
  }

  private async listRemote(gitRemote: string | undefined): Promise<void> {
    const root = this.root;
    try {
      const remotes = await this.core.call('gitRemotes', root, {});
      const name = gitRemote ?? (remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined);
      const experiments = name ? await this.core.call('expRemoteList', root, { gitRemote: name }) : [];
      if (root !== this.root) return;
      this.remote = name ? { name, experiments } : undefined;
      this.log.info(`experiments on the git remote ${name ?? '(none)'} of ${root}: ${experiments.length}`);
    } catch (err) {
      this.log.warn(`experiments on the git remote of ${root} could not be listed: ${err instanceof CairnError ? err.oneLine() : (err as Error).message}`);
    }
  }

  /** Read the table again (one read at a time; a request meanwhile gets the read after it). */
  refresh(): Promise<void> {
    return this.refreshes.request();
  }

  /** Read the table again if it is `root`'s. */
  async refreshIfOf(root: string): Promise<void> {
    if (this.root === root) await this.refresh();
  }

  private async load(): Promise<void> {
    const started = Date.now();
    const root = this.root;
    const saved = { root, state: this.context.workspaceState.get<TableState>(tableStateKey(root)), directions: this.context.workspaceState.get<Record<string, Direction>>(DIRECTIONS_KEY, {}) };
    if (!vscode.workspace.isTrusted) {
      // Experiments are commits in git's object store, which Cairn reads only through git; git
      // runs no program of a folder not trusted. The page says so, with a Trust button.
      this.payload = { repository: folderName(root), columns: [], rows: [], pending: 0, ...saved, needsTrust: true };
      this.payloadRoot = root;
      this.host.post({ type: 'show', payload: this.payload });
      return;
    }
    // The other branches the user chose for the Runs view are the table's too.
    const branches = this.context.workspaceState.get<string[]>(RUN_BRANCHES_KEY, []);
    try {
      if (this.payloadRoot !== root) {
        // The page has nothing of this table yet: the newest experiments first, when there are
        // more (without the remote's: which are only there needs every local one). A refresh is
        // read and sent whole, so a table the user scrolled never shrinks for a moment.
        const first = await this.core.call('expShow', root, { commits: EXPERIMENT_COMMITS, branches, newest: FIRST_EXPERIMENTS });
        if (root !== this.root) return;
        this.firstReadAt ??= Date.now();
        if (first.pending > 0) {
          this.host.post({ type: 'show', payload: { ...first, repository: folderName(root), ...saved } });
          this.log.info(`experiments table of ${root}: first ${first.rows.length} rows read in ${Date.now() - started} ms, ${first.pending} more experiments to read`);
        }
      }
      const payload = withRemoteOnly(await this.core.call('expShow', root, { commits: EXPERIMENT_COMMITS, branches }), this.remote?.experiments ?? []);
      if (root !== this.root) return;
      this.read = { ...payload, repository: folderName(root), ...saved };
      this.payloadRoot = root;
      // `exp show` read the workspace just now: its live metrics would only hide a later change.
      this.liveMetrics = { experiments: this.liveMetrics.experiments };
      this.postLive();
      this.log.info(`experiments table of ${root}: ${payload.rows.length} rows × ${payload.columns.length} columns read in ${Date.now() - started} ms`);
    } catch (err) {
      const message = err instanceof CairnError ? err.oneLine() : (err as Error).message;
      this.log.error(`experiments table of ${root}: ${message}`);
      void vscode.window.showErrorMessage(`Cairn: could not read the experiments of ${path.basename(root)}: ${message}`);
    }
  }

  /**
   * Send the table last read with the metrics of the runs going on as their files hold them now:
   * a step needs no new read. When the page already shows that read, only the rows that changed go.
   */
  private postLive(): void {
    if (!this.read) return;
    const before = this.payload;
    this.payload = withLiveMetrics(this.read, this.liveMetrics);
    // The host replays a show and every message after it when the page reloads: a long run's
    // updates are folded into a show now and then, so that list stays short.
    if (this.shownRead === this.read && before && before.rows.length === this.payload.rows.length && this.rowUpdates.length - this.updatesAtShow < MAX_UPDATES_BETWEEN_SHOWS) {
      // The same read under both: only live values can differ.
      const changed = this.payload.rows.filter((row, i) => row !== before.rows[i] && !sameValues(row, before.rows[i]));
      if (changed.length) {
        this.host.post({ type: 'updateRows', rows: changed });
        this.rowUpdates.push(changed.length);
      }
      return;
    }
    this.shownRead = this.read;
    this.updatesAtShow = this.rowUpdates.length;
    this.host.post({ type: 'show', payload: this.payload });
  }

  /** A run going on wrote a step: the metrics of its row (and the workspace's) follow, in the table last read. */
  private onLive(live: LivePlots): void {
    const experiments = new Map<string, NonNullable<LivePlots['runs'][number]['metrics']>>();
    for (const run of live.runs) if (run.experiment && run.metrics) experiments.set(run.experiment, run.metrics);
    this.liveMetrics = { workspace: live.runs.find((r) => r.id === 'workspace')?.metrics, experiments };
    this.postLive();
  }

  private watch(root: string): void {
    this.root = root;
    this.read = this.shownRead = undefined;
    this.liveMetrics = { experiments: new Map() };
    const before = this.live;
    this.live = LivePlotsFeed.follow(root, this.core, this.log, { onRead: (live) => this.onLive(live) });
    before?.dispose();
    this.watchers.forEach((w) => w.dispose());
    this.watchers = WATCHED.map((pattern) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, pattern));
      const schedule = (uri: vscode.Uri) => {
        if (isLiveSignal(uri)) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.refresh(), REFRESH_DEBOUNCE_MS);
      };
      watcher.onDidChange(schedule);
      watcher.onDidCreate(schedule);
      watcher.onDidDelete(schedule);
      return watcher;
    });
  }

  private async onMessage(m: FromExperiments): Promise<void> {
    if (m.type === 'saveState') {
      const state = parseTableState(m.state);
      // Only the table shown: a page's message about another repository's table is stale.
      if (!state || m.root !== this.payloadRoot) {
        this.log.warn(`experiments table: dropped a table state ${state ? "of another repository's table than the one shown" : 'that is not one'}`);
        return;
      }
      await this.context.workspaceState.update(tableStateKey(m.root), state);
    } else if (m.type === 'setDirection') {
      // Where the metrics panel keeps them: one direction per metric for both.
      await this.context.workspaceState.update(DIRECTIONS_KEY, { ...this.context.workspaceState.get<Record<string, Direction>>(DIRECTIONS_KEY, {}), [m.key]: m.direction });
    } else if (m.type === 'trust') {
      await vscode.commands.executeCommand(TRUST_COMMAND);
    } else if (m.type === 'rendered') {
      this.log.info(`experiments table drew ${m.rows} rows × ${m.columns} columns in ${Math.round(m.ms)} ms`);
      const render = { ms: m.ms, rows: m.rows, columns: m.columns };
      this.renders.push({ ...render, at: Date.now() });
      this.rendered.fire(render);
    } else if (m.type === 'selection') {
      this.selection = m.ids;
    } else if (m.type === 'scrolled') {
      this.lastScroll = { frames: m.frames, worstFrameMs: m.worstFrameMs, medianFrameMs: m.medianFrameMs, worstDrawMs: m.worstDrawMs };
      this.scrolled.fire(this.lastScroll);
    }
  }

  dispose(): void {
    this.host.dispose();
  }
}

function sameValues(a: ExperimentRow, b: ExperimentRow): boolean {
  return a.values.length === b.values.length && a.values.every((v, i) => v === b.values[i]);
}

/** The name the Explorer shows for the repository's folder (a workspace folder's name may differ from its folder's). */
function folderName(root: string): string {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root))?.name ?? path.basename(root);
}
