import * as path from 'node:path';
import * as vscode from 'vscode';
import { CairnError } from '../core/errors';
import { FROM_EXPERIMENTS, type ExperimentsPayload, type FromExperiments, type ToExperiments, type Value } from '../../webview/messages';
import type { CoreClient } from './coreClient';
import { EXPERIMENT_COMMITS, withLiveMetrics } from './experimentsSnapshot';
import { LivePlotsFeed } from './livePlots';
import { PanelHost, type PanelKind } from './panelHost';
import { RefreshQueue } from './refreshQueue';

const EXPERIMENTS_PANEL: PanelKind<FromExperiments> = { viewType: 'cairn.experiments', title: 'Experiments', script: 'experimentsView.js', stylesheet: 'experiments.css', accepts: FROM_EXPERIMENTS };

/** What changes the table: experiment refs (and packed refs, HEAD), dvc's run records and Cairn's queue. */
const WATCHED = ['.git/refs/exps/**', '.git/packed-refs', '.git/HEAD', '.git/refs/heads/**', '.dvc/tmp/exps/**', '.dvc/tmp/cairn/queue/**'];
const REFRESH_DEBOUNCE_MS = 300;
/** A longer table opened is sent first as its top rows (a screen and more, a small message drawn at once), then the rest. */
const FIRST_ROWS = 100;

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
  /** The metrics of queued runs going on as their files are now (experiment name → column id → value): `exp show` has none for them. */
  private liveMetrics = new Map<string, Record<string, Value>>();
  /** The ids of the rows selected in the page, in table order (its `selection` message). */
  selection: string[] = [];

  private constructor(
    private readonly host: PanelHost<ToExperiments, FromExperiments>,
    private readonly core: CoreClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    host.onMessage((m) => this.onMessage(m));
    // A run going on wrote a step (live plots): its row's metrics follow.
    const live = LivePlotsFeed.onDidStep((step) => {
      if (step.root !== this.root) return;
      this.liveMetrics = new Map(step.runs.filter((r) => r.experiment && r.metrics).map((r) => [r.experiment!, r.metrics!]));
      void this.refresh();
    });
    host.onDidDispose(() => {
      live.dispose();
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
    if (ExperimentsPanel.current?.host !== host) ExperimentsPanel.current = new ExperimentsPanel(host, core, log);
    const panel = ExperimentsPanel.current;
    if (panel.root !== root) panel.watch(root);
    host.panel.title = `Experiments: ${folderName(root)}`;
    await panel.refresh();
    return panel;
  }

  static get open(): ExperimentsPanel | undefined {
    return ExperimentsPanel.current;
  }

  /** The repository whose table this is. */
  get repositoryRoot(): string {
    return this.root;
  }

  /** Read the table again (one read at a time; a request meanwhile gets the read after it). */
  refresh(): Promise<void> {
    return this.refreshes.request();
  }

  private async load(): Promise<void> {
    const started = Date.now();
    const root = this.root;
    try {
      const payload = await this.core.call('expShow', root, { commits: EXPERIMENT_COMMITS });
      if (root !== this.root) return;
      const firstOfRoot = this.payloadRoot !== root;
      this.payload = { ...withLiveMetrics(payload, this.liveMetrics), repository: folderName(root) };
      this.payloadRoot = root;
      if (firstOfRoot && payload.rows.length > FIRST_ROWS) {
        // The page has nothing of this table yet: its top rows first. A refresh is sent whole,
        // so a table the user scrolled never shrinks for a moment.
        this.host.post({ type: 'show', payload: { ...this.payload, rows: payload.rows.slice(0, FIRST_ROWS), pending: payload.rows.length - FIRST_ROWS } });
        this.host.post({ type: 'moreRows', rows: payload.rows.slice(FIRST_ROWS) });
      } else this.host.post({ type: 'show', payload: this.payload });
      this.log.info(`experiments table of ${root}: ${payload.rows.length} rows × ${payload.columns.length} columns read in ${Date.now() - started} ms`);
    } catch (err) {
      const message = err instanceof CairnError ? err.oneLine() : (err as Error).message;
      this.log.error(`experiments table of ${root}: ${message}`);
      void vscode.window.showErrorMessage(`Cairn: could not read the experiments of ${path.basename(root)}: ${message}`);
    }
  }

  private watch(root: string): void {
    this.root = root;
    this.watchers.forEach((w) => w.dispose());
    this.watchers = WATCHED.map((pattern) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, pattern));
      const schedule = () => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.refresh(), REFRESH_DEBOUNCE_MS);
      };
      watcher.onDidChange(schedule);
      watcher.onDidCreate(schedule);
      watcher.onDidDelete(schedule);
      return watcher;
    });
  }

  private onMessage(m: FromExperiments): void {
    if (m.type === 'rendered') {
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

/** The name the Explorer shows for the repository's folder (a workspace folder's name may differ from its folder's). */
function folderName(root: string): string {
  return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root))?.name ?? path.basename(root);
}
