// The custom read-only editor for snapshot files (viewType kmemmap.snapshot), and the panel
// serializer that restores command-opened panels (folders cannot be custom-editor documents).

import * as vscode from 'vscode';
import { attachPanel } from './panelHost';
import type { SnapshotStore } from './snapshotStore';

export const EDITOR_VIEW_TYPE = 'kmemmap.snapshot';
export const EDITOR_ANY_VIEW_TYPE = 'kmemmap.snapshotAny';
export const PANEL_VIEW_TYPE = 'kmemmap.panel';

class SnapshotDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

export class SnapshotEditorProvider implements vscode.CustomReadonlyEditorProvider<SnapshotDocument> {
  constructor(
    private readonly store: SnapshotStore,
    private readonly extensionUri: vscode.Uri,
  ) {}

  openCustomDocument(uri: vscode.Uri): SnapshotDocument {
    return new SnapshotDocument(uri);
  }

  async resolveCustomEditor(document: SnapshotDocument, panel: vscode.WebviewPanel): Promise<void> {
    // Do not await the parse: the panel shows progress and errors itself.
    attachPanel(panel, document.uri, this.store, this.extensionUri).catch(() => undefined);
  }
}

/** The URI a restored panel shows is kept in the webview state (see webview/viewState.ts). */
export class SnapshotPanelSerializer implements vscode.WebviewPanelSerializer<{ uri?: string }> {
  constructor(
    private readonly store: SnapshotStore,
    private readonly extensionUri: vscode.Uri,
  ) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: { uri?: string } | undefined): Promise<void> {
    if (!state?.uri) {
      panel.dispose();
      return;
    }
    attachPanel(panel, vscode.Uri.parse(state.uri), this.store, this.extensionUri).catch(() => undefined);
  }
}

/** Opens uri in a new panel (files and folders alike) and resolves when the snapshot is read. */
export function openInPanel(uri: vscode.Uri, store: SnapshotStore, extensionUri: vscode.Uri) {
  const name = uri.path.split('/').filter(Boolean).pop() ?? uri.fsPath;
  const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, `Memmap: ${name}`, vscode.ViewColumn.Active, {
    enableScripts: true,
    localResourceRoots: [],
  });
  return attachPanel(panel, uri, store, extensionUri);
}
