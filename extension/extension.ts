// Extension entry: registers the snapshot editor, the commands and the panel serializer. Activation
// does nothing heavy; parsing starts only when a snapshot is opened, in a worker thread.

import * as vscode from 'vscode';
import type { PageDetail } from '../memmap/snapshot';
import type { SnapshotSummary } from './workerMessages';
import { SnapshotStore } from './snapshotStore';
import {
  EDITOR_ANY_VIEW_TYPE,
  EDITOR_VIEW_TYPE,
  PANEL_VIEW_TYPE,
  SnapshotEditorProvider,
  SnapshotPanelSerializer,
  openInPanel,
} from './snapshotEditor';
import { disposeLog, log } from './log';
import { registerKnowledgeFeatures } from './hovers/index';
import { registerAskDebugger } from './debugger/askDebugger';
import { registerPatchReview, type PatchReviewApi } from './patchReview';
import { diffSessions, registerCompare } from './diffPanel';
import type { DiffPageDetail } from '../shared/diffProtocol';
import type { Overview } from '../shared/protocol';
import { viewSettings } from './settings';

/** The API integration tests (and other extensions) use; keep the names stable. */
export interface KmemmapApi {
  openSnapshot(uri: vscode.Uri): Promise<void>;
  sessions(): Array<{ uri: string; summary: SnapshotSummary }>;
  pageDetail(uri: string, pfn: number): Promise<PageDetail | undefined>;
  /** The Overview the snapshot's panel is sent on `ready` (what its header, labels and search are drawn from). */
  overview(uri: string): Overview | undefined;
  /** The Patch Review view: review a patch, read the view's nodes, write the report. */
  patchReview: PatchReviewApi;
  /** Open diff panels: the two URIs (a, b), pages changed, and a page on both sides as the diff inspector reads it. */
  diffs(): Array<{
    uris: [string, string];
    changedPages: number;
    transitions: [string, string, number][];
    pageDetail(pfn: number): Promise<DiffPageDetail>;
  }>;
}

export const SAMPLE_PATH = ['samples', 'sample-6.12-virtio-mem.tar.gz'];

export function activate(context: vscode.ExtensionContext): KmemmapApi {
  const store = new SnapshotStore(context.extensionUri);
  const ext = context.extensionUri;
  const open = (uri: vscode.Uri) => openInPanel(uri, store, ext);

  context.subscriptions.push(
    store,
    { dispose: disposeLog },
    // Two view types over one provider: "default" for unmistakable names (vmcore*, kpageflags),
    // "option" for generic ones (*.tar.gz, *.elf) so they still open normally unless asked.
    ...[EDITOR_VIEW_TYPE, EDITOR_ANY_VIEW_TYPE].map((viewType) =>
      vscode.window.registerCustomEditorProvider(viewType, new SnapshotEditorProvider(store, ext), {
        supportsMultipleEditorsPerDocument: true,
      }),
    ),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new SnapshotPanelSerializer(store, ext)),
    vscode.commands.registerCommand('kmemmap.openSnapshot', async (uri?: vscode.Uri) => {
      if (!(uri instanceof vscode.Uri)) {
        const picked = await vscode.window.showOpenDialog({
          title: 'Open a vmcore, kdump file or kpageflags capture (file or folder)',
          canSelectFiles: true,
          canSelectFolders: true,
          canSelectMany: false,
          openLabel: 'Open Snapshot',
        });
        uri = picked?.[0];
      }
      if (uri) await open(uri).catch(() => undefined); // the panel shows the error
    }),
    vscode.commands.registerCommand('kmemmap.openSample', async () => {
      await open(vscode.Uri.joinPath(ext, ...SAMPLE_PATH)).catch(() => undefined);
    }),
    vscode.commands.registerCommand('kmemmap.showLog', () => log().show()),
  );
  const { trees } = registerKnowledgeFeatures(context);
  registerAskDebugger(context, store);
  const patchReview = registerPatchReview(context, trees, store);
  registerCompare(context, store);

  return {
    async openSnapshot(uri) {
      await open(uri);
    },
    patchReview,
    sessions: () => store.sessions().map((s) => ({ uri: s.uri, summary: s.summary })),
    async pageDetail(uri, pfn) {
      const s = store.get(uri) ?? store.get(vscode.Uri.parse(uri).toString());
      if (!s) throw new Error(`no open snapshot ${uri}`);
      return s.pageDetail(pfn);
    },
    overview: (uri) => (store.get(uri) ?? store.get(vscode.Uri.parse(uri).toString()))?.overview(viewSettings()),
    diffs: () =>
      diffSessions().map((d) => ({
        uris: d.uris,
        changedPages: d.result.diff.transitions.reduce((n, t) => n + t[2], 0),
        transitions: d.result.diff.transitions,
        pageDetail: (pfn: number) => d.pageDetail(pfn),
      })),
  };
}

export function deactivate(): void {}
