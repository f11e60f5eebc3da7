import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DagPayload, FromDag, ToDag } from '../../webview/messages';
import type { PipelinesSnapshot } from './pipelinesSnapshot';
import { webviewHtml, webviewRoots } from './webviewHtml';

/** The pipeline's stage graph in a webview (dist/dagView.js); a click on a stage opens its definition. */
export class DagPanel implements vscode.Disposable {
  private static current: DagPanel | undefined;
  private payload: DagPayload | undefined;
  private snapshot: PipelinesSnapshot | undefined;
  private root = '';
  private readonly disposables: vscode.Disposable[] = [];
  private readonly rendered = new vscode.EventEmitter<{ ms: number; nodes: number }>();
  readonly onDidRender = this.rendered.event;

  private constructor(private readonly panel: vscode.WebviewPanel, context: vscode.ExtensionContext) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'cairn.svg');
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, 'dagView.js', 'dag.css', 'Pipeline');
    this.disposables.push(this.rendered, panel.onDidDispose(() => this.dispose()), panel.webview.onDidReceiveMessage((m: FromDag) => void this.onMessage(m)));
  }

  static show(context: vscode.ExtensionContext, root: string, snapshot: PipelinesSnapshot): DagPanel {
    if (!DagPanel.current) {
      const panel = vscode.window.createWebviewPanel('cairn.dag', 'Pipeline', vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: webviewRoots(context.extensionUri) });
      DagPanel.current = new DagPanel(panel, context);
    }
    const current = DagPanel.current;
    current.root = root;
    current.snapshot = snapshot;
    current.payload = {
      title: `Pipeline of ${path.basename(root)}`,
      nodes: snapshot.stages.map((s) => ({ id: s.addr, label: s.addr, state: s.state, detail: s.reasons.join('; ') })),
      edges: snapshot.edges,
    };
    current.panel.reveal(undefined, false);
    current.post();
    return current;
  }

  private post(): void {
    if (this.payload) void this.panel.webview.postMessage({ type: 'show', payload: this.payload } satisfies ToDag);
  }

  private async onMessage(m: FromDag): Promise<void> {
    if (m.type === 'ready') return this.post();
    if (m.type === 'rendered') return this.rendered.fire({ ms: m.ms, nodes: m.nodes });
    const stage = this.snapshot?.stages.find((s) => s.addr === m.id);
    if (!stage) return;
    const position = new vscode.Position(stage.line - 1, 0);
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(this.root, stage.file)), { selection: new vscode.Range(position, position), viewColumn: vscode.ViewColumn.Beside });
  }

  dispose(): void {
    if (DagPanel.current === this) DagPanel.current = undefined;
    this.panel.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
