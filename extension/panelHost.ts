// Connects one webview (custom editor or restored panel) to a snapshot session through the protocol.

import * as vscode from 'vscode';
import { MessageChannel } from '../shared/messageChannel';
import type { HostEvent, WebviewEvent } from '../shared/protocol';
import { failureReport } from './failureReport';
import { CancelledError } from './workerJob';
import type { SnapshotSession } from './snapshotSession';
import type { SnapshotStore } from './snapshotStore';
import { affectsViewSettings, viewSettings } from './settings';
import { webviewHtml, webviewRoots } from './webviewHtml';
import { log } from './log';

export function failureEvent(uri: vscode.Uri, e: unknown): HostEvent {
  if (e instanceof CancelledError)
    return { type: 'failed', file: uri.fsPath, problem: 'reading was cancelled', hint: 'press Retry to read it again' };
  // The stack (failureReport's `stack`) is logged by the store, never sent to the panel.
  const { file, problem, hint } = failureReport(uri.fsPath, e);
  return { type: 'failed', file, problem, hint };
}

/** Shows the snapshot at uri in panel; resolves when the snapshot is read (or rejects with why not). */
export function attachPanel(
  panel: vscode.WebviewPanel,
  uri: vscode.Uri,
  store: SnapshotStore,
  extensionUri: vscode.Uri,
): Promise<SnapshotSession> {
  const key = uri.toString();
  const webview = panel.webview;
  webview.options = { enableScripts: true, localResourceRoots: webviewRoots(extensionUri) };
  const title = uri.path.split('/').pop() || uri.fsPath;
  webview.html = webviewHtml(webview, extensionUri, key, title);

  let session: Promise<SnapshotSession> = store.acquire(uri);
  const disposables: vscode.Disposable[] = [];
  const channel = new MessageChannel<WebviewEvent, HostEvent>(
    (m) => void webview.postMessage(m),
    {
      ready: async (p) => (await session).handlers(viewSettings).ready!(p),
      sectionData: async (p) => (await session).sectionData(p.startPfn, p.count),
      pageDetail: async (p) => (await session).pageDetailInfo(p.pfn),
      blockingPages: async (p) => (await session).handlers(viewSettings).blockingPages!(p),
    },
    (ev) => {
      // One way to kernel source for every entry point: the indexed tree, the C language server, else Elixir.
      if (ev.type === 'openSource')
        void session.then((s) =>
          vscode.commands.executeCommand(
            'kmemmap.openKernelSource',
            ev.ref.symbol ?? ev.ref.label,
            s.summary.kernel.release,
          ),
        );
      else if (ev.type === 'askDebugger' && Number.isSafeInteger(ev.pfn))
        void vscode.commands.executeCommand('kmemmap.askDebugger', { uri: key, pfn: ev.pfn });
      else if (ev.type === 'log') log().info(`webview: ${ev.message}`);
      else if (ev.type === 'retry') {
        store.release(uri);
        session = store.acquire(uri);
        watchFailure();
        webview.html = webviewHtml(webview, extensionUri, key, title); // start the panel afresh
      }
    },
  );
  const watchFailure = () => session.catch((e) => channel.event(failureEvent(uri, e)));
  watchFailure();

  disposables.push(
    webview.onDidReceiveMessage((m) => void channel.receive(m)),
    store.onProgress.event((p) => {
      if (p.uri === key) channel.event({ type: 'progress', message: p.message, fraction: p.fraction });
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsViewSettings(e)) channel.event({ type: 'settings', settings: viewSettings() });
    }),
  );
  panel.onDidDispose(() => {
    channel.dispose();
    disposables.forEach((d) => d.dispose());
    store.release(uri);
  });
  return session;
}
