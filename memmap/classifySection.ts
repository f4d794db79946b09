// Classifies the struct pages of one memory section (already read into a buffer) into class bytes,
// with the rule table of classifyPage.ts. Fast path: long runs of struct pages in the same state (free
// buddy blocks, balloon/virtio-mem offline ranges, reserved boot memory) repeat the words the rules
// read; when a page repeats the previous page's inputs, it gets the previous page's rule without
// running the table again. The memo key is everything the rules look at for a page that is neither
// a compound head nor a tail: flags (both halves), page_type/_mapcount, _refcount, the mapping tag,
// and the PFN-dependent facts (inside a free buddy block, subsection populated, inside a virtio-mem
// range). Pages whose rules read more (tails → head, heads → page[1], balloon mapping pointers,
// PG_owner_priv_1 → vmemmap backing) always run the full table. test/unit/dump/fastPath.test.ts checks
// the result equals the plain per-page path on every lab dump.
import { classifyStructPage, ClassifyContext, inRanges, Neighbours, R, SectionFacts, VMCORE_RULE_CLASS, zoneOf } from './classifyPage';
import { CLASS_ID } from './classes';
import { SP_EXCLUDED, SP_UNMAPPED } from './vmcoreMemmap';

export interface SectionOutput {
  classes: Uint8Array;
  /** Bit set of zones seen in this section (OR-ed into). */
  zoneMask: Uint8Array;
  /** Called for compound head/tail pages with their struct page offset in buf. */
  onCompound(pfn: number, off: number): void;
}

const NO_MEMMAP = CLASS_ID['no-memmap'], SECTION_OFFLINE = CLASS_ID['section-offline'], UNKNOWN = CLASS_ID.unknown;
const COMPOUND_HEAD = CLASS_ID['compound-head'], COMPOUND_TAIL = CLASS_ID['compound-tail'];

function subsectionBit(pfn: number, sec: SectionFacts): number {
  if (sec.subsectionMap === undefined) return 1;
  const idx = (pfn >>> 9) & 63;
  const h = sec.subsectionHalves;
  if (h) return (h[idx >>> 5] >>> (idx & 31)) & 1;
  return Number((sec.subsectionMap >> BigInt(idx)) & 1n);
}

/**
 * Classifies PFNs [start, start + count) of section nr from buf (struct pages) and status (per slot).
 * memo=false runs the full rule table for every page (the reference behaviour).
 */
export function classifySection(nr: number, start: number, count: number, buf: Buffer, status: Uint8Array, buddyCover: Uint8Array,
  facts: SectionFacts, ctx: ClassifyContext, nb: Neighbours, out: SectionOutput, memo: boolean): void {
  const ss = ctx.structSize, o = ctx.off;
  const canMemo = memo && ss % 4 === 0 && buf.byteOffset % 4 === 0 &&
    [o.flags, o.compoundHead, o.mapping, o.mapcount, o.refcount].every((x) => x % 4 === 0);
  const w = canMemo ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : undefined;
  const stride = ss >>> 2, fLo = o.flags >>> 2, fHi = fLo + 1, cH = o.compoundHead >>> 2, mp = o.mapping >>> 2, mc = o.mapcount >>> 2, rc = o.refcount >>> 2;
  const noMemoMask = (1 << ctx.bit.head) | (1 << ctx.bit.ownerPriv1);
  const classes = out.classes;
  // previous page's memo key and rule (valid = false until a page sets it)
  let valid = false, pLo = 0, pHi = 0, pMc = 0, pRc = 0, pTag = 0, pPfnBits = 0, pRule = 0;
  for (let i = 0; i < count; i++) {
    const pfn = start + i;
    const st = status[i];
    if (st === SP_UNMAPPED) { classes[pfn] = VMCORE_RULE_CLASS[R['memmap-unmapped']]; continue; }
    if (st === SP_EXCLUDED) { classes[pfn] = VMCORE_RULE_CLASS[R['memmap-excluded']]; continue; }
    const off = i * ss;
    if (w) {
      const b = i * stride;
      const lo = w[b + fLo], tag = w[b + mp] & 3;
      // memo only for pages whose rules read nothing beyond the key
      if ((w[b + cH] & 1) === 0 && (lo & noMemoMask) === 0 && tag !== 2) {
        const hi = w[b + fHi], m = w[b + mc], r = w[b + rc];
        const pfnBits = buddyCover[i] | (subsectionBit(pfn, facts) << 1) | ((inRanges(ctx.virtioMem, pfn) ? 1 : 0) << 2);
        if (valid && lo === pLo && hi === pHi && m === pMc && r === pRc && tag === pTag && pfnBits === pPfnBits) {
          classes[pfn] = VMCORE_RULE_CLASS[pRule];
          continue;
        }
        const rule = classifyStructPage(pfn, buf, off, facts, ctx, nb);
        const c = VMCORE_RULE_CLASS[rule];
        if (c !== NO_MEMMAP && c !== SECTION_OFFLINE && c !== UNKNOWN) out.zoneMask[nr] |= 1 << zoneOf(buf, off, ctx);
        if (c === COMPOUND_HEAD || c === COMPOUND_TAIL) { out.onCompound(pfn, off); valid = false; } else {
          valid = true; pLo = lo; pHi = hi; pMc = m; pRc = r; pTag = tag; pPfnBits = pfnBits; pRule = rule;
        }
        classes[pfn] = c;
        continue;
      }
    }
    const rule = classifyStructPage(pfn, buf, off, facts, ctx, nb);
    const c = VMCORE_RULE_CLASS[rule];
    if (c !== NO_MEMMAP && c !== SECTION_OFFLINE && c !== UNKNOWN) out.zoneMask[nr] |= 1 << zoneOf(buf, off, ctx);
    if (c === COMPOUND_HEAD || c === COMPOUND_TAIL) out.onCompound(pfn, off);
    classes[pfn] = c;
  }
}
