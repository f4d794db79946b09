// Classifies the struct pages of one memory section (already read into a buffer) into class bytes,
// with the rule table of classifyPage.ts. Fast path: long runs of struct pages in the same state (free
// buddy blocks, balloon/virtio-mem offline ranges, reserved boot memory) repeat the words the rules
// read; when a page repeats the previous page's inputs, it gets the previous page's rule without
// running the table again. The memo key is everything the rules look at for a page that is neither
// a compound head nor a tail: flags (both halves), page_type/_mapcount, _refcount, the mapping tag (the
// whole mapping word when the tag is "movable": balloon pages are checked against balloon_mops),
// and the PFN-dependent facts (inside a free buddy block, subsection populated, inside a virtio-mem
// range). Pages whose rules read more (tails → head, heads → page[1], PG_owner_priv_1 → vmemmap backing) always run the full table, except tails: a tail with the same
// flags and compound_head word as the previous tail (same head, so the head's classification is the
// same) repeats its rule. PFN-dependent facts are precomputed per section (whole section inside or
// outside the virtio-mem ranges, fully populated subsection map) and only checked per page otherwise. test/unit/memmap/classifySectionFastPath.test.ts checks
// the result equals the plain per-page path on every lab dump.
import {
  classifyStructPage,
  ClassifyContext,
  Neighbours,
  R,
  SectionFacts,
  VMCORE_RULE_CLASS,
  zoneOf,
} from './classifyPage';
import { inRanges, type PfnRange } from '../kernel/pfnRange';
import { CLASS_ID } from '../kernel/pageClasses';
import { SP_EXCLUDED, SP_OK, SP_UNMAPPED } from './vmcoreMemmap';
import { nextSubsectionPfn, subsectionPopulated, subsectionsAllPopulated } from './subsectionMap';

export interface SectionOutput {
  classes: Uint8Array;
  /** Bit set of zones seen in this section (OR-ed into). */
  zoneMask: Uint8Array;
  /** Called for compound head/tail pages with their struct page offset in buf. */
  onCompound(pfn: number, off: number): void;
  /** Called instead of onCompound for a tail whose compound_head equals the previous tail's (same head). */
  repeatCompound?(pfn: number): void;
}

const NO_MEMMAP = CLASS_ID['no-memmap'],
  SECTION_OFFLINE = CLASS_ID['section-offline'],
  UNKNOWN = CLASS_ID.unknown;
const COMPOUND_HEAD = CLASS_ID['compound-head'],
  COMPOUND_TAIL = CLASS_ID['compound-tail'];

const subsectionBit = (pfn: number, sec: SectionFacts): number => (subsectionPopulated(pfn, sec) ? 1 : 0);

/**
 * Classifies PFNs [start, start + count) of section nr from buf (struct pages) and status (per slot).
 * memo=false runs the full rule table for every page (the reference behaviour).
 */
