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

const UNMAPPED_CLASS = VMCORE_RULE_CLASS[R['memmap-unmapped']],
  EXCLUDED_CLASS = VMCORE_RULE_CLASS[R['memmap-excluded']];
/** How far above its head a tail may repeat the previous tail's rule (the largest compound page). */
const MAX_TAIL_DIST = 1 << 18;

const isCompound = (cls: number): boolean => cls === COMPOUND_HEAD || cls === COMPOUND_TAIL;

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
  const words = memo ? wordsOf(buf, ctx) : undefined;
  const seg = new Segments(start, count, facts, ctx);
  const prev = new PageKey(),
    tail = new TailKey();
  const classes = out.classes;
  let i = 0;
  while (i < count) {
    if (words) {
      seg.reach(i);
      const j = repeatsFrom(words, i, seg, prev, tail, status, buddyCover, start, out);
      if (j > i) {
        i = j;
        continue;
      }
    }
    const pfn = start + i;
    const st = status[i];
    if (st === SP_UNMAPPED || st === SP_EXCLUDED) {
      classes[pfn] = st === SP_UNMAPPED ? UNMAPPED_CLASS : EXCLUDED_CLASS;
      i++;
      continue;
    }
    const off = i * ctx.structSize;
    // The rule table for this page (repeats of the previous page or tail were taken by the runs above).
    const rule = classifyStructPage(pfn, buf, off, facts, ctx, nb);
    const c = VMCORE_RULE_CLASS[rule];
    classes[pfn] = c;
    if (c !== NO_MEMMAP && c !== SECTION_OFFLINE && c !== UNKNOWN && (words ? (seg.bits & 8) !== 0 : seg.isRam(pfn)))
      out.zoneMask[nr] |= 1 << zoneOf(buf, off, ctx);
    if (isCompound(c)) out.onCompound(pfn, off);
    if (words) remember(words, i, pfn, rule, c, seg.bits, buddyCover, ctx, nb, prev, tail);
    i++;
  }
}

/** buf as 32-bit words, and the word offsets of the fields the memo key reads. */
interface Words {
  w: Int32Array;
  /** struct page size in words */
  stride: number;
  fLo: number;
  fHi: number;
  cH: number;
  mp: number;
  mc: number;
  rc: number;
}

/** buf's struct pages as words, or undefined when a field of the key is not word-aligned (no memo). */
function wordsOf(buf: Buffer, ctx: ClassifyContext): Words | undefined {
  const ss = ctx.structSize,
    o = ctx.off;
  const fields = [o.flags, o.compoundHead, o.mapping, o.mapcount, o.refcount];
  if (ss % 4 !== 0 || buf.byteOffset % 4 !== 0 || !fields.every((x) => x % 4 === 0)) return undefined;
  return {
    w: new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2),
    stride: ss >>> 2,
    fLo: o.flags >>> 2,
    fHi: (o.flags >>> 2) + 1,
    cH: o.compoundHead >>> 2,
    mp: o.mapping >>> 2,
    mc: o.mapcount >>> 2,
    rc: o.refcount >>> 2,
  };
}

/** How PFNs [start, end) lie against ranges: 1 all inside one range, 0 outside all, -1 it depends on the PFN. */
function coverOf(ranges: readonly PfnRange[], start: number, end: number): -1 | 0 | 1 {
  let cover: -1 | 0 | 1 = 0;
  for (const [a, b] of ranges) {
    if (a <= start && end <= b) return 1;
    if (a < end && b > start) cover = -1;
  }
  return cover;
}

/**
 * The PFN-dependent part of the memo key, per segment of the section whose PFNs share it: bit 1
 * subsection populated, bit 2 inside a virtio-mem range, bit 3 System RAM (bit 0, inside a free buddy
 * block, is per page). Whole-section answers are worked out once; edges are looked up only when a
 * range or the subsection map splits the section.
 */
class Segments {
  /** The current segment: indexes below end share bits. */
  end = 0;
  bits = 0;
  private readonly virtioRanges: readonly PfnRange[];
  private readonly virtio: -1 | 0 | 1;
  private readonly ram: -1 | 0 | 1;
  private readonly subAll: boolean;

