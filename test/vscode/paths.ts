// Where the real-VS-Code harness keeps things: the repository, the cached server install, artifacts.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** Repository root: the nearest folder above this bundle holding package.json + scripts/. */
export function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}

/** The cache shared by every run on this machine (override with KMEMMAP_VSCODE_CACHE). */
export function vscodeCache(): string {
  return process.env.KMEMMAP_VSCODE_CACHE ?? join(homedir(), '.cache', 'kmemmap-vscode');
}

export const CHROMIUM = process.env.KMEMMAP_CHROMIUM ?? '/usr/bin/chromium';

/** Extension id as VS Code names it: publisher.name from package.json. */
export const EXTENSION_ID = 'kmemmap.kernel-memmap-explorer';

export function artifactsDir(tier: string): string {
  return join(repoRoot(), 'test-artifacts', tier);
}
