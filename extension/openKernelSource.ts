// Opens a kernel source location: in the user's tree (kmemmap.kernelSourceTree) when set, else on Elixir.

import * as vscode from 'vscode';
import type { SourceRef } from './protocol';
import { kernelSourceTree } from './settings';
import { elixirUrl } from './sourceRefs';
import { log } from './log';
import { findSymbolLine } from './symbolLine';

export async function openKernelSource(ref: SourceRef, release: string | undefined): Promise<void> {
  // Paths come from our own table, but the webview is not trusted: no absolute paths, no "..".
  if (!/^[A-Za-z0-9_./-]+$/.test(ref.path) || ref.path.split('/').includes('..') || ref.path.startsWith('/')) {
    log().warn(`ignored source link with an unexpected path: ${JSON.stringify(ref.path)}`);
    return;
  }
  const tree = kernelSourceTree();
  if (tree) {
    const file = vscode.Uri.joinPath(vscode.Uri.file(tree), ref.path);
    try {
      const doc = await vscode.workspace.openTextDocument(file);
      const line = ref.symbol ? findSymbolLine(doc.getText(), ref.symbol) : 0;
      const pos = new vscode.Position(Math.max(0, line), 0);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: true, viewColumn: vscode.ViewColumn.Beside });
      return;
    } catch (e) {
      log().warn(`cannot open ${file.fsPath} from kmemmap.kernelSourceTree (${e instanceof Error ? e.message : e}); using Elixir`);
    }
  }
  const url = elixirUrl(release, ref);
  log().info(`opening ${url}${release ? ` (Elixir shows upstream ${url.split('/')[4]}; distro kernel ${release} may differ)` : ''}`);
  await vscode.env.openExternal(vscode.Uri.parse(url));
}

