// Test setup for tests on the real Debian kernel trees: unpacks them once with scripts/kernel-sources.sh
// into $HOME/.cache/kmemmap-src (or $KMEMMAP_SRC_CACHE). Tests skip when the source packages are missing.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';

export const SRC_CACHE = process.env.KMEMMAP_SRC_CACHE ?? join(homedir(), '.cache/kmemmap-src');

/** Path of the unpacked tree for "6.1" / "6.12", unpacking it on first use; undefined when unavailable. */
export function realTree(v: '6.1' | '6.12'): string | undefined {
  const tree = join(SRC_CACHE, `linux-source-${v}`);
  if (existsSync(join(tree, '.kmemmap-unpacked'))) return tree;
  if (!existsSync(`/usr/src/linux-source-${v}.tar.xz`)) return undefined;
  execFileSync('sh', [resolve(__dirname, '../../../../scripts/kernel-sources.sh')], { stdio: 'ignore' });
  return existsSync(join(tree, '.kmemmap-unpacked')) ? tree : undefined;
}

/** CONFIG_* switches that are y/m in the tree's .config (the Debian amd64 config). */
export function readConfig(tree: string): Set<string> {
  const out = new Set<string>();
  const p = join(tree, '.config');
  if (!existsSync(p)) return out;
  for (const l of readFileSync(p, 'utf8').split('\n')) {
    const m = /^(CONFIG_\w+)=(y|m)$/.exec(l);
    if (m) out.add(m[1]);
  }
  return out;
}

/** Evaluates a #if / #elif expression made of defined(X), IS_ENABLED(X), !, &&, || and parentheses. */
export function evalCondition(expr: string, config: Set<string>): boolean {
  const js = expr
    .replace(/\/\*.*?\*\//g, '')
    .replace(/(?:defined|IS_ENABLED)\s*\(\s*(\w+)\s*\)/g, (_m, x: string) => (config.has(x) ? 'true' : 'false'))
    .replace(/defined\s+(\w+)/g, (_m, x: string) => (config.has(x) ? 'true' : 'false'));
  if (!/^[\s()!&|truefals]*$/.test(js)) throw new Error(`cannot evaluate #if ${expr}`);
  return Function(`return (${js});`)() as boolean;
}

/** Lines of `text` with preprocessor conditionals resolved for `config` (only what enum bodies use). */
export function preprocess(lines: string[], config: Set<string>): string[] {
  const out: string[] = [];
  const stack: { active: boolean; taken: boolean; parent: boolean }[] = [];
  const active = () => (stack.length ? stack[stack.length - 1].active : true);
  for (const line of lines) {
    const d = /^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b\s*(.*)$/.exec(line);
    if (!d) {
      if (active()) out.push(line);
      continue;
    }
    const [, kw, rest] = d;
    if (kw === 'ifdef' || kw === 'ifndef' || kw === 'if') {
      const parent = active();
      const cond = kw === 'ifdef' ? config.has(rest.trim().split(/\s/)[0]) : kw === 'ifndef' ? !config.has(rest.trim().split(/\s/)[0]) : evalCondition(rest, config);
      stack.push({ active: parent && cond, taken: cond, parent });
    } else if (kw === 'elif') {
      const top = stack[stack.length - 1];
      const cond = !top.taken && evalCondition(rest, config);
      top.active = top.parent && cond;
      top.taken ||= cond;
    } else if (kw === 'else') {
      const top = stack[stack.length - 1];
      top.active = top.parent && !top.taken;
      top.taken = true;
    } else stack.pop();
  }
  return out;
}

export interface ParsedEnum {
  /** Base members in order (value = index), without the PG_/prefix stripped. */
  members: string[];
  /** alias → base member */
  aliases: Map<string, string>;
}

/** Parses `enum <name> { … }` from a header with the config's switches (members before __NR_PAGEFLAGS). */
export function parseEnum(file: string, name: string, config: Set<string>): ParsedEnum {
  const text = readFileSync(file, 'utf8').split('\n');
  const start = text.findIndex((l) => l.startsWith(`enum ${name} {`));
  if (start < 0) throw new Error(`enum ${name} not found in ${file}`);
  const end = text.findIndex((l, i) => i > start && /^};/.test(l));
  const body = preprocess(text.slice(start + 1, end), config).join('\n').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const members: string[] = [];
  const aliases = new Map<string, string>();
  let counting = true;
  for (const item of body.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)\s*(?:=\s*(\w+))?$/.exec(item);
    if (!m) continue;
    if (m[1].startsWith('__NR_')) { counting = false; continue; }
    if (m[2]) aliases.set(m[1], m[2]);
    else if (counting) members.push(m[1]);
  }
  return { members, aliases };
}
