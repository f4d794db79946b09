// Bundles the real-VS-Code harness drivers (test/vscode/*.ts entry points, test/electron/runTest.ts)
// into out/test/; the integration suite and e2e specs themselves are bundled by scripts/build.mjs.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const entries = [
  'test/vscode/runIntegration.ts',
  'test/vscode/demo.ts',
  'test/electron/runTest.ts',
].filter((p) => existsSync(p));

await esbuild.build({
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning',
  external: ['vscode', 'playwright-core', '@vscode/test-electron'],
  entryPoints: entries, outdir: 'out/test', outbase: 'test',
});