  constructor(
    private readonly start: number,
    private readonly count: number,
    private readonly facts: SectionFacts,
    private readonly ctx: ClassifyContext,
  ) {
    this.virtioRanges = ctx.virtioMem ?? [];
    this.virtio = coverOf(this.virtioRanges, start, start + count);
    // System RAM (iomem), all of it when unknown. Holes keep struct pages whose zone need not be the
    // block's (firmware-reserved pages at the end of DMA32 carry Normal), so only RAM pages say which
    // zones a block spans.
    this.ram = ctx.systemRam ? coverOf(ctx.systemRam, start, start + count) : 1;
    this.subAll = subsectionsAllPopulated(facts);
  }

  isRam(pfn: number): boolean {
    return this.ram === 1 || (this.ram === -1 && inRanges(this.ctx.systemRam, pfn));
  }

  /** Moves to the segment holding index i, if i is past the current one. */
  reach(i: number): void {
    if (i < this.end) return;
    const pfn = this.start + i,
      start = this.start;
    let end = this.count;
    if (!this.subAll) end = Math.min(end, nextSubsectionPfn(pfn, this.facts) - start);
    if (this.virtio === -1) end = Math.min(end, nextEdge(this.virtioRanges, pfn) - start);
    if (this.ram === -1) end = Math.min(end, nextEdge(this.ctx.systemRam!, pfn) - start);
    const sub = this.subAll || subsectionPopulated(pfn, this.facts);
    const virtio = this.virtio === 1 || (this.virtio === -1 && inRanges(this.virtioRanges, pfn));
    this.end = end;
    this.bits = (sub ? 2 : 0) | (virtio ? 4 : 0) | (this.isRam(pfn) ? 8 : 0);
  }
}

/**
 * The previous page's memo key (a page that is neither head nor tail and whose rules read nothing
 * else): flags, mapcount, refcount, the mapping tag (the whole mapping word when it is "movable"),
 * the PFN bits (buddy cover | segment bits), and its rule.
 */
class PageKey {
  valid = false;
  lo = 0;
  hi = 0;
  mc = 0;
  rc = 0;
  tag = 0;
  mapHi = 0;
  pfnBits = 0;
  rule = 0;
}

/** The previous tail's key: flags, compound_head word, subsection bits; its head PFN and class. */
class TailKey {
  valid = false;
  lo = 0;
  hi = 0;
  c0 = 0;
  c1 = 0;
  sub = 0;
  head = 0;
  cls = 0;
}

/** Classifies the run of repeats of the previous page or tail at index i: returns the index after it (i when none). */
function repeatsFrom(
  words: Words,
  i: number,
  seg: Segments,
  prev: PageKey,
  tail: TailKey,
  status: Uint8Array,
  buddyCover: Uint8Array,
  start: number,
  out: SectionOutput,
): number {
  // Long runs of repeats go through small loops that the JIT compiles in a few ms (the per-page body
  // of classifySection inlines the whole rule table and takes ~70 ms to optimise).
  if (prev.valid && (prev.pfnBits & 14) === seg.bits) {
    const j = repeatRun(words, status, buddyCover, out.classes, start, i, seg.end, prev);
    if (j > i) return j;
  }
  const repeat = out.repeatCompound;
  if (tail.valid && tail.sub === (seg.bits & 10) && repeat) {
    const end = Math.min(seg.end, tail.head + MAX_TAIL_DIST + 1 - start);
    return tailRun(words, status, out.classes, start, i, end, tail, isCompound(tail.cls) ? repeat : undefined);
  }
  return i;
}

/** Whether a tail's rule depends on its head alone (else it names a fact of the tail's own). */
const ruleFollowsHead = (rule: number): boolean =>
  rule !== R['tail-bad-head'] &&
  rule !== R['section-offline'] &&
  rule !== R['zone-device'] &&
  rule !== R['subsection-hole'] &&
  rule !== R.poisoned;

