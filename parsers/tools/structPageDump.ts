// `struct page` dumps: crash's gdb-style print (`struct page <addr>`) and the drgn REPL's print of a
// struct page (tab-indented `.member = (type)value,`). Both print every union alternative; the first
// occurrence of each member we need is the one at its real offset.

export interface StructPageValues {
  /** Address of the struct page, when the dump or its command says it. */
  address?: bigint;
  flags?: bigint;
  compoundHead?: bigint;
  mapping?: bigint;
  private?: bigint;
  mapcount?: number;
  pageType?: number;
  refcount?: number;
  /** Symbol names printed next to pointer values, e.g. balloon_mops → its address. */
  symbols: Map<string, bigint>;
}

const num = (s: string): bigint | undefined => {
  const t = s.trim();
  if (/^-?\d+$/.test(t)) return BigInt(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  return undefined;
};

/** Splits the text of one or more dumps into single struct page prints and reads each. */
export function parseStructPageDumps(lines: string[], commandAddress?: bigint): StructPageValues[] {
  const out: StructPageValues[] = [];
  let cur: StructPageValues | undefined;
  const stack: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    const start = /^(?:\*\(struct page \*\)(0x[0-9a-f]+) = \{|\(struct page\)\{|struct page \{)$/.exec(line);
    if (start) {
      cur = {
        symbols: new Map(),
        address: start[1] ? BigInt(start[1]) : out.length === 0 ? commandAddress : undefined,
      };
      out.push(cur);
      stack.length = 0;
      continue;
    }
    if (!cur) continue;
    // name = value   (gdb)   |   .name = (type)value   (drgn)
    const m = /^\.?(\w+) = (?:\([^)]*\))?(.*?),?$/.exec(line);
    if (m) {
      const [, name, rest] = m;
      if (rest.endsWith('{')) {
        stack.push(name);
        continue;
      }
      let v = rest;
      // drgn: "balloon_mops+0x2 = 0xffffffff8783f3c2"; gdb: "0xffffffff8783f3c2 <balloon_mops+2>"
      const dsym = /^(\w+)(?:\+(0x[0-9a-f]+))? = (0x[0-9a-f]+)/i.exec(v);
      const gsym = /^(0x[0-9a-f]+) <(\w+)(?:\+(\d+))?>/i.exec(v);
      if (dsym) {
        v = dsym[3];
        cur.symbols.set(dsym[1], BigInt(dsym[3]) - BigInt(dsym[2] ?? 0));
      } else if (gsym) {
        v = gsym[1];
        cur.symbols.set(gsym[2], BigInt(gsym[1]) - BigInt(gsym[3] ?? 0));
      }
      const val = num(v);
      if (val === undefined) continue;
      const owner = stack[stack.length - 1];
      if (name === 'counter' && owner === '_mapcount' && cur.mapcount === undefined)
        cur.mapcount = Number(BigInt.asIntN(32, val));
      else if (name === 'counter' && owner === '_refcount' && cur.refcount === undefined)
        cur.refcount = Number(BigInt.asIntN(32, val));
      else if (name === 'flags' && cur.flags === undefined && !owner) cur.flags = BigInt.asUintN(64, val);
      else if (name === 'f' && owner === 'flags' && cur.flags === undefined) cur.flags = BigInt.asUintN(64, val);
      else if (name === 'compound_head' && cur.compoundHead === undefined) cur.compoundHead = BigInt.asUintN(64, val);
      else if (name === 'mapping' && cur.mapping === undefined) cur.mapping = BigInt.asUintN(64, val);
      else if (name === 'private' && cur.private === undefined) cur.private = BigInt.asUintN(64, val);
      else if (name === 'page_type' && cur.pageType === undefined) cur.pageType = Number(BigInt.asUintN(32, val));
      continue;
    }
    const open = /^\.?(\w+)? ?= ?(?:\([^)]*\))?\{$|^\{$/.exec(line);
    if (open) {
      stack.push(open[1] ?? '');
      continue;
    }
    if (/^\},?$/.test(line)) {
      stack.pop();
      if (stack.length === 0 && line === '}') {
        /* end of dump */
      }
    }
  }
  return out;
}
