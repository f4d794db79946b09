// `npm run demo`: the packaged extension in a real VS Code (web) with the bundled sample open.
// Installs the .vsix into a throwaway VS Code server, starts it on 127.0.0.1, prints the URL and
// keeps running until Ctrl-C. With --smoke it opens the URL in headless Chromium, waits for the
// snapshot editor's webview, saves a screenshot in test-artifacts/demo/ and exits.
// Usage: node out/test/vscode/demo.js <extension.vsix> [--smoke]
// Env: KMEMMAP_DEMO_PORT (default: a free port), KMEMMAP_DEMO_SAMPLE (file to open), KMEMMAP_KEEP_TEMP=1.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureServerInstalled } from './install';
import { installVsix, startServer } from './server';
import { makeTempHome } from './tempHome';
import { makeDemoWorkspace, SAMPLE_NAME } from './demoWorkspace';
import { workbenchUrl } from './workbenchUrl';
import { packDemoOpener } from './demoOpener';
import { artifactsDir, repoRoot } from './paths';
import { openWorkbench, waitForWorkbench } from './browser';
import { snapshotEditor } from './workbenchUi';

async function smoke(url: string, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = artifactsDir('demo');
  mkdirSync(dir, { recursive: true });
  const wb = await openWorkbench(url, env);
  try {
    await waitForWorkbench(wb.page);
    await snapshotEditor(wb.page).waitFor({ state: 'visible', timeout: 120_000 });
    await wb.page.waitForTimeout(3000);
    await wb.page.screenshot({ path: join(dir, 'demo.png') });
    console.log(`[demo] smoke ok: the snapshot editor is showing; screenshot ${join(dir, 'demo.png')}`);
  } finally {
    await wb.close();
  }
}

async function main(): Promise<void> {
  const vsix = process.argv[2];
  if (!vsix || !existsSync(vsix)) throw new Error('usage: demo.js <extension.vsix> [--smoke]');
  const smokeOnly = process.argv.includes('--smoke');
  const t0 = Date.now();
  const serverMain = ensureServerInstalled();
  const home = makeTempHome('kmemmap-demo-');
  const dataDir = join(home.dir, 'vscode');
  installVsix(serverMain, dataDir, vsix, home.env);
  installVsix(serverMain, dataDir, packDemoOpener(), home.env);
  const tInstalled = Date.now();
  const ws = makeDemoWorkspace(
    join(home.dir, 'kmemmap-demo'),
    process.env.KMEMMAP_DEMO_SAMPLE ?? join(repoRoot(), 'samples', SAMPLE_NAME),
  );
  const port = process.env.KMEMMAP_DEMO_PORT ? Number(process.env.KMEMMAP_DEMO_PORT) : undefined;
  const env = { ...home.env, KMEMMAP_DEMO_OPEN: ws.sampleFile };
  const server = await startServer({ serverMain, dataDir, env, ...(port ? { port } : {}) });
  const url = workbenchUrl({ origin: server.origin, folder: ws.folder });
  console.log(`[demo] extension installed in ${tInstalled - t0} ms, server started in ${Date.now() - tInstalled} ms`);

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    if (!process.env.KMEMMAP_KEEP_TEMP) home.remove();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  server.process.once('exit', (c) => {
    if (!stopping) {
      console.error(`[demo] VS Code server exited (${c}); log: ${server.logFile}`);
      void shutdown(1);
    }
  });

  if (smokeOnly) {
    try {
      await smoke(url, home.env);
      await shutdown(0);
    } catch (e) {
      console.error(`[demo] smoke failed: ${(e as Error).message}`);
      await shutdown(1);
    }
    return;
  }
  console.log('');
  console.log('  Kernel Memmap Explorer is running in VS Code with the sample snapshot open:');
  console.log('');
  console.log(`    ${url}`);
  console.log('');
  console.log('  Remote machine? Forward the port first: ssh -L ' + `${server.port}:127.0.0.1:${server.port} <host>`);
  console.log('  Press Ctrl-C to stop.');
}

main().catch((e) => {
  console.error(`[demo] ${(e as Error)?.stack ?? e}`);
  process.exit(1);
});
