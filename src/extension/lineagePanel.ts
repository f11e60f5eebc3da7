import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FROM_LINEAGE, type FromLineage, type ToLineage } from '../../webview/messages';
import type { CoreClient } from './coreClient';
import { stageLine, type LineageSnapshot } from './lineageSnapshot';
import { PanelHost, type PanelKind } from './panelHost';

const LINEAGE_PANEL: PanelKind<FromLineage> = { viewType: 'cairn.lineage', title: 'Lineage', script: 'lineageView.js', stylesheet: 'lineage.css', accepts: FROM_LINEAGE };

/**
 * "What made this model" in a webview (dist/lineageView.js) on the panel host: the graph from the
 * model back to raw data, the commit's params and metrics beside it. A click names a node by id;
 * what it opens (a file, a stage's definition, the commit) comes from the snapshot kept here.
 */
export class LineagePanel {
  private static current: LineagePanel | undefined;
  private snapshot: LineageSnapshot | undefined;
  private root = '';
  private readonly rendered = new vscode.EventEmitter<{ ms: number; nodes: number }>();
  readonly onDidRender = this.rendered.event;
  /** What the last click opened (for tests and the log). */
  private readonly opened = new vscode.EventEmitter<string>();
  readonly onDidOpen = this.opened.event;

  private constructor(
    private readonly host: PanelHost<ToLineage, FromLineage>,
    private readonly core: CoreClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    host.onMessage((m) => void this.onMessage(m).catch((err: Error) => void vscode.window.showErrorMessage(`Cairn: ${err.message}`)));
    host.onDidDispose(() => {
      if (LineagePanel.current === this) LineagePanel.current = undefined;
      this.rendered.dispose();
      this.opened.dispose();
    });
  }

  static show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, core: CoreClient, root: string, snapshot: LineageSnapshot): LineagePanel {
    const host = PanelHost.show<ToLineage, FromLineage>(context, log, LINEAGE_PANEL);
    if (LineagePanel.current?.host !== host) LineagePanel.current = new LineagePanel(host, core, log);
    const current = LineagePanel.current;
    current.root = root;
    current.snapshot = snapshot;
    host.panel.title = snapshot.payload.title;
    host.post({ type: 'show', payload: snapshot.payload });
    return current;
  }

  private async onMessage(m: FromLineage): Promise<void> {
    if (m.type === 'rendered') return this.rendered.fire({ ms: m.ms, nodes: m.nodes });
    if (m.type !== 'open') return;
    // Only ids this panel sent: anything else from the page is ignored.
    const target = this.snapshot && Object.prototype.hasOwnProperty.call(this.snapshot.targets, m.id) ? this.snapshot.targets[m.id] : undefined;
    if (!target) return this.log.warn(`cairn.lineage: no node '${m.id.slice(0, 100)}'`);
    if (target.kind === 'commit') {
      const text = await this.core.call('commitText', this.root, { sha: target.sha });
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: text, language: 'git-commit' }), { viewColumn: vscode.ViewColumn.Beside, preview: true });
    } else if (target.kind === 'stage') {
      const file = path.join(this.root, target.file);
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const line = stageLine(document.getText(), target.name);
      const position = new vscode.Position(Math.max(0, line), 0);
      await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position), viewColumn: vscode.ViewColumn.Beside });
    } else {
      const file = path.join(this.root, target.path);
      const stat = fs.statSync(file, { throwIfNoEntry: false });
      if (!stat) {
        void vscode.window.showWarningMessage(`Cairn: ${target.path} is not in the workspace (check it out or pull it first).`);
        return;
      }
      // Only a regular file or folder that is inside the repository once links are resolved (no FIFO, no link out).
      const inside = fs.realpathSync(file).startsWith(fs.realpathSync(this.root) + path.sep);
      if (!inside || (!stat.isFile() && !stat.isDirectory())) {
        void vscode.window.showWarningMessage(`Cairn: ${target.path} is not a file or folder inside the repository; not opened.`);
        return;
      }
      if (stat.isDirectory()) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
      else await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside, preview: true });
    }
    this.opened.fire(m.id);
  }

  dispose(): void {
    this.host.dispose();
  }
}
