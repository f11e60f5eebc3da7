import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { FROM_METRICS, type Direction, type FromWebview, type LivePlots, type PlotData, type PlotImage, type ToWebview } from '../../webview/messages';
import type { CoreClient } from './coreClient';
import { LivePlotsFeed } from './livePlots';
import { mergeLivePlots } from './livePoints';
import type { RunsSnapshot } from './runsSnapshot';
import { PanelHost, type PanelKind } from './panelHost';

/** Where the user's metric directions are kept (the experiments table reads and sets them too). */
export const DIRECTIONS_KEY = 'cairn.metricDirections';
const MAX_APPENDS_BETWEEN_SHOWS = 200;

const METRICS_PANEL: PanelKind<FromWebview> = { viewType: 'cairn.metrics', title: 'Metrics', script: 'metricsView.js', stylesheet: 'metrics.css', accepts: FROM_METRICS };

/**
 * The metric-diff panel (dist/metricsView.js, chart.js) on the panel host: the page restores
 * itself from its saved state and is sent the data again when it reports `ready`.
 */
export class MetricsPanel {
  private static current: MetricsPanel | undefined;
  /** The last render the page reported (for the log and the e2e tests). */
  lastRender: { ms: number; charts: number; points: number; slowestPlotMs: number } | undefined;
  private readonly rendered = new vscode.EventEmitter<{ ms: number; charts: number; points: number; slowestPlotMs: number }>();
  readonly onDidRender = this.rendered.event;
  private payload: Extract<ToWebview, { type: 'show' }>['payload'] | undefined;
  private live: vscode.Disposable | undefined;
  private appendsSinceShow = 0;
  private readonly appended = new vscode.EventEmitter<{ plotId: string; revision: string; points: number; at: number }>();
  /** The page drew points a run going on added (`at`: when the extension heard it; for the e2e tests' delays). */
  readonly onDidAppend = this.appended.event;

  private constructor(
    private readonly host: PanelHost<ToWebview, FromWebview>,
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    host.onMessage((m) => void this.onMessage(m));
    host.onDidDispose(() => {
      if (MetricsPanel.current === this) MetricsPanel.current = undefined;
      this.live?.dispose();
      this.rendered.dispose();
      this.appended.dispose();
    });
  }

  /** Show `snapshot` comparing `selected` (the first is the baseline) and their plots, in the open panel or a new one. */
  static show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, snapshot: RunsSnapshot, selected: string[], plots: { plots: PlotData[]; images: PlotImage[]; errors: string[] }): MetricsPanel {
    const host = PanelHost.show<ToWebview, FromWebview>(context, log, METRICS_PANEL);
    if (MetricsPanel.current?.host !== host) MetricsPanel.current = new MetricsPanel(host, context, log);
    const current = MetricsPanel.current;
    current.payload = { ...snapshot, selected, directions: context.workspaceState.get<Record<string, Direction>>(DIRECTIONS_KEY, {}), plots: plots.plots, plotImages: plots.images, plotErrors: plots.errors };
    host.panel.title = selected.length === 2 ? `Metrics: ${label(snapshot, selected[0])} ↔ ${label(snapshot, selected[1])}` : 'Metrics';
    host.post({ type: 'show', payload: current.payload });
    current.appendsSinceShow = 0;
    return current;
  }

  /**
   * Grow the plots as runs of `root` train: the workspace's (when it is compared) and those of
   * `--temp` and queued runs, read on DVCLive's step signal and on writes of plots files.
   */
  follow(root: string, core: CoreClient): void {
    const before = this.live;
    const files = new Set<string>();
    for (const plot of this.payload?.plots ?? []) {
      files.add(plot.id);
      if (plot.sourceField === 'filename') for (const p of plot.points) files.add(String(p.filename));
    }
    // Followed anew before the old follow ends: a feed the table shares is kept, not made again.
    this.live = LivePlotsFeed.follow(root, core, this.log, { plotFiles: [...files], onRead: (live) => this.onLive(live) });
    before?.dispose();
  }

  private onLive(live: LivePlots): void {
    if (!this.payload) return;
    const shown = this.payload;
    // The workspace's plots are live only where the workspace is compared; a temporary tree's always.
    const plots = live.plots.filter((p) => !p.revisions.includes('workspace') || shown.selected.includes('workspace'));
    const update = mergeLivePlots(shown.plots, plots);
    if (update.appends?.length === 0) return; // nothing new (a file event of another kind)
    const newRuns = live.runs
      .filter((r) => !shown.runs.some((known) => known.id === r.id) && plots.some((p) => p.revisions.includes(r.id)))
      .map((r) => ({ id: r.id, label: r.label, kind: 'experiment' as const }));
    this.payload = { ...shown, plots: update.plots, runs: [...shown.runs, ...newRuns] };
    // The host replays a show and every message after it when the page reloads: a long run's
    // appends are folded into a show now and then, so that list stays short.
    if (update.appends && this.appendsSinceShow < MAX_APPENDS_BETWEEN_SHOWS) {
      this.host.post({ type: 'appendPoints', plots: update.appends, runs: newRuns });
      this.appendsSinceShow++;
    } else {
      this.host.post({ type: 'show', payload: this.payload });
      this.appendsSinceShow = 0;
    }
  }

  static get open(): MetricsPanel | undefined {
    return MetricsPanel.current;
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'rendered':
        this.lastRender = { ms: m.ms, charts: m.charts, points: m.points, slowestPlotMs: m.slowestPlotMs };
        this.log.info(`metrics panel drew ${m.charts} charts (${m.points} points) in ${Math.round(m.ms)} ms`);
        this.rendered.fire(this.lastRender);
        return;
      case 'setDirection': {
        const directions = { ...this.context.workspaceState.get<Record<string, Direction>>(DIRECTIONS_KEY, {}), [m.key]: m.direction };
        await this.context.workspaceState.update(DIRECTIONS_KEY, directions);
        if (this.payload) {
          this.payload = { ...this.payload, directions };
          this.host.post({ type: 'show', payload: this.payload });
        }
        return;
      }
      case 'export':
        return this.export(m.format, m.suggestedName, m.data);
      case 'appended':
        this.appended.fire({ plotId: m.plotId, revision: m.revision, points: m.points, at: Date.now() });
        return;
    }
  }

  private async export(format: 'png' | 'csv' | 'markdown', suggestedName: string, data: string): Promise<void> {
    if (format === 'markdown') {
      await vscode.env.clipboard.writeText(data);
      void vscode.window.showInformationMessage('Copied the metrics table as Markdown.');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, suggestedName) : undefined,
      filters: format === 'png' ? { 'PNG image': ['png'] } : { CSV: ['csv'] },
    });
    if (!target) return;
    const bytes = format === 'png' ? Buffer.from(data.slice(data.indexOf(',') + 1), 'base64') : Buffer.from(data, 'utf8');
    // Temp file and rename: a failed write never leaves half a file where the user asked for one.
    const tmp = `${target.fsPath}.cairn-tmp-${process.pid}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, target.fsPath);
    void vscode.window.showInformationMessage(`Saved ${vscode.workspace.asRelativePath(target)}.`);
  }

  dispose(): void {
    this.host.dispose();
  }
}

function label(snapshot: RunsSnapshot, id: string): string {
  return snapshot.runs.find((r) => r.id === id)?.label ?? id;
}
