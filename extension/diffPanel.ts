// Compare two snapshots in VS Code: the commands (Compare Snapshots…, the Explorer's Compare Memmaps on
// two selected files, Compare With… from an open snapshot), the diff panel and its serializer. The
// comparison runs in the compare worker behind a cancellable progress notification; a pair that cannot
// be compared shows the diff engine's reason in the panel.

import * as vscode from 'vscode';
import { basename } from 'node:path';
import { compareInWorker } from './compareWorkerClient';
import { DiffSession } from './diffSession';
import { failureEvent } from './panelHost';
import { CancelledError } from './workerJob';
import { MessageChannel } from '../shared/messageChannel';
import type { HostEvent, WebviewEvent } from '../shared/protocol';
import type { SnapshotStore } from './snapshotStore';
import { affectsViewSettings, viewSettings } from './settings';
import { webviewHtml, webviewRoots } from './webviewHtml';
import { failureReport } from './failureReport';
import { log } from './log';

export const DIFF_VIEW_TYPE = 'kmemmap.diff';
const PICK_TITLE = 'a vmcore, kdump file, kpageflags capture (file or folder), crash or drgn output';

/** Open diff sessions by panel, for the test API. */
const open = new Set<DiffSession>();

export function diffSessions(): DiffSession[] {
  return [...open];
}

const nameOf = (uri: vscode.Uri) => uri.path.split('/').filter(Boolean).pop() ?? uri.fsPath;

async function pickSnapshot(title: string): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Compare',
  });
  return picked?.[0];
}

