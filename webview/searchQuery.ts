// Parses what the user types in the search box: a PFN, a physical address, a section or a block.
//   "1234", "0x4d2", "pfn 0x4d2"      → PFN
//   "pa 0x100000000", "@0x1000", "0x100000000" when too large for a PFN → physical address (>> the snapshot's page shift)
//   "section 12", "s12"                → section 12
//   "block 40", "memory40", "b40"      → memory block 40

import { pfnOfPhys } from '../shared/geometry';

export type SearchTarget =
  | { kind: 'pfn'; pfn: number; note?: string }
  | { kind: 'section'; nr: number }
  | { kind: 'block'; id: number }
  | { kind: 'error'; message: string };

function big(s: string): bigint | undefined {
  const t = s.trim().replace(/_/g, '');
  return /^0x[0-9a-f]+$/i.test(t) || /^\d+$/.test(t) ? BigInt(t) : undefined;
}

function num(s: string): number | undefined {
  const b = big(s);
  return b === undefined ? undefined : Number(b);
}

/** `pageShift`: log2 of the snapshot's page size (12, 14 or 16), from Overview.kernel. */
export function parseSearch(q: string, pageShift: number, endPfn: number): SearchTarget {
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
    const n = big(m[1]);
    return n === undefined
      ? { kind: 'error', message: `"${m[1]}" is not an address` }
      : { kind: 'pfn', pfn: pfnOfPhys(n, pageShift), note: `physical address ${m[1]}` };
  }
  if ((m = /^(?:pfn)?\s*:?\s*(\S+)$/.exec(s))) {
    const n = big(m[1]);
    if (n === undefined)
      return {
        kind: 'error',
        message: 'type a PFN (1234 or 0x4d2), "pa 0x…" for a physical address, "section N" or "block N"',
      };
    const pageMask = (1n << BigInt(pageShift)) - 1n;
    if (n >= BigInt(endPfn) && !/^pfn/.test(s) && (n & pageMask) === 0n)
      return {
        kind: 'pfn',
        pfn: pfnOfPhys(n, pageShift),
        note: `${m[1]} is beyond the last PFN, read as a physical address`,
      };
    return { kind: 'pfn', pfn: Number(n) };
  }
  return { kind: 'error', message: 'nothing to search for' };
}

/** What a search can go to in a panel, and how the panel goes there. */
export interface SearchScope<B extends { id: number; startPfn: number; nrPfns: number }> {
  startPfn: number;
  endPfn: number;
  pageShift: number;
  sections: { nr: number; startPfn: number; nrPfns: number }[];
  blocks: B[];
  /** How messages name the panel's snapshots: "this snapshot", "both snapshots". */
  where: string;
  /** ...and a PFN outside all of them, when that reads otherwise ("both snapshots"). */
  outside?: string;
  reveal(pfn: number): void;
  showRange(startPfn: number, nrPfns: number): void;
  openBlock(b: B): void;
  say(msg: string): void;
}

/** Goes to what the query names (a page, a section, a block), or says why it cannot. */
export function runSearch<B extends { id: number; startPfn: number; nrPfns: number }>(
  q: string,
  s: SearchScope<B>,
): void {
  const t = parseSearch(q, s.pageShift, s.endPfn);
  if (t.kind === 'error') s.say(t.message);
  else if (t.kind === 'pfn') {
    if (t.pfn < s.startPfn || t.pfn >= s.endPfn)
      s.say(`PFN ${t.pfn} is outside ${s.outside ?? s.where} (${s.startPfn}–${s.endPfn - 1})`);
    else {
      s.say(t.note ?? '');
      s.reveal(t.pfn);
    }
  } else if (t.kind === 'section') {
    const sec = s.sections.find((x) => x.nr === t.nr);
    if (sec) s.showRange(sec.startPfn, sec.nrPfns);
    else s.say(`no section ${t.nr} in ${s.where}`);
  } else {
    const b = s.blocks.find((x) => x.id === t.id);
    if (b) s.openBlock(b);
    else s.say(`no memory block ${t.id} in ${s.where}`);
  }
}
