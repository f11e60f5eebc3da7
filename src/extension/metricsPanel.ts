import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Direction, FromWebview, MetricsPayload, PlotData, PlotImage, ToWebview } from '../../webview/messages';
import type { RunsSnapshot } from './runsSnapshot';
import { webviewHtml, webviewRoots } from './webviewHtml';

const DIRECTIONS_KEY = 'cairn.metricDirections';

/**
 * The metric-diff panel: one webview (dist/metricsView.js, chart.js) under a strict CSP with a
 * nonce. It keeps no context while hidden: the page restores itself from its saved state and
 * is sent the data again when it reports `ready`.
 */
export class MetricsPanel implements vscode.Disposable {
  private static current: MetricsPanel | undefined;
  private payload: MetricsPayload | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The last render the page reported (for the log and the e2e tests). */
  lastRender: { ms: number; charts: number; points: number } | undefined;
  private readonly rendered = new vscode.EventEmitter<{ ms: number; charts: number; points: number }>();
  readonly onDidRender = this.rendered.event;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'cairn.svg');
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, 'metricsView.js', 'metrics.css', 'Metrics');
    this.disposables.push(
      this.rendered,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
    );
  }

  /** Show `snapshot` comparing `selected` (the first is the baseline) and their plots, in the open panel or a new one. */
  static show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, snapshot: RunsSnapshot, selected: string[], plots: { plots: PlotData[]; images: PlotImage[]; errors: string[] }): MetricsPanel {
    if (!MetricsPanel.current) {
      const panel = vscode.window.createWebviewPanel('cairn.metrics', 'Metrics', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: webviewRoots(context.extensionUri),
      });
      MetricsPanel.current = new MetricsPanel(panel, context, log);
    }
    const current = MetricsPanel.current;
    current.payload = { ...snapshot, selected, directions: context.workspaceState.get<Record<string, Direction>>(DIRECTIONS_KEY, {}), plots: plots.plots, plotImages: plots.images, plotErrors: plots.errors };
    current.panel.title = selected.length === 2 ? `Metrics: ${label(snapshot, selected[0])} ↔ ${label(snapshot, selected[1])}` : 'Metrics';
    current.panel.reveal(undefined, false);
    current.post();
    return current;
  }

  static get open(): MetricsPanel | undefined {
    return MetricsPanel.current;
  }

  private post(): void {
    if (this.payload) void this.panel.webview.postMessage({ type: 'show', payload: this.payload } satisfies ToWebview);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.post();
      case 'rendered':
        this.lastRender = { ms: m.ms, charts: m.charts, points: m.points };
        this.log.info(`metrics panel drew ${m.charts} charts (${m.points} points) in ${Math.round(m.ms)} ms`);
        this.rendered.fire(this.lastRender);
        return;
      case 'setDirection': {
        const directions = { ...this.context.workspaceState.get<Record<string, Direction>>(DIRECTIONS_KEY, {}), [m.key]: m.direction };
        await this.context.workspaceState.update(DIRECTIONS_KEY, directions);
        if (this.payload) this.payload = { ...this.payload, directions };
        return this.post();
      }
      case 'export':
        return this.export(m.format, m.suggestedName, m.data);
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
    if (MetricsPanel.current === this) MetricsPanel.current = undefined;
    this.panel.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

function label(snapshot: RunsSnapshot, id: string): string {
  return snapshot.runs.find((r) => r.id === id)?.label ?? id;
}