/** Reads a and b in the compare worker, with progress in a notification and in the panel. */
function compare(
  a: vscode.Uri,
  b: vscode.Uri,
  extensionUri: vscode.Uri,
  onProgress: (message: string, fraction: number) => void,
): Promise<DiffSession> {
  for (const u of [a, b])
    if (u.scheme !== 'file')
      return Promise.reject(
        new Error(
          `${u.toString()}: only files on the machine running the extension can be read (scheme "${u.scheme}")`,
        ),
      );
  const workerFile = vscode.Uri.joinPath(extensionUri, 'out', 'extension', 'compareWorker.js').fsPath;
  const titles: [string, string] = [nameOf(a), nameOf(b)];
  log().info(`comparing ${a.fsPath} (a) with ${b.fsPath} (b)`);
  return Promise.resolve(
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Kernel Memmap: comparing ${titles[0]} with ${titles[1]}`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        let last = 0;
        try {
          const compared = await compareInWorker(
            workerFile,
            { path: a.fsPath, extraPaths: [] },
            { path: b.fsPath, extraPaths: [] },
            {
              signal: abort.signal,
              onProgress: (message, fraction) => {
                progress.report({ increment: 100 * fraction - last, message });
                last = 100 * fraction;
                onProgress(message, fraction);
              },
            },
          );
          const r = compared.result;
          log().info(
            `compared in ${r.elapsedMs.toFixed(0)} ms: ${r.diff.transitions.reduce((n, t) => n + t[2], 0)} pages changed class in ${r.diff.runCount} runs, ${r.diff.blocks.length} memory blocks changed`,
          );
          return new DiffSession([a.toString(), b.toString()], titles, compared);
        } catch (e) {
          if (e instanceof CancelledError) log().info(`cancelled comparing ${a.fsPath} with ${b.fsPath}`);
          else {
            const f = failureReport(b.fsPath, e);
            log().error(`cannot compare ${a.fsPath} with ${b.fsPath}: ${f.problem}${f.hint ? ` (${f.hint})` : ''}`);
            if (f.stack) log().error(f.stack);
          }
          throw e;
        } finally {
          sub.dispose();
        }
      },
    ),
  );
}

/** Shows the comparison of a (before) and b (after) in panel; resolves when compared. */
export function attachDiffPanel(
  panel: vscode.WebviewPanel,
  a: vscode.Uri,
  b: vscode.Uri,
  extensionUri: vscode.Uri,
): Promise<DiffSession> {
  const webview = panel.webview;
  webview.options = { enableScripts: true, localResourceRoots: webviewRoots(extensionUri) };
  const title = `${nameOf(a)} ↔ ${nameOf(b)}`;
  const key = JSON.stringify([a.toString(), b.toString()]);
  const html = () => webviewHtml(webview, extensionUri, key, title, 'diff');
  webview.html = html();

  let current: DiffSession | undefined;
  let disposed = false;
  const start = () => {
    const p = compare(a, b, extensionUri, (message, fraction) =>
      channel.event({ type: 'progress', message: `${message[0].toUpperCase()}${message.slice(1)}`, fraction }),
    );
    p.then(
      (s) => {
        if (disposed) return void s.dispose();
        current = s;
        open.add(s);
      },
      // the engine's SnapshotError names the file and why the two cannot be compared
      (e) => channel.event(failureEvent(b, e)),
    );
    return p;
  };
  let session: Promise<DiffSession>;
  const channel = new MessageChannel<WebviewEvent, HostEvent>(
    (m) => void webview.postMessage(m),
    {
      diffReady: async (p) => (await session).handlers(viewSettings).diffReady!(p),
      diffSectionData: async (p) => (await session).handlers(viewSettings).diffSectionData!(p),
      diffPageDetail: async (p) => (await session).pageDetail(p.pfn),
      nextChange: async (p) => (await session).handlers(viewSettings).nextChange!(p),
    },
    (ev) => {
      if (ev.type === 'openSource')
        void session.then((s) =>
          vscode.commands.executeCommand(
            'kmemmap.openKernelSource',
            ev.ref.symbol ?? ev.ref.label,
            s.result.summaryB.kernel.release,
          ),
        );
      else if (ev.type === 'log') log().info(`diff webview: ${ev.message}`);
      else if (ev.type === 'retry') {
        if (current) {
          open.delete(current);
          void current.dispose();
          current = undefined;
        }
        session = start();
        session.catch(() => undefined);
        webview.html = html();
      }
    },
  );
  session = start();
  const subs = [
    webview.onDidReceiveMessage((m) => void channel.receive(m)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsViewSettings(e)) channel.event({ type: 'settings', settings: viewSettings() });
    }),
  ];
  panel.onDidDispose(() => {
    disposed = true;
    channel.dispose();
    subs.forEach((d) => d.dispose());
    if (current) {
      open.delete(current);
      void current.dispose();
    }
  });
  return session;
}

export function openDiffPanel(a: vscode.Uri, b: vscode.Uri, extensionUri: vscode.Uri): Promise<DiffSession> {
  const panel = vscode.window.createWebviewPanel(
    DIFF_VIEW_TYPE,
    `Memmap diff: ${nameOf(a)} ↔ ${nameOf(b)}`,
    vscode.ViewColumn.Active,
    { enableScripts: true, localResourceRoots: [] },
  );
  return attachDiffPanel(panel, a, b, extensionUri);
}

/** The snapshot of the active snapshot editor tab, else the one a panel used last. */
function activeSnapshot(store: SnapshotStore): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && store.get(input.uri.toString())) return input.uri;
  const s = store.sessions().sort((x, y) => y.lastUsedMs - x.lastUsedMs)[0];
  return s ? vscode.Uri.parse(s.uri) : undefined;
}

export function registerCompare(context: vscode.ExtensionContext, store: SnapshotStore): void {
  const ext = context.extensionUri;
  const run = (a: vscode.Uri, b: vscode.Uri) => openDiffPanel(a, b, ext).catch(() => undefined); // the panel shows the error
  const compareSnapshots = async (uri?: unknown, uris?: unknown) => {
    const selected = Array.isArray(uris) ? uris.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
    if (selected.length > 2)
      return void vscode.window.showErrorMessage(
        `Kernel Memmap: select two snapshots to compare, not ${selected.length}.`,
      );
    if (selected.length === 2) return run(selected[0], selected[1]);
    const a =
      uri instanceof vscode.Uri ? uri : await pickSnapshot(`Compare: the first snapshot (before), ${PICK_TITLE}`);
    if (!a) return;
    const b = await pickSnapshot(`Compare ${basename(a.fsPath)} with: the second snapshot (after)`);
    if (b) return run(a, b);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('kmemmap.compareSnapshots', compareSnapshots),
    vscode.commands.registerCommand('kmemmap.compareMemmaps', compareSnapshots),
    // From the editor title (the snapshot's URI), the palette (the active snapshot); `other` skips the file dialog (keybindings, tests).
    vscode.commands.registerCommand('kmemmap.compareWith', async (uri?: unknown, other?: unknown) => {
      const a = uri instanceof vscode.Uri ? uri : activeSnapshot(store);
      if (!a)
        return void vscode.window.showErrorMessage(
          'Kernel Memmap: open a snapshot first, or use "Compare Snapshots…".',
        );
      const b =
        other instanceof vscode.Uri
          ? other
          : await pickSnapshot(`Compare ${basename(a.fsPath)} with: the second snapshot (after)`);
      if (b) return run(a, b);
    }),
    vscode.window.registerWebviewPanelSerializer(DIFF_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: { diff?: unknown } | undefined) {
        const pair =
          Array.isArray(state?.diff) && state.diff.length === 2 && state.diff.every((u) => typeof u === 'string')
            ? (state.diff as string[])
            : undefined;
        if (!pair) return panel.dispose();
        attachDiffPanel(panel, vscode.Uri.parse(pair[0]), vscode.Uri.parse(pair[1]), ext).catch(() => undefined);
      },
    }),
  );
}
