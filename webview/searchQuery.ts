// Parses what the user types in the search box: a PFN, a physical address, a section or a block.
//   "1234", "0x4d2", "pfn 0x4d2"      → PFN
//   "pa 0x100000000", "@0x1000", "0x100000000" when too large for a PFN → physical address
//   "section 12", "s12"                → section 12
//   "block 40", "memory40", "b40"      → memory block 40

export type SearchTarget =
  | { kind: 'pfn'; pfn: number; note?: string }
  | { kind: 'section'; nr: number }
  | { kind: 'block'; id: number }
  | { kind: 'error'; message: string };

function num(s: string): number | undefined {
  const t = s.trim().replace(/_/g, '');
  if (/^0x[0-9a-f]+$/i.test(t)) return Number(BigInt(t));
  if (/^\d+$/.test(t)) return Number(t);
  return undefined;
}

export function parseSearch(q: string, pageSize: number, endPfn: number): SearchTarget {
  const s = q.trim().toLowerCase();
  let m: RegExpExecArray | null;
  if ((m = /^(?:section|sec|s)\s*#?\s*(\S+)$/.exec(s))) {
    const n = num(m[1]);
    return n === undefined
      ? { kind: 'error', message: `"${m[1]}" is not a section number` }
      : { kind: 'section', nr: n };
  }
  if ((m = /^(?:block|memory|mem|b)\s*#?\s*(\S+)$/.exec(s))) {
    const n = num(m[1]);
    return n === undefined ? { kind: 'error', message: `"${m[1]}" is not a block number` } : { kind: 'block', id: n };
  }
  if ((m = /^(?:pa|phys|physical|addr|@)\s*:?\s*(\S+)$/.exec(s))) {
    const n = num(m[1]);
    return n === undefined
      ? { kind: 'error', message: `"${m[1]}" is not an address` }
      : { kind: 'pfn', pfn: Math.floor(n / pageSize), note: `physical address ${m[1]}` };
  }
  if ((m = /^(?:pfn)?\s*:?\s*(\S+)$/.exec(s))) {
    const n = num(m[1]);
    if (n === undefined)
      return {
        kind: 'error',
        message: 'type a PFN (1234 or 0x4d2), "pa 0x…" for a physical address, "section N" or "block N"',
      };
    if (n >= endPfn && !/^pfn/.test(s) && n % pageSize === 0)
      return {
        kind: 'pfn',
        pfn: Math.floor(n / pageSize),
        note: `${m[1]} is beyond the last PFN, read as a physical address`,
      };
    return { kind: 'pfn', pfn: n };
  }
  return { kind: 'error', message: 'nothing to search for' };
}
