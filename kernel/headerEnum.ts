// Reads a C enum (`enum pageflags`, `enum pagetype`) out of a kernel header's text, with the tree's
// CONFIG_* switches resolving #if/#ifdef blocks. The tests check our bit tables against the real
// Debian trees with it (test/unit/kernel/realTrees.ts), and patch review derives the layout of a
// patched header with the very same code (review/layoutDelta.ts). Pure: text in, records out.

/** CONFIG_* switches that are y or m in a .config text. */
export function parseConfigText(text: string): Set<string> {
  const out = new Set<string>();
  for (const l of text.split('\n')) {
    const m = /^(CONFIG_\w+)=(y|m)$/.exec(l);
    if (m) out.add(m[1]);
  }
  return out;
}

/**
 * Evaluates a #if / #elif expression made of defined(X), IS_ENABLED(X), !, &&, || and parentheses;
 * throws on anything else (a header the parser cannot follow is an error, not a guess).
 */
export function evalCondition(expr: string, config: Set<string>): boolean {
  const src = expr.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '');
  const tokens: string[] = [];
  const re = /\s*(?:(defined|IS_ENABLED)\s*\(\s*(\w+)\s*\)|defined\s+(\w+)|(&&|\|\||!|\(|\)))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new Error(`cannot evaluate #if ${expr}`);
    const name = m[2] ?? m[3];
    tokens.push(name !== undefined ? (config.has(name) ? 'T' : 'F') : m[4]);
    i = re.lastIndex;
  }
  let p = 0;
  const fail = (): never => {
    throw new Error(`cannot evaluate #if ${expr}`);
  };
  const primary = (): boolean => {
    const t = tokens[p++];
    if (t === 'T') return true;
    if (t === 'F') return false;
    if (t === '!') return !primary();
    if (t === '(') {
      const v = or();
      if (tokens[p++] !== ')') fail();
      return v;
    }
    return fail();
  };
  const and = (): boolean => {
    let v = primary();
    while (tokens[p] === '&&') {
      p++;
      const r = primary();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (tokens[p] === '||') {
      p++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const v = or();
  if (p !== tokens.length) fail();
  return v;
}

/** Lines with preprocessor conditionals resolved for `config` (only what enum bodies use). */
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
      const cond =
        kw === 'ifdef'
          ? config.has(rest.trim().split(/\s/)[0])
          : kw === 'ifndef'
            ? !config.has(rest.trim().split(/\s/)[0])
            : evalCondition(rest, config);
      stack.push({ active: parent && cond, taken: cond, parent });
    } else if (kw === 'elif') {
      const top = stack[stack.length - 1];
      if (!top) throw new Error('#elif without #if');
      const cond = !top.taken && evalCondition(rest, config);
      top.active = top.parent && cond;
      top.taken ||= cond;
    } else if (kw === 'else') {
      const top = stack[stack.length - 1];
      if (!top) throw new Error('#else without #if');
      top.active = top.parent && !top.taken;
      top.taken = true;
    } else stack.pop();
  }
  return out;
}

export interface ParsedEnum {
  /** Base members in order (value = index), with their prefix (PG_…). */
  members: string[];
  /** alias → base member */
  aliases: Map<string, string>;
  /** Members with an explicit numeric value (`PGTY_buddy = 0xf0`), name → value. */
  values: Map<string, number>;
  /** 1-based line of `enum <name> {` in the text. */
  line: number;
}

/** 0-based line range [start, end] of `enum <name> { … };` in lines, or undefined. */
export function enumLines(lines: string[], name: string): [number, number] | undefined {
  const start = lines.findIndex((l) => l.startsWith(`enum ${name} {`));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^};/.test(l));
  return end < 0 ? undefined : [start, end];
}

/** Parses `enum <name> { … }` from a header's text with the config's switches (members before __NR_*). */
export function parseEnumText(text: string, name: string, config: Set<string>, file = 'header'): ParsedEnum {
  const lines = text.split('\n');
  const range = enumLines(lines, name);
  if (!range) throw new Error(`enum ${name} not found in ${file}`);
  const [start, end] = range;
  const body = preprocess(lines.slice(start + 1, end), config)
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  const members: string[] = [];
  const aliases = new Map<string, string>();
  const values = new Map<string, number>();
  let counting = true;
  for (const item of body
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\w+)\s*(?:=\s*(\w+))?$/.exec(item);
    if (!m) continue;
    if (m[1].startsWith('__NR_')) {
      counting = false;
      continue;
    }
    if (m[2] && /^(?:0x[0-9a-fA-F]+|\d+)$/.test(m[2])) values.set(m[1], Number(m[2]));
    else if (m[2]) aliases.set(m[1], m[2]);
    else if (counting) members.push(m[1]);
  }
  return { members, aliases, values, line: start + 1 };
}
