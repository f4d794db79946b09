// Makes sure the VS Code server is installed (scripts/vscode-server-install.sh, cached) and says where.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths';

/** Runs the idempotent install script and returns the absolute path of server-main.js. */
export function ensureServerInstalled(): string {
  const script = join(repoRoot(), 'scripts', 'vscode-server-install.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = out.trim().split('\n');
  return lines[lines.length - 1]!;
}
