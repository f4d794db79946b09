// Packs test/vscode/demo-opener (a few lines that open the sample in the kmemmap.snapshot editor at
// startup) into a .vsix for the demo server. Never part of the shipped extension.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { repoRoot, vscodeCache } from './paths';

/** Packs the opener once per content (cached beside the VS Code server install); returns the .vsix path. */
export function packDemoOpener(): string {
  const root = repoRoot();
  const src = join(root, 'test', 'vscode', 'demo-opener');
  const hash = createHash('sha256');
  for (const f of readdirSync(src).sort()) hash.update(f).update(readFileSync(join(src, f)));
  const out = join(vscodeCache(), `kmemmap-demo-opener-${hash.digest('hex').slice(0, 12)}.vsix`);
  if (existsSync(out)) return out;
  mkdirSync(vscodeCache(), { recursive: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out],
    { cwd: src, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return out;
}
