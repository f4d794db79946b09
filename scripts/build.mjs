// One esbuild script for every target: extension host, webview, CLI, lab, benchmarks and test bundles.
// Usage: node scripts/build.mjs [--watch]
import * as esbuild from 'esbuild';
import { readdirSync, statSync, existsSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');

/** All files under dir whose name matches re (recursively), or [] when dir does not exist. */
function find(dir, re) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p, re));
    else if (re.test(name)) out.push(p);
  }
  return out;
}

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // mocha is bundled into the in-VS-Code test suite; its optional parallel mode is not used there.
  logOverride: { 'require-resolve-not-external': 'silent' },
  external: ['vscode', 'playwright-core'],
};

const targets = [];
const ifExists = (entry) => (existsSync(entry) ? [entry] : []);

// Extension host (and its worker), CommonJS because VS Code loads extensions with require().
const extEntries = [
  ...ifExists('extension/extension.ts'),
  ...ifExists('extension/parseWorker.ts'),
  ...ifExists('extension/compareWorker.ts'),
];
if (extEntries.length) targets.push({ ...nodeCommon, entryPoints: extEntries, outdir: 'out/extension' });

// Webview bundle: runs in the browser sandbox of the panel.
if (existsSync('webview/main.ts'))
  targets.push({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: true,
    logLevel: 'warning',
    entryPoints: ['webview/main.ts', ...ifExists('webview/diff.ts')],
    outdir: 'out/webview',
    loader: { '.ttf': 'file', '.css': 'css' },
  });

// CLI: a single file with a shebang.
if (existsSync('cli/kmemmap.ts'))
  targets.push({
    ...nodeCommon,
    entryPoints: ['cli/kmemmap.ts'],
    outfile: 'out/cli/kmemmap.js',
    banner: { js: '#!/usr/bin/env node' },
  });

// Lab drivers and benchmarks.
const labEntries = ['test/lab/lab.ts', 'test/lab/derive-dumps.ts'].filter((p) => existsSync(p));
if (labEntries.length) targets.push({ ...nodeCommon, entryPoints: labEntries, outdir: 'out/lab', outbase: 'test/lab' });
const benches = find('bench', /\.ts$/);
if (benches.length) targets.push({ ...nodeCommon, entryPoints: benches, outdir: 'out/bench', outbase: 'bench' });

// Tests: every *.test.ts plus test helpers under test/, mirrored under out/test.
const tests = [
  ...find('test', /\.test\.ts$/),
  ...find('test/integration', /^index\.ts$/),
  ...find('test/e2e', /\.ts$/),
  ...find('test/webview', /\.ts$/),
];
const uniqueTests = [...new Set(tests)].filter((p) => !p.startsWith('test/lab/'));
if (uniqueTests.length) targets.push({ ...nodeCommon, entryPoints: uniqueTests, outdir: 'out/test', outbase: 'test' });

// The mocha reporter of every Node tier (.mocharc.json): it extends the running mocha's Spec reporter.
if (existsSync('test/support/countingReporter.ts'))
  targets.push({
    ...nodeCommon,
    external: [...nodeCommon.external, 'mocha'],
    entryPoints: ['test/support/countingReporter.ts'],
    outdir: 'out/test/support',
  });

// Drivers of the real-VS-Code tiers (they start a server and a browser, outside VS Code).
const harness = ['test/vscode/runIntegration.ts', 'test/vscode/demo.ts', 'test/electron/runTest.ts'].filter((p) =>
  existsSync(p),
);
if (harness.length)
  targets.push({
    ...nodeCommon,
    external: [...nodeCommon.external, '@vscode/test-electron'],
    entryPoints: harness,
    outdir: 'out/test',
    outbase: 'test',
  });

// The kdump decode worker (parsers/dump/kdumpDecodeWorker.ts), a worker thread the kdump reader starts
// from the directory of the running bundle: one copy next to each Node bundle that opens dumps (test
// bundles, in subfolders of out/test, use the one in out/test).
if (existsSync('parsers/dump/kdumpDecodeWorker.ts'))
  for (const dir of ['out/extension', 'out/cli', 'out/bench', 'out/lab', 'out/test'])
    targets.push({
      ...nodeCommon,
      entryPoints: { kdumpDecodeWorker: 'parsers/dump/kdumpDecodeWorker.ts' },
      outdir: dir,
    });

// The LZO page decoder of lzo-wasm (FFmpeg's LGPL-2.1+ av_lzo1x_decode compiled to WebAssembly) is a
// separate, replaceable file next to each Node bundle that reads kdump files; parsers/dump/codecs.ts
// looks for it beside the running bundle (test bundles find it in node_modules).
function copyLzoWasm() {
  const wasm = 'node_modules/lzo-wasm/lzo-wasm.wasm';
  if (!existsSync(wasm)) {
    console.warn(`[build] ${wasm} missing (npm ci): LZO-compressed kdump files will not open`);
    return;
  }
  for (const dir of ['out/extension', 'out/cli', 'out/bench', 'out/lab']) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(wasm, join(dir, 'lzo-wasm.wasm'));
  }
}

if (watch) {
  for (const t of targets) (await esbuild.context(t)).watch();
  copyLzoWasm();
  console.log(`watching ${targets.length} targets`);
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  copyLzoWasm();
}