export function classifySection(
  nr: number,
  start: number,
  count: number,
  buf: Buffer,
  status: Uint8Array,
  buddyCover: Uint8Array,
  facts: SectionFacts,
  ctx: ClassifyContext,
  nb: Neighbours,
  out: SectionOutput,
  memo: boolean,
): void {
  const ss = ctx.structSize,
    o = ctx.off;
  const canMemo =
    memo &&
    ss % 4 === 0 &&
    buf.byteOffset % 4 === 0 &&
    [o.flags, o.compoundHead, o.mapping, o.mapcount, o.refcount].every((x) => x % 4 === 0);
  const w = canMemo ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : undefined;
  const stride = ss >>> 2,
    fLo = o.flags >>> 2,
    fHi = fLo + 1,
    cH = o.compoundHead >>> 2,
    mp = o.mapping >>> 2,
    mc = o.mapcount >>> 2,
    rc = o.refcount >>> 2;
  const noMemoMask = (1 << ctx.bit.head) | (1 << ctx.bit.ownerPriv1);
  const classes = out.classes;
  // Per-section facts: virtio-mem ranges (0 none overlap, 1 cover the section, -1 per page), subsection map.
  const end = start + count;
  let virtio = 0;
  for (const [a, b] of ctx.virtioMem ?? []) {
    if (a <= start && end <= b) {
      virtio = 1;
      break;
    }
    if (a < end && b > start) virtio = -1;
  }
  // System RAM (iomem): 1 the section is all RAM (or RAM is unknown), 0 none of it, -1 per page. Holes keep
  // struct pages whose zone need not be the block's (firmware-reserved pages at the end of DMA32 carry
  // Normal), so only RAM pages say which zones a block spans.
  let ram = 1;
  if (ctx.systemRam) {
    ram = 0;
    for (const [a, b] of ctx.systemRam) {
      if (a <= start && end <= b) {
        ram = 1;
        break;
      }
      if (a < end && b > start) ram = -1;
    }
  }
  const ramAt = (pfn: number) => ram === 1 || (ram === -1 && inRanges(ctx.systemRam, pfn));
  const subAll = subsectionsAllPopulated(facts) ? 1 : 0;
  const maxTailDist = 1 << 18;
  // previous page's memo key and rule (valid = false until a page sets it)
  let valid = false,
    pLo = 0,
    pHi = 0,
    pMc = 0,
    pRc = 0,
    pTag = 0,
    pMapHi = 0,
    pPfnBits = 0,
    pRule = 0;
  // previous tail's key: flags, compound_head word, subsection bit; its head pfn (from the word) and rule
  let tValid = false,
    tLo = 0,
    tHi = 0,
    tC0 = 0,
    tC1 = 0,
    tSub = 0,
    tHead = 0,
    tClass = 0;
  const repeat = out.repeatCompound;
  const virtioRanges = ctx.virtioMem ?? [];
  // Segment: PFNs [i, segEnd) share the subsection, virtio-mem and System RAM bits segBits (bits 1, 2, 3 of pfnBits).
  let segEnd = 0,
    segBits = 0;
  let i = 0;
  while (i < count) {
    if (w) {
      if (i >= segEnd) {
        const pfn = start + i;
        segEnd = count;
        if (subAll !== 1) segEnd = Math.min(segEnd, nextSubsectionPfn(pfn, facts) - start);
        if (virtio === -1) segEnd = Math.min(segEnd, nextEdge(virtioRanges, pfn) - start);
        if (ram === -1) segEnd = Math.min(segEnd, nextEdge(ctx.systemRam!, pfn) - start);
        segBits =
          ((subAll === 1 ? 1 : subsectionBit(pfn, facts)) << 1) |
          ((virtio === 1 || (virtio === -1 && inRanges(virtioRanges, pfn)) ? 1 : 0) << 2) |
          ((ramAt(pfn) ? 1 : 0) << 3);
      }
      // Long runs of repeats go through small loops that the JIT compiles in a few ms (the per-page
      // body below inlines the whole rule table and takes ~70 ms to optimise).
      if (valid && (pPfnBits & 14) === segBits) {
        const j = repeatRun(
          w,
          stride,
          fLo,
          fHi,
          mc,
          rc,
          mp,
          cH,
          status,
          buddyCover,
          classes,
          start,
          i,
          segEnd,
          pLo,
          pHi,
          pMc,
          pRc,
          pTag,
          pMapHi,
          pPfnBits & 1,
          VMCORE_RULE_CLASS[pRule],
        );
        if (j > i) {
          i = j;
          continue;
        }
      }
      if (tValid && tSub === (segBits & 10) && repeat) {
        const j = tailRun(
          w,
          stride,
          fLo,
          fHi,
          cH,
          status,
          classes,
          start,
          i,
          Math.min(segEnd, tHead + maxTailDist + 1 - start),
          tLo,
          tHi,
          tC0,
          tC1,
          tClass,
          tClass === COMPOUND_TAIL || tClass === COMPOUND_HEAD ? repeat : undefined,
        );
        if (j > i) {
          i = j;
          continue;
        }
      }
    }
    const pfn = start + i;
    const st = status[i];
    if (st === SP_UNMAPPED) {
      classes[pfn] = VMCORE_RULE_CLASS[R['memmap-unmapped']];
      i++;
      continue;
    }
    if (st === SP_EXCLUDED) {
      classes[pfn] = VMCORE_RULE_CLASS[R['memmap-excluded']];
      i++;
      continue;
    }
    const off = i * ss;
    // The rule table for this page (repeats of the previous page or tail were taken by the runs above).
    const rule = classifyStructPage(pfn, buf, off, facts, ctx, nb);
    const c = VMCORE_RULE_CLASS[rule];
    classes[pfn] = c;
    if (c !== NO_MEMMAP && c !== SECTION_OFFLINE && c !== UNKNOWN && (w ? (segBits & 8) !== 0 : ramAt(pfn)))
      out.zoneMask[nr] |= 1 << zoneOf(buf, off, ctx);
    const compound = c === COMPOUND_HEAD || c === COMPOUND_TAIL;
    if (compound) out.onCompound(pfn, off);
    if (w) {
      // Remember this page's key for the runs that follow.
      const b = i * stride;
      const lo = w[b + fLo],
        c0 = w[b + cH];
      if (c0 & 1) {
        // memo only tails whose head was found below them (the rule then depends on the head alone)
        const c1 = w[b + cH + 1];
        const head =
          rule === R['tail-bad-head'] ||
          rule === R['section-offline'] ||
          rule === R['zone-device'] ||
          rule === R['subsection-hole'] ||
          rule === R.poisoned
            ? undefined
            : nb.headPfn(BigInt.asUintN(64, (BigInt(c1 >>> 0) << 32n) | BigInt(c0 >>> 0)), pfn);
        if (head !== undefined && head < pfn) {
          tValid = true;
          tLo = lo;
          tHi = w[b + fHi];
          tC0 = c0;
          tC1 = c1;
          tSub = segBits & 10;
          tHead = head;
          tClass = c;
        } else tValid = false;
      } else if ((lo & noMemoMask) === 0) {
        // memo only pages whose rules read nothing beyond the key; a movable mapping tag (balloon pages:
        // the rules compare the pointer with balloon_mops) puts the whole mapping word in the key
        if (compound) {
          valid = false;
          tValid = false;
        } else {
          const tag = w[b + mp] & 3;
          valid = true;
          pLo = lo;
          pHi = w[b + fHi];
          pMc = w[b + mc];
          pRc = w[b + rc];
          pTag = tag === 2 ? w[b + mp] : tag;
          pMapHi = tag === 2 ? w[b + mp + 1] : 0;
          pPfnBits = buddyCover[i] | segBits;
          pRule = rule;
        }
      } else if (compound) tValid = false;
    } else if (compound) tValid = false;
    i++;
  }
}

