// Tier 3 driver: starts the VS Code server, opens the workbench in Chromium with a `payload` naming
// this repository as the extension under development and out/test/integration/index.js as the test
// module, waits for the suite's JSON results and turns them into the exit code.
// Usage: node out/test/vscode/runIntegration.js   (npm run test:vscode builds first)
// Env: KMEMMAP_EXT_DEV_PATH (extension folder, default the repository), KMEMMAP_TESTS_PATH, KMEMMAP_TEST_GREP,
//      KMEMMAP_TEST_SAMPLE (snapshot to use instead of the bundled sample),
//      KMEMMAP_TEST_TIMEOUT_MS (default 600000), KMEMMAP_LAB_DIR and KMEMMAP_SRC_CACHE (passed on to the suite).
import { recordTierCounts } from '../support/tierCounts';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureServerInstalled } from './install';
import { startServer } from './server';
import { makeTempHome } from './tempHome';
import { workbenchUrl } from './workbenchUrl';
import { openWorkbench, waitForWorkbench } from './browser';
import { artifactsDir, repoRoot } from './paths';

interface Results {
  failures: number;
  durationMs: number;
  results: Array<{ title: string; state: string; durationMs?: number; error?: string }>;
}

/** The server logs this when the test extension host ends (it ends once run() returns or throws). */
function extensionHostExited(logFile: string): boolean {
  try {
    return /Extension Host Process exited/.test(readFileSync(logFile, 'utf8'));
  } catch {
    return false;
  }
}

async function waitForFile(path: string, timeoutMs: number, stillAlive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) return true;
    if (!stillAlive()) {
      await new Promise((r) => setTimeout(r, 2000)); // let a last write land
      return existsSync(path);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const root = repoRoot();
  const extDev = process.env.KMEMMAP_EXT_DEV_PATH ?? root;
  const testsPath = process.env.KMEMMAP_TESTS_PATH ?? join(root, 'out', 'test', 'integration', 'index.js');
  if (!existsSync(testsPath)) throw new Error(`${testsPath} missing: run npm run build first`);

  const serverMain = ensureServerInstalled();
  const tInstalled = Date.now();
  const home = makeTempHome();
  const resultsFile = join(home.dir, 'integration-results.json');
  const workspace = join(home.dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const artifacts = artifactsDir('integration');
  mkdirSync(artifacts, { recursive: true });
  const env = {
    ...home.env,
    KMEMMAP_TEST_RESULTS: resultsFile,
    // The suite runs with HOME = the temp folder, so hand it the real lab cache.
    KMEMMAP_LAB_DIR: process.env.KMEMMAP_LAB_DIR ?? join(homedir(), '.cache', 'kmemmap-lab'),
    KMEMMAP_SRC_CACHE: process.env.KMEMMAP_SRC_CACHE ?? join(homedir(), '.cache', 'kmemmap-src'),
    ...(process.env.KMEMMAP_TEST_GREP ? { KMEMMAP_TEST_GREP: process.env.KMEMMAP_TEST_GREP } : {}),
  };

  const server = await startServer({
    serverMain,
    dataDir: join(home.dir, 'vscode'),
    env,
    logFile: join(artifacts, 'server.log'),
  });
  const tServer = Date.now();
  console.log(
    `[tier3] VS Code server on ${server.origin} (install check ${tInstalled - t0} ms, start ${tServer - tInstalled} ms)`,
  );
  let wb: Awaited<ReturnType<typeof openWorkbench>> | undefined;
  try {
    const url = workbenchUrl({
      origin: server.origin,
      folder: workspace,
      extensionDevelopmentPath: extDev,
      extensionTestsPath: testsPath,
    });
    wb = await openWorkbench(url, home.env);
    const consoleLog = createWriteStream(join(artifacts, 'browser-console.log'));
    wb.page.on('console', (m) => {
      const text = m.text().replace(/^%c\s*(\w+)\s+color: #\w+\s*/, '$1 ');
      consoleLog.write(text + '\n');
      if (process.env.KMEMMAP_VERBOSE) console.log(`[browser] ${text}`);
    });
    await waitForWorkbench(wb.page);
    console.log(`[tier3] workbench visible after ${Date.now() - tServer} ms; running the suite in the extension host`);
    const timeout = Number(process.env.KMEMMAP_TEST_TIMEOUT_MS ?? 600_000);
    const done = await waitForFile(
      resultsFile,
      timeout,
      () => server.process.exitCode === null && !extensionHostExited(server.logFile),
    );
    await wb.page.screenshot({ path: join(artifacts, 'workbench-after-suite.png') }).catch(() => undefined);
    if (!done) {
      console.error(
        `[tier3] the suite wrote no results (extension host ended or ${timeout} ms passed); see ${server.logFile} and ${join(artifacts, 'browser-console.log')}`,
      );
      return 2;
    }
    const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
    for (const t of r.results) {
      const mark = t.state === 'passed' ? 'ok  ' : t.state === 'pending' ? 'skip' : 'FAIL';
      console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
      if (t.error) console.log('       ' + t.error.split('\n').slice(0, 8).join('\n       '));
    }
    const passed = r.results.filter((t) => t.state === 'passed').length;
    const skipped = r.results.filter((t) => t.state === 'pending').length;
    recordTierCounts({ passed, failed: r.failures, skipped });
    console.log(
      `[tier3] ${passed} passing, ${r.failures} failing; suite ${r.durationMs} ms, total ${Date.now() - t0} ms`,
    );
    if (r.results.length === 0) {
      console.error('[tier3] the suite ran no tests');
      return 1;
    }
    return r.failures ? 1 : 0;
  } finally {
    await wb?.close().catch(() => undefined);
    await server.stop();
    if (!process.env.KMEMMAP_KEEP_TEMP) home.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[tier3] ${(e as Error)?.stack ?? e}`);
    process.exit(2);
  },
);