/** After the rule table classified index i: keeps its key for the runs that follow, or drops the keys it breaks. */
function remember(
  words: Words,
  i: number,
  pfn: number,
  rule: number,
  cls: number,
  segBits: number,
  buddyCover: Uint8Array,
  ctx: ClassifyContext,
  nb: Neighbours,
  prev: PageKey,
  tail: TailKey,
): void {
  const { w } = words;
  const b = i * words.stride;
  const lo = w[b + words.fLo],
    c0 = w[b + words.cH];
  if (c0 & 1) {
    // memo only tails whose head was found below them (the rule then depends on the head alone)
    const c1 = w[b + words.cH + 1];
    const head = ruleFollowsHead(rule)
      ? nb.headPfn(BigInt.asUintN(64, (BigInt(c1 >>> 0) << 32n) | BigInt(c0 >>> 0)), pfn)
      : undefined;
    tail.valid = head !== undefined && head < pfn;
    if (!tail.valid) return;
    tail.lo = lo;
    tail.hi = w[b + words.fHi];
    tail.c0 = c0;
    tail.c1 = c1;
    tail.sub = segBits & 10;
    tail.head = head!;
    tail.cls = cls;
    return;
  }
  // memo only pages whose rules read nothing beyond the key (not heads, not PG_owner_priv_1)
  const noMemoMask = (1 << ctx.bit.head) | (1 << ctx.bit.ownerPriv1);
  if (lo & noMemoMask) {
    if (isCompound(cls)) tail.valid = false;
    return;
  }
  if (isCompound(cls)) {
    prev.valid = false;
    tail.valid = false;
    return;
  }
  // a movable mapping tag (balloon pages: the rules compare the pointer with balloon_mops) puts the
  // whole mapping word in the key
  const tag = w[b + words.mp] & 3;
  prev.valid = true;
  prev.lo = lo;
  prev.hi = w[b + words.fHi];
  prev.mc = w[b + words.mc];
  prev.rc = w[b + words.rc];
  prev.tag = tag === 2 ? w[b + words.mp] : tag;
  prev.mapHi = tag === 2 ? w[b + words.mp + 1] : 0;
  prev.pfnBits = buddyCover[i] | segBits;
  prev.rule = rule;
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
 * not tails, writes the key's class; returns the first index that does not repeat. The caller
 * guarantees [i, end) share the key's subsection, virtio-mem and System RAM bits.
 */
function repeatRun(
  words: Words,
  status: Uint8Array,
  buddyCover: Uint8Array,
  classes: Uint8Array,
  start: number,
  i: number,
  end: number,
  key: PageKey,
): number {
  const { w, stride, fLo, fHi, mc, rc, mp, cH } = words;
  const { lo, hi, mc: kMc, rc: kRc, tag, mapHi } = key;
  const buddy = key.pfnBits & 1,
    cls = VMCORE_RULE_CLASS[key.rule];
  const movable = (tag & 3) === 2;
  for (; i < end; i++) {
    if (status[i] !== SP_OK) return i;
    const b = i * stride;
    if (
      w[b + fLo] !== lo ||
      (w[b + cH] & 1) !== 0 ||
      w[b + fHi] !== hi ||
      w[b + mc] !== kMc ||
      w[b + rc] !== kRc ||
      buddyCover[i] !== buddy
    )
      return i;
    if (movable ? w[b + mp] !== tag || w[b + mp + 1] !== mapHi : (w[b + mp] & 3) !== tag) return i;
    classes[start + i] = cls;
  }
  return i;
}

/** From index i, while tails repeat the previous tail's flags and compound_head (same head), writes its class; returns the first other index. */
function tailRun(
  words: Words,
  status: Uint8Array,
  classes: Uint8Array,
  start: number,
  i: number,
  end: number,
  key: TailKey,
  onRepeat: ((pfn: number) => void) | undefined,
): number {
  const { w, stride, fLo, fHi, cH } = words;
  const { lo, hi, c0, c1, cls } = key;
  for (; i < end; i++) {
    if (status[i] !== SP_OK) return i;
    const b = i * stride;
    if (w[b + cH] !== c0 || w[b + cH + 1] !== c1 || w[b + fLo] !== lo || w[b + fHi] !== hi) return i;
    classes[start + i] = cls;
    if (onRepeat) onRepeat(start + i);
  }
  return i;
}
