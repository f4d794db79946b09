// One real VS Code for the UI tier: the PACKAGED .vsix installed into a throwaway server, a demo
// workspace holding a copy of the sample, the workbench open in headless Chromium.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureServerInstalled } from './install';
import { installVsix, RunningServer, startServer } from './server';
import { makeTempHome, TempHome } from './tempHome';
import { makeDemoWorkspace, SAMPLE_NAME } from './demoWorkspace';
import { workbenchUrl } from './workbenchUrl';
import { openWorkbench, OpenedWorkbench, waitForWorkbench } from './browser';
import { artifactsDir, repoRoot } from './paths';
import { failureReport, watchConsole } from './failureReport';
import { openFromExplorer, waitForSnapshotPanel } from './workbenchUi';

export interface E2eSession {
  page: Page;
  /** The workspace folder open in VS Code (on this machine: the server is local). */
  folder: string;
  sampleFile: string;
  sampleName: string;
  artifacts: string;
  timings: Record<string, number>;
  shot(name: string): Promise<string>;
  /** What the workbench, the snapshot panel, the browser console and the extension's log show now. */
  report(): Promise<string>;
  /** Waits for the snapshot editor's panel to be ready (see workbenchUi.waitForSnapshotPanel). */
  waitForSnapshotPanel(readyMs?: number): Promise<void>;
  /** Opens a file from the Explorer in the Kernel Memmap editor (see workbenchUi.openFromExplorer). */
  openFromExplorer(name: string): Promise<void>;
  close(): Promise<void>;
}

export function vsixPath(): string {
  return process.env.KMEMMAP_VSIX ?? join(repoRoot(), 'kernel-memmap-explorer.vsix');
}

export function samplePath(): string {
  return process.env.KMEMMAP_TEST_SAMPLE ?? join(repoRoot(), 'samples', SAMPLE_NAME);
}

/** Sessions started by this process: the first clears the last run's pictures, later ones keep this run's. */
let sessions = 0;

/**
 * opts.files: workspace file name → file to copy there before VS Code starts, so the Explorer lists it
 * from its first render (a file added later shows only once the file watcher reports it).
 */
export async function startE2eSession(opts: { files?: Record<string, string> } = {}): Promise<E2eSession> {
  const timings: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    timings[name] = Date.now() - t;
    t = Date.now();
  };
  const vsix = vsixPath();
  if (!existsSync(vsix)) throw new Error(`${vsix} missing: run npm run package (npm run test:e2e does)`);
  const serverMain = ensureServerInstalled();
  const home: TempHome = makeTempHome('kmemmap-e2e-');
  const artifacts = artifactsDir('e2e');
  mkdirSync(artifacts, { recursive: true });
  if (sessions++ === 0) for (const f of readdirSync(artifacts)) if (/\.(png|log)$/.test(f)) rmSync(join(artifacts, f));
  let server: RunningServer | undefined;
  let wb: OpenedWorkbench | undefined;
  try {
    const dataDir = join(home.dir, 'vscode');
    installVsix(serverMain, dataDir, vsix, home.env);
    lap('installVsixMs');
    const ws = makeDemoWorkspace(join(home.dir, 'kmemmap-demo'), samplePath());
    for (const [name, from] of Object.entries(opts.files ?? {})) copyFileSync(from, join(ws.folder, name));
    const logFile = join(artifacts, sessions === 1 ? 'server.log' : `server-${sessions}.log`);
    server = await startServer({ serverMain, dataDir, env: home.env, logFile });
    lap('serverStartMs');
    wb = await openWorkbench(workbenchUrl({ origin: server.origin, folder: ws.folder }), home.env);
    const consoleLines = watchConsole(wb.page);
    await waitForWorkbench(wb.page);
    lap('workbenchVisibleMs');
    const s = server;
    const w = wb;
    return {
      page: wb.page,
      folder: ws.folder,
      sampleFile: ws.sampleFile,
      sampleName: ws.sampleFile.split('/').pop()!,
      artifacts,
      timings,
      async shot(name) {
        const p = join(artifacts, name);
        await w.page.screenshot({ path: p });
        return p;
      },
      report: () => failureReport(w.page, dataDir, consoleLines),
      waitForSnapshotPanel: (readyMs) =>
        waitForSnapshotPanel(w.page, {
          readyMs,
          onReload: (why) => {
            const sw = consoleLines.filter((l) => /service worker|webview/i.test(l));
            console.log(
              `      warning: ${why}; the browser console said:\n${sw.map((l) => `        ${l}`).join('\n')}`,
            );
          },
        }),
      openFromExplorer: (name) =>
        openFromExplorer(w.page, name, { onRetry: (why) => console.log(`      warning: ${why}`) }),
      async close() {
        await w.close().catch(() => undefined);
        await s.stop();
        if (!process.env.KMEMMAP_KEEP_TEMP) home.remove();
      },
    };
  } catch (e) {
    await wb?.close().catch(() => undefined);
    await server?.stop();
    home.remove();
    throw e;
  }
}
