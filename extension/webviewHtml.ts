// The snapshot panel's HTML: a strict CSP with a nonce, scripts and styles only from out/webview.

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

/** Folders the webview may load from: the bundled webview (JS, CSS, codicon font) and nothing else. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'out', 'webview')];
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** entry: the webview bundle, `main` (one snapshot) or `diff` (two compared). */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  snapshotUri: string,
  title: string,
  entry: 'main' | 'diff' = 'main',
): string {
  const nonce = randomBytes(16).toString('base64');
  const base = vscode.Uri.joinPath(extensionUri, 'out', 'webview');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(base, `${entry}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(base, `${entry}.css`));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" id="vscode-codicon-stylesheet">
<title>${attr(title)}</title>
</head>
<body data-snapshot-uri="${attr(snapshotUri)}" data-snapshot-title="${attr(title)}">
<div id="app" role="application" aria-label="Kernel memmap explorer"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