/** The first range edge above pfn (a start above it, or the end of the range holding it), or Infinity. */
function nextEdge(ranges: readonly PfnRange[], pfn: number): number {
  let e = Infinity;
  for (const [a, b] of ranges) {
    if (a > pfn) e = Math.min(e, a);
    else if (b > pfn) e = Math.min(e, b);
  }
  return e;
}

/**
 * From index i, while struct pages repeat the memo key of a non-compound page (flags, mapcount,
 * refcount, mapping tag — the whole mapping word when the tag is "movable" — and buddy cover) and are
 * not tails, writes cls; returns the first index that does not repeat. The caller guarantees
 * [i, end) share the key's subsection and virtio-mem bits.
 */
function repeatRun(
  w: Int32Array,
  stride: number,
  fLo: number,
  fHi: number,
  mc: number,
  rc: number,
  mp: number,
  cH: number,
  status: Uint8Array,
  buddyCover: Uint8Array,
  classes: Uint8Array,
  start: number,
  i: number,
  end: number,
  kLo: number,
  kHi: number,
  kMc: number,
  kRc: number,
  kMapLo: number,
  kMapHi: number,
  kBuddy: number,
  cls: number,
): number {
  const movable = (kMapLo & 3) === 2;
  for (; i < end; i++) {
    if (status[i] !== SP_OK) return i;
    const b = i * stride;
    if (
      w[b + fLo] !== kLo ||
      (w[b + cH] & 1) !== 0 ||
      w[b + fHi] !== kHi ||
      w[b + mc] !== kMc ||
      w[b + rc] !== kRc ||
      buddyCover[i] !== kBuddy
    )
      return i;
    if (movable ? w[b + mp] !== kMapLo || w[b + mp + 1] !== kMapHi : (w[b + mp] & 3) !== kMapLo) return i;
    classes[start + i] = cls;
  }
  return i;
}

/** From index i, while tails repeat the previous tail's flags and compound_head (same head), writes cls; returns the first other index. */
function tailRun(
  w: Int32Array,
  stride: number,
  fLo: number,
  fHi: number,
  cH: number,
  status: Uint8Array,
  classes: Uint8Array,
  start: number,
  i: number,
  end: number,
  kLo: number,
  kHi: number,
  kC0: number,
  kC1: number,
  cls: number,
  onRepeat: ((pfn: number) => void) | undefined,
): number {
  for (; i < end; i++) {
    if (status[i] !== SP_OK) return i;
    const b = i * stride;
    if (w[b + cH] !== kC0 || w[b + cH + 1] !== kC1 || w[b + fLo] !== kLo || w[b + fHi] !== kHi) return i;
    classes[start + i] = cls;
    if (onRepeat) onRepeat(start + i);
  }
  return i;
}
