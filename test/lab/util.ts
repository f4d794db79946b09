// Small process/file helpers shared by the lab modules.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const t0 = Date.now();
/** Progress line on stderr with elapsed seconds since the lab started. */
export function log(msg: string): void {
  process.stderr.write(`[lab +${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program synchronously; throws with its stderr when it fails (unless allowFail). */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { allowFail?: boolean } = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  const res: RunResult = { code: r.status ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (r.error && !opts.allowFail) throw new Error(`${cmd}: ${r.error.message}`);
  if (res.code !== 0 && !opts.allowFail)
    throw new Error(`${cmd} ${args.join(' ')} exited ${res.code}: ${res.stderr.trim().slice(-2000)}`);
  return res;
}

/** Runs a /bin/sh command line (for pipelines); throws on failure. */
export const sh = (script: string, opts: SpawnSyncOptions & { allowFail?: boolean } = {}): RunResult =>
  run('/bin/sh', ['-c', script], opts);

/** Single-quotes a string for /bin/sh. */
export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** True when a program is on PATH (or in /sbin, /usr/sbin). */
export function haveTool(name: string): boolean {
  return (
    run('/bin/sh', ['-c', `command -v ${name} || test -x /sbin/${name} || test -x /usr/sbin/${name}`], {
      allowFail: true,
    }).code === 0
  );
}

/** The repository root: nearest ancestor of this bundle (or source file) holding package.json. */
export function repoRoot(): string {
  let d = __dirname;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'test', 'lab'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

export const readText = (p: string): string => readFileSync(p, 'utf8');
