// Background indexer of definitions in a Linux tree, using ripgrep (one pass over *.c/*.h).
// Pure Node (no vscode): used by the extension, the CLI, tests and the benchmark.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { INDEX_RULES } from './patterns';
import { treeVersion } from './detectTree';
import { ALL_ENTRIES } from '../knowledge/index';

export interface Definition {
  symbol: string;
  /** Path relative to the tree root, forward slashes. */
  file: string;
  /** 1-based line. */
  line: number;
  text: string;
}

export interface SourceIndexData {
  root: string;
  version?: string;
  builtAt: number;
  millis: number;
  defs: Record<string, Definition[]>;
}

/** Files the knowledge base names for a symbol: hits there win over stubs and arch copies. */
const PREFERRED = new Map<string, Set<string>>();
for (const e of ALL_ENTRIES)
  for (const r of e.source) {
    const key = r.symbol.replace(/^(struct|enum)\s+(?=\w)/, (m) => m);
    if (!PREFERRED.has(key)) PREFERRED.set(key, new Set());
    PREFERRED.get(key)!.add(r.file);
  }

function rank(d: Definition): number {
  if (PREFERRED.get(d.symbol)?.has(d.file)) return 0;
  if (d.file === 'include/linux/page-flags.h' || d.file.startsWith('include/uapi/linux/kernel-page-flags.h')) return 1;
  if (d.file.startsWith('include/linux/') || d.file.startsWith('mm/')) return 2;
  if (d.file.startsWith('arch/') && !d.file.startsWith('arch/x86/')) return 5;
  return 3;
}

export function rgPath(): string | undefined {
  for (const p of [process.env.KMEMMAP_RG, '/usr/bin/rg', '/usr/local/bin/rg'].filter(Boolean) as string[])
    if (existsSync(p)) return p;
  return undefined;
}

/** Parses `rg --null --line-number` output into definitions (exported for tests). */
export function parseRgOutput(out: string, root: string): Definition[] {
  const compiled = INDEX_RULES.map((r) => ({ re: new RegExp(r.rg), extract: r.extract }));
  const defs: Definition[] = [];
  for (const rec of out.split('\n')) {
    const nul = rec.indexOf('\0');
    if (nul < 0) continue;
    const path = rec.slice(0, nul);
    const rest = rec.slice(nul + 1);
    const colon = rest.indexOf(':');
    const line = Number(rest.slice(0, colon));
    const text = rest.slice(colon + 1);
    const file = (path.startsWith('/') ? relative(root, path) : path.replace(/^\.\//, '')).split('\\').join('/');
    for (const r of compiled) {
      if (!r.re.test(text)) continue;
      for (const symbol of r.extract(text)) defs.push({ symbol, file, line, text: text.trim().slice(0, 200) });
      break;
    }
  }
  return defs;
}

/** Groups and ranks definitions per symbol (best first). */
export function groupDefinitions(defs: Definition[]): Record<string, Definition[]> {
  const out: Record<string, Definition[]> = {};
  const seen = new Set<string>();
  for (const d of defs) {
    const key = `${d.symbol}\0${d.file}\0${d.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    (out[d.symbol] ??= []).push(d);
  }
  for (const list of Object.values(out))
    list.sort((a, b) => rank(a) - rank(b) || a.file.localeCompare(b.file) || a.line - b.line);
  return out;
}

/** Runs ripgrep over the tree (skipping tools/, Documentation/, scripts/, samples/) and builds the index. */
/**
 * Directories holding every function the knowledge base points to; `scope: 'definitions'` searches
 * only these (about a third of the time), the default `'full'` searches the whole tree.
 */
export const INDEXED_DIRS = [
  'include',
  'mm',
  'fs/proc',
  'kernel',
  'arch/x86',
  'drivers/base',
  'drivers/virtio',
  'drivers/xen',
  'drivers/hv',
  'drivers/misc',
  'arch/powerpc/platforms/powernv',
];

export async function buildSourceIndex(
  root: string,
  opts: { signal?: AbortSignal; threads?: number; scope?: 'definitions' | 'full' } = {},
): Promise<SourceIndexData> {
  const rg = rgPath();
  if (!rg) throw new Error('ripgrep (rg) not found: apt-get install ripgrep, or set KMEMMAP_RG');
  const t0 = Date.now();
  const common = [
    '--no-config',
    '--no-heading',
    '--null',
    '--line-number',
    '--color',
    'never',
    '--no-ignore',
    '-t',
    'c',
    '-g',
    '!tools/**',
    '-g',
    '!Documentation/**',
    '-g',
    '!scripts/**',
    '-g',
    '!samples/**',
    '-g',
    '!.git/**',
  ];
  if (opts.threads) common.push('--threads', String(opts.threads));
  const where = opts.scope === 'definitions' ? INDEXED_DIRS.filter((d) => existsSync(`${root}/${d}`)) : ['.'];
  // Two passes in parallel: the enum/#define/macro rules only over include/ (where those definitions
  // live), and the function names as fixed strings over the whole scope (regex alternations of
  // anchored patterns defeat ripgrep's literal prefilter; fixed strings do not).
  const headerArgs = [
    ...common,
    ...INDEX_RULES.filter((r) => !r.fixed).flatMap((r) => ['-e', r.rg]),
    ...['include', 'arch/x86/include'].filter((d) => existsSync(`${root}/${d}`)),
  ];
  const functionArgs = [
    ...common,
    '-F',
    ...INDEX_RULES.flatMap((r) => r.fixed ?? []).flatMap((f) => ['-e', f]),
    ...where,
  ];
  const outs = await Promise.all([
    runRg(rg, headerArgs, root, opts.signal),
    runRg(rg, functionArgs, root, opts.signal),
  ]);
  const out = outs.join('\n');
  const defs = groupDefinitions(parseRgOutput(out, root));
  return { root, version: treeVersion(root), builtAt: Date.now(), millis: Date.now() - t0, defs };
}

function runRg(rg: string, args: string[], cwd: string, signal?: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const p = spawn(rg, args, { cwd, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    // rg exits 1 when nothing matched; 2 on errors (unreadable files are reported but not fatal).
    p.on('close', (code) =>
      code === 0 || code === 1 || (code === 2 && chunks.length)
        ? resolve(Buffer.concat(chunks).toString('utf8'))
        : reject(new Error(`rg failed (${code}): ${err.slice(0, 500)}`)),
    );
  });
}

/** Best definition of a symbol, or undefined. */
export function findDefinition(index: SourceIndexData, symbol: string): Definition | undefined {
  return index.defs[symbol]?.[0];
}
