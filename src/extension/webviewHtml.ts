import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';

/**
 * The page of one of our webviews: its bundled script (dist/) and stylesheet (media/), under a
 * strict Content-Security-Policy — nothing remote, no inline code but ours, allowed by nonce.
 *
 * The script and stylesheet are written into the page, not linked: a linked file is fetched
 * through the webview's service worker, which asks the workbench, which asks the extension host's
 * file system — about a third of a second before the page can start, on every panel opened
 * (measured in the e2e experiments launch). The page itself comes with the panel's first message.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, stylesheet: string, title: string): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  const scriptFile = vscode.Uri.joinPath(extensionUri, 'dist', script);
  const styleFile = vscode.Uri.joinPath(extensionUri, 'media', stylesheet);
  const code = inlineText(scriptFile.fsPath, 'script');
  const style = inlineText(styleFile.fsPath, 'style');
  // The bundle's source map, where the debugger finds it (its own relative URL would be resolved against the page).
  const mapped = code?.replace(/\/\/# sourceMappingURL=(\S+)\s*$/, (_, map: string) => `//# sourceMappingURL=${webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', map))}`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${style === undefined ? `<link rel="stylesheet" href="${webview.asWebviewUri(styleFile)}">` : `<style nonce="${nonce}">${style}</style>`}
<title>${title}</title>
</head>
<body>
<div id="root"></div>
${mapped === undefined ? `<script nonce="${nonce}" src="${webview.asWebviewUri(scriptFile)}"></script>` : `<script nonce="${nonce}">${mapped}</script>`}
</body>
</html>`;
}

/** Where a webview panel may load files from: the bundles and the stylesheets. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** The files written into pages, read once (they are the extension's own, unchanged while it runs). */
const inlined = new Map<string, string | undefined>();

/**
 * The text of a file of ours to write inside a `<script>` or `<style>` element, or undefined when
 * it could end that element early (or cannot be read): then the page links it instead.
 */
function inlineText(file: string, element: 'script' | 'style'): string | undefined {
  if (!inlined.has(file)) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = undefined;
    }
    inlined.set(file, text !== undefined && !text.toLowerCase().includes(`</${element}`) && !text.includes('<!--') ? text : undefined);
  }
  return inlined.get(file);
}
