import * as path from 'node:path';
import * as vscode from 'vscode';
import { FROM_DAG, type DagPayload, type FromDag, type ToDag } from '../../webview/messages';
import type { PipelinesSnapshot } from './pipelinesSnapshot';
import { PanelHost, type PanelKind } from './panelHost';

const DAG_PANEL: PanelKind<FromDag> = { viewType: 'cairn.dag', title: 'Pipeline', script: 'dagView.js', stylesheet: 'dag.css', accepts: FROM_DAG };

/** The pipeline's stage graph in a webview (dist/dagView.js) on the panel host; a click on a stage opens its definition. */
export class DagPanel {
  private static current: DagPanel | undefined;
  private snapshot: PipelinesSnapshot | undefined;
  private root = '';
  private readonly rendered = new vscode.EventEmitter<{ ms: number; nodes: number }>();
  readonly onDidRender = this.rendered.event;

  private constructor(private readonly host: PanelHost<ToDag, FromDag>) {
    host.onMessage((m) => void this.onMessage(m));
    host.onDidDispose(() => {
      if (DagPanel.current === this) DagPanel.current = undefined;
      this.rendered.dispose();
    });
  }

  static show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, root: string, snapshot: PipelinesSnapshot): DagPanel {
    const host = PanelHost.show<ToDag, FromDag>(context, log, DAG_PANEL);
    if (DagPanel.current?.host !== host) DagPanel.current = new DagPanel(host);
    const current = DagPanel.current;
    current.root = root;
    current.snapshot = snapshot;
    const payload: DagPayload = {
      title: `Pipeline of ${path.basename(root)}`,
      nodes: snapshot.stages.map((s) => ({ id: s.addr, label: s.addr, state: s.state, detail: s.reasons.join('; ') })),
      edges: snapshot.edges,
    };
    host.post({ type: 'show', payload });
    return current;
  }

  private async onMessage(m: FromDag): Promise<void> {
    if (m.type === 'rendered') return this.rendered.fire({ ms: m.ms, nodes: m.nodes });
    if (m.type !== 'openStage') return;
    const stage = this.snapshot?.stages.find((s) => s.addr === m.id);
    if (!stage) return;
    const position = new vscode.Position(stage.line - 1, 0);
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(this.root, stage.file)), { selection: new vscode.Range(position, position), viewColumn: vscode.ViewColumn.Beside });
  }

  dispose(): void {
    this.host.dispose();
  }
}
