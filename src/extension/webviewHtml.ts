import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The page of one of our webviews: its bundled script (dist/) and stylesheet (media/), under a
 * strict Content-Security-Policy — nothing remote, no inline code, the script allowed by nonce.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, stylesheet: string, title: string): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', script));
  const styleUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', stylesheet));
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>${title}</title>
</head>
<body>
<div id="root"></div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}

/** Where a webview panel may load files from: the bundles and the stylesheets. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}
