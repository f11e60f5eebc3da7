import * as vscode from 'vscode';
import { checkMessage, type MessageSpec } from '../../webview/messages';
import { webviewHtml, webviewRoots } from './webviewHtml';

/** A kind of panel: its page and the messages that page may send. */
export interface PanelKind<From extends { type: string }> {
  viewType: string;
  title: string;
  /** The bundle in dist/ and the stylesheet in media/. */
  script: string;
  stylesheet: string;
  /** Every message from the page is checked against this before the panel sees it. */
  accepts: MessageSpec<From>;
}

/**
 * The one host of every webview panel (after vscode-dvc's BaseWebview): one panel per kind,
 * shown or revealed; the page from `webviewHtml` (CSP with a nonce, local roots only); messages
 * from the page checked against the kind's spec — a malformed one is logged and dropped —; the
 * `ready` handshake: the page's data (the last `show` message and what followed it) is sent once
 * it says ready, and again each time it loads anew (a hidden panel keeps no context: it reloads
 * when shown).
 */
export class PanelHost<To extends { type: string }, From extends { type: string }> implements vscode.Disposable {
  private static readonly open = new Map<string, PanelHost<{ type: string }, { type: string }>>();
  private ready = false;
  private isDisposed = false;
  /** The last `show` message and what was posted after it, sent again, in order, each time the page reports ready. */
  private replay: To[] = [];
  private readonly received = new vscode.EventEmitter<From>();
  /** Every checked message from the page but `ready`, which the host answers itself. */
  readonly onMessage = this.received.event;
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** When the panel was made, and when its page said ready each time it loaded (for the log and the e2e tests). */
  readonly createdAt = Date.now();
  readonly readyAt: number[] = [];

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly kind: PanelKind<From>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.received,
      this.disposed,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      // A hidden page is gone (no retained context); the next one says ready again.
      panel.onDidChangeViewState((e) => !e.webviewPanel.visible && (this.ready = false)),
    );
  }

  /** The open panel of `kind`, revealed, or a new one. */
  static show<To extends { type: string }, From extends { type: string }>(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, kind: PanelKind<From>): PanelHost<To, From> {
    const existing = PanelHost.open.get(kind.viewType) as PanelHost<To, From> | undefined;
    if (existing) {
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(kind.viewType, kind.title, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: webviewRoots(context.extensionUri),
    });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'cairn.svg');
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, kind.script, kind.stylesheet, kind.title);
    const host = new PanelHost<To, From>(panel, kind, log);
    PanelHost.open.set(kind.viewType, host as unknown as PanelHost<{ type: string }, { type: string }>);
    return host;
  }

  /** The open panel of `viewType`, if any. */
  static current<To extends { type: string }, From extends { type: string }>(viewType: string): PanelHost<To, From> | undefined {
    return PanelHost.open.get(viewType) as PanelHost<To, From> | undefined;
  }

  /**
   * Send a message once the page is ready. A `show` message starts what the page is sent again
   * whenever it loads anew: it and every message posted after it, in order.
   */
  post(message: To): void {
    if (message.type === 'show') this.replay = [message];
    else if (this.replay.length) this.replay.push(message);
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const message = checkMessage(this.kind.accepts, raw);
    if (!message) {
      this.log.warn(`${this.kind.viewType}: dropped a malformed message from the page: ${describe(raw)}`);
      return;
    }
    if (message.type === 'ready') {
      this.ready = true;
      this.readyAt.push(Date.now());
      if (this.readyAt.length === 1) this.log.info(`${this.kind.viewType}: the page said ready ${this.readyAt[0] - this.createdAt} ms after the panel was made`);
      for (const m of this.replay) void this.panel.webview.postMessage(m);
      return;
    }
    this.received.fire(message);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    if (PanelHost.open.get(this.kind.viewType) === (this as unknown)) PanelHost.open.delete(this.kind.viewType);
    this.disposed.fire();
    this.panel.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** A short, printable account of what the page sent (never the whole of it). */
function describe(raw: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(raw) ?? String(raw);
  } catch {
    text = String(raw);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
