// crash and drgn outputs (files or pasted logs) as a Snapshot. The outputs are turned into a sparse
// memmap image (parsers/tools/pageImage.ts) and classified with the vmcore rule table
// (classifyPage.ts), so their classes agree with the vmcore engine by construction wherever the
// tool printed the words the rules need. PFNs no output covers are `not-in-listing`.
import { readFileSync } from 'node:fs';
import { headVaOfTail } from '../kernel/compound';
import { basename } from 'node:path';
import { CLASS_ID, NR_CLASSES } from '../kernel/pageClasses';
import { formatByteSize } from '../kernel/byteSize';
import { blockCounts, sumCounts } from './aggregate';
import { classifyStructPage, Neighbours, SectionFacts, VMCORE_RULES, VMCORE_RULE_CLASS } from './classifyPage';
import { SnapshotError } from '../parsers/errors';
import { pageSizeOfRelease } from './kpageflagsGeometry';
import { blockVerdicts } from './offlineVerdict';
import type { OpenOptions } from './openOptions';
import type { BlockState, MemoryBlock, PageDetail, Section, SectionState, Snapshot } from './snapshot';
import {
  SECTION_DEVICE,
  SECTION_EARLY,
  SECTION_HAS_MEM_MAP,
  SECTION_ONLINE,
  SECTION_PRESENT,
  sectionLetters,
} from '../kernel/sections';
import { describePageType } from '../kernel/pagetypes';
import { looksLikeDrgnExport, parseDrgnExport } from '../parsers/tools/drgnExport';
import { ToolMemmap, toolMemmapFromDrgn } from '../parsers/tools/toolMemmap';
import { looksLikeCrashOrDrgnText, toolMemmapFromText } from '../parsers/tools/crashSession';
import { CHUNK_PFNS, COVER_NONE, COVER_PAGE, COVER_UNREADABLE, OFF, PageImage } from '../parsers/tools/pageImage';
import { buildToolContext } from './tools/toolContext';
import { completeKmemPListing } from './tools/kmemPListing';
import { inRanges, sortedRanges, type PfnRange } from '../kernel/pfnRange';

/** true when the first KiB of a text file looks like crash output, a drgn REPL log or our drgn export. */
export function looksLikeToolOutput(head: string): boolean {
  return looksLikeDrgnExport(head) || looksLikeCrashOrDrgnText(head);
}

export async function openToolOutputSnapshot(path: string, opts: OpenOptions = {}): Promise<Snapshot> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SnapshotError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  opts.signal?.throwIfAborted();
  return toolOutputSnapshot(text, basename(path), opts.ruleSets);
}

/**
 * A crash listing gives no page size of its own (a drgn export does: tm.pageSize): output of an arm64
 * kernel whose release names 16 or 64 KiB pages (`-16k`, `-64k`) but was read in other pages is
 * refused rather than drawn at the wrong PFNs.
 */
function refuseLargePages(tm: ToolMemmap, name: string): void {
  const ps = pageSizeOfRelease(tm.facts.release);
  if (ps !== undefined && ps !== tm.pageSize)
    throw new SnapshotError(
      name,
      `crash/drgn output of a ${ps / 1024} KiB-page kernel (${tm.facts.release}) read in ${tm.pageSize / 1024} KiB pages: this output does not say its page size, and crash listings are read in 4 KiB pages only`,
      'open the vmcore itself, or a drgn export (it records the page size)',
    );
}

/** Snapshot from the text of a crash log / drgn REPL log / drgn export. Throws SnapshotError when nothing usable is in it. */
export function toolOutputSnapshot(text: string, name = 'tool output', ruleSets?: OpenOptions['ruleSets']): Snapshot {
  let tm: ToolMemmap;
  try {
    tm = looksLikeDrgnExport(text.slice(0, 64)) ? toolMemmapFromDrgn(parseDrgnExport(text)) : toolMemmapFromText(text);
    completeKmemPListing(tm);
  } catch (e) {
    throw new SnapshotError(name, (e as Error).message);
  }
  if (!tm.image.pages && !tm.image.unreadable && !tm.sections.length)
    throw new SnapshotError(
      name,
      'no page listing and no section table in this output',
      'it needs `kmem -p`, `kmem -n`, `struct page` dumps or a drgn export',
    );
  return snapshotFromToolMemmap(tm, name, ruleSets);
}

function factsFromSection(word: number | undefined): SectionFacts & { present: boolean; memmap: boolean } {
  const w = word ?? SECTION_PRESENT | SECTION_HAS_MEM_MAP | SECTION_ONLINE | SECTION_EARLY;
  return {
    present: (w & SECTION_PRESENT) !== 0,
    memmap: (w & SECTION_HAS_MEM_MAP) !== 0,
    online: (w & SECTION_ONLINE) !== 0,
    early: (w & SECTION_EARLY) !== 0,
    device: (w & SECTION_DEVICE) !== 0,
  };
}

type ToolCtx = ReturnType<typeof buildToolContext>['ctx'];
type FactsOf = (nr: number) => SectionFacts & { present: boolean; memmap: boolean };

/** What the tool's section table (crash `kmem -n`, drgn export) says: the low state bits and subsection map per section. */
interface SectionTable {
  secWord: Map<number, number>;
  haveSections: boolean;
  factsOf: FactsOf;
}

export function snapshotFromToolMemmap(tm: ToolMemmap, name: string, ruleSets?: OpenOptions['ruleSets']): Snapshot {
  if (tm.unreadable)
    throw new SnapshotError(name, tm.unreadable, 'open the vmcore itself, or a drgn export (it records the page size)');
  refuseLargePages(tm, name);
  const warnings = [...tm.warnings];
  const notes = [...tm.notes];
  const { image } = tm;
  const pps = image.pfnsPerSection;
  const tc = buildToolContext(tm.facts, tm.pageSize);
  warnings.push(...tc.warnings);
  notes.push(...tc.notes);
  if (tc.problem) warnings.push(tc.problem);
  const ctx = tc.ctx;

  const table = sectionTable(tm);
  const { haveSections, factsOf } = table;
  if (!haveSections && image.pages)
    warnings.push(
      'no section table in this output (crash `kmem -n`): every listed PFN is taken to be in an online boot section',
    );
  const range = pfnRange(image, table.secWord, haveSections);
  const { startPfn, endPfn } = range;
  checkSpan(name, image, range, table.secWord, tm.pageSize);
  const nb = neighbours(tm, ctx, range, factsOf);
  if (tm.vmemmap === undefined && image.pages)
    notes.push('vmemmap base unknown: compound tails cannot be matched to their heads');

  const { classes, sectionCounts, rulesSeen } = classifyListed(image, range, haveSections, factsOf, ctx, nb);
  notes.push(...listingNotes(image, sectionCounts, rulesSeen));
  const sections = sectionsOf(tm, table, sectionCounts, range);
  if (!haveSections && image.pages)
    notes.push(
      `PFN range 0x${startPfn.toString(16)}-0x${endPfn.toString(16)}: what the listing covers (${sections.length} section(s) touched); nothing outside it is assumed`,
    );

  const { pfnsPerBlock, blocks } = blocksOf(
    tm,
    sections,
    classes,
    startPfn,
    warnings,
    (pfn) => compoundIsMovable(image, ctx, pfn, nb),
    ruleSets,
  );

  const snapshot: Snapshot = {
    kernel: { release: tm.facts.release, machine: tm.machine, layoutFamily: tc.family?.id, pageSize: tm.pageSize },
    startPfn,
    endPfn,
    classes,
    pfnsPerSection: pps,
    sections,
    pfnsPerBlock,
    blocks,
    counts: sumCounts([...sectionCounts.values()]),
    warnings,
    provenance: { format: tm.format, files: [name], notes },
    pageDetail: (pfn) => detail(tm, snapshot, pfn, factsOf, nb, ctx),
  };
  return snapshot;
}

/** The section table's words (state bits only) and subsection maps, and the facts the rules see per section. */
function sectionTable(tm: ToolMemmap): SectionTable {
  const secWord = new Map<number, number>();
  const subsec = new Map<number, bigint>();
  for (const s of tm.sections) {
    if (s.word !== undefined) secWord.set(s.nr, Number(s.word & 0x3fn));
    if (s.subsectionMap !== undefined) subsec.set(s.nr, s.subsectionMap);
  }
  const haveSections = secWord.size > 0;
  const factsOf: FactsOf = (nr) => {
    const f = factsFromSection(haveSections ? (secWord.get(nr) ?? 0) : undefined);
    const sm = subsec.get(nr);
    if (sm !== undefined && !f.early) f.subsectionMap = sm;
    return f;
  };
  return { secWord, haveSections, factsOf };
}

/** What the rules read beyond a page's own words: neighbours, free buddy blocks, vmemmap-backing ranges, compound heads, sections. */
function neighbours(tm: ToolMemmap, ctx: ToolCtx, range: ListingSpan, factsOf: FactsOf): Neighbours {
  const { image, vmemmap } = tm;
  const { startPfn } = range;
  const pps = image.pfnsPerSection;
  const buddyTail = ctx ? freeBlockTails(image, ctx, range) : undefined;
  const vmemmapRanges = sortedRanges(
    tm.blocks
      .filter((b) => b.nrVmemmapPages && b.startPfn !== undefined)
      .map((b): PfnRange => [b.startPfn!, b.startPfn! + b.nrVmemmapPages!]),
  );
  return {
    structPage: (pfn) => image.page(pfn) ?? (image.coverage(pfn) === COVER_UNREADABLE ? 'unmapped' : 'excluded'),
    buddyCovered: (pfn) => buddyTail?.[pfn - startPfn] === 1,
    backsVmemmap: (pfn) => inRanges(vmemmapRanges, pfn),
    headPfn: (c, tailPfn) => {
      if (vmemmap === undefined) return undefined;
      // the mask form (7.x compound_info) cannot be confused with a pointer: decode both
      const d = headVaOfTail(c, vmemmap + BigInt(tailPfn) * 64n, 'pointer-or-mask') - vmemmap;
      return d >= 0n && d % 64n === 0n ? Number(d / 64n) : undefined;
    },
    section: (pfn) => factsOf(Math.floor(pfn / pps)),
  };
}

/** Notes on the classification: the assumptions of the rules that fired, PFNs not listed, PFNs listed. */
function listingNotes(image: PageImage, sectionCounts: Map<number, Uint32Array>, rulesSeen: Set<number>): string[] {
  const NOT = CLASS_ID['not-in-listing'];
  const notes: string[] = [];
  for (const r of rulesSeen) {
    const a = (VMCORE_RULES[r] as { assumption?: string }).assumption;
    if (a) notes.push(`assumption (rule ${VMCORE_RULES[r].id}): ${a}`);
  }
  const listed = image.pages + image.unreadable;
  const notListed = [...sectionCounts.values()].reduce((a, c) => a + c[NOT], 0);
  if (notListed) notes.push(`${notListed} PFNs with a memmap are not in this listing (class not-in-listing)`);
  notes.push(`${listed} PFNs listed${image.unreadable ? ` (${image.unreadable} with unreadable struct pages)` : ''}`);
  return notes;
}

/** Sections of the range with their state (from the section table, or online when anything in them was listed), zone and counts. */
function sectionsOf(
  tm: ToolMemmap,
  table: SectionTable,
  sectionCounts: Map<number, Uint32Array>,
  range: ListingSpan,
): Section[] {
  const NOT = CLASS_ID['not-in-listing'];
  const pps = tm.image.pfnsPerSection;
  const { haveSections, secWord, factsOf } = table;
  const { startPfn, endPfn } = range;
  const zoneOfPfn = (pfn: number) => tm.zones.find((z) => pfn >= z.startPfn && pfn < z.startPfn + z.spanned);
  return [...sectionCounts].map(([nr, counts]) => {
    const w = haveSections ? secWord.get(nr) : undefined;
    let state: SectionState = 'unknown';
    if (haveSections) {
      const f = factsOf(nr);
      state = !f.present
        ? 'absent'
        : !f.memmap
          ? 'present'
          : f.device && !f.online
            ? 'device'
            : f.online
              ? 'online'
              : 'offline';
    } else if (counts[NOT] < pps) state = 'online';
    const z = zoneOfPfn(nr * pps);
    const first = Math.max(nr * pps, startPfn);
    const nrPfns = Math.min((nr + 1) * pps, endPfn) - first;
    return {
      nr,
      startPfn: first,
      nrPfns,
      state,
      flags: w !== undefined ? sectionLetters(BigInt(w)) : undefined,
      zone: z?.name,
      node: z?.node,
      counts,
    };
  });
}

/** PFNs inside free buddy blocks (after their head: page type buddy, order in private), one byte per PFN of the range; undefined when there are none. */
function freeBlockTails(image: PageImage, ctx: NonNullable<ToolCtx>, range: ListingSpan): Uint8Array | undefined {
  const { startPfn, endPfn } = range;
  let tails: Uint8Array | undefined; // allocated at the first free block of order > 0
  for (const sec of image.chunks()) {
    for (let i = 0, off = 0; i < CHUNK_PFNS; i++, off += 64) {
      if (sec.cover[i] !== COVER_PAGE) continue;
      const t = ctx.types.decode(sec.buf.readUInt32LE(off + OFF.mapcount));
      if (t.kind !== 'type' || t.name !== 'buddy') continue;
      const pfn = sec.base + i;
      const order = sec.buf.readUInt32LE(off + OFF.private);
      if (order > 0 && order <= 10 && pfn >= startPfn)
        (tails ??= new Uint8Array(endPfn - startPfn)).fill(
          1,
          pfn + 1 - startPfn,
          Math.min(endPfn, pfn + (1 << order)) - startPfn,
        );
    }
  }
  return tails;
}

/** Memory blocks from the tool's block table (crash `kmem -n`, drgn export), with counts and offlining verdicts. */
function blocksOf(
  tm: ToolMemmap,
  sections: Section[],
  classes: Uint8Array,
  startPfn: number,
  warnings: string[],
  compoundMovable: (pfn: number) => boolean | undefined,
  ruleSets?: OpenOptions['ruleSets'],
): { pfnsPerBlock: number; blocks: MemoryBlock[] } {
  let pfnsPerBlock = 0;
  const blocks: MemoryBlock[] = [];
  const withRange = tm.blocks.filter((b) => b.startPfn !== undefined && b.endPfn !== undefined);
  if (withRange.length) pfnsPerBlock = withRange[0].endPfn! - withRange[0].startPfn!;
  if (withRange.some((b) => b.endPfn! - b.startPfn! !== pfnsPerBlock))
    warnings.push('memory blocks of different sizes in the block table');
  for (const b of withRange) {
    const state: BlockState = (['online', 'offline', 'going-offline'] as string[]).includes(b.state)
      ? (b.state as BlockState)
      : 'unknown';
    const block: MemoryBlock = {
      id: b.id,
      startPfn: b.startPfn!,
      nrPfns: b.endPfn! - b.startPfn!,
      state,
      node: b.node,
      zones: b.zone ? [b.zone] : undefined,
      counts: blockCounts(sections, b.startPfn!, b.endPfn! - b.startPfn!),
    };
    block.verdict = blockVerdicts(
      { block, classes, classesStartPfn: startPfn, compoundIsMovable: compoundMovable },
      ruleSets,
    );
    blocks.push(block);
  }
  return { pfnsPerBlock, blocks };
}

/** A picture costs one byte per PFN of its range: up to 256 GiB of span for any listing, beyond that only for dense ones. */
export const MAX_SPARSE_SPAN_PFNS = 1 << 26;
export const MAX_PFNS_PER_LISTED = 64;

/**
 * Refuses a listing whose addresses imply a machine far larger than what it lists (a damaged or
 * made-up text), before one byte per PFN of that span is allocated.
 */
function checkSpan(
  name: string,
  image: PageImage,
  range: ListingSpan,
  secWord: Map<number, number>,
  pageSize: number,
): void {
  const span = range.endPfn - range.startPfn;
  const listed = image.pages + image.unreadable;
  const presentSpan = [...secWord.values()].filter((w) => (w & SECTION_PRESENT) !== 0).length * image.pfnsPerSection;
  if (span <= Math.max(MAX_SPARSE_SPAN_PFNS, MAX_PFNS_PER_LISTED * listed, 2 * presentSpan)) return;
  throw new SnapshotError(
    name,
    `its ${listed} listed PFN(s) are spread over ${formatByteSize(span * pageSize)} of physical addresses (PFN 0x${range.startPfn.toString(16)}-0x${range.endPfn.toString(16)}, one listed PFN per ${Math.round(span / Math.max(1, listed))}): not the memmap of one machine (damaged or made-up addresses?)`,
    'open a listing of one machine, or split it into the address ranges that matter',
  );
}

interface ListingSpan {
  startPfn: number;
  endPfn: number;
  sectionNrs: number[];
}

/**
 * With a section table (kmem -n) the machine is known: PFN 0 to the last present section. Without
 * one, only what the listing covers: its first to its last listed PFN, and the sections it touches.
 */
function pfnRange(image: PageImage, secWord: Map<number, number>, haveSections: boolean): ListingSpan {
  const pps = image.pfnsPerSection;
  if (haveSections) {
    const last = Math.max(
      image.maxPfn >= 0 ? Math.floor(image.maxPfn / pps) : -1,
      ...[...secWord.keys()].filter((nr) => (secWord.get(nr)! & SECTION_PRESENT) !== 0),
    );
    return { startPfn: 0, endPfn: (last + 1) * pps, sectionNrs: Array.from({ length: last + 1 }, (_, i) => i) };
  }
  if (image.maxPfn < 0) return { startPfn: 0, endPfn: 0, sectionNrs: [] };
  return { startPfn: image.minPfn, endPfn: image.maxPfn + 1, sectionNrs: image.sectionNrs() };
}

/** One class byte per PFN of the range (not-in-listing where nothing was listed) and per-section counts. */
function classifyListed(
  image: PageImage,
  range: ListingSpan,
  haveSections: boolean,
  factsOf: FactsOf,
  ctx: ToolCtx,
  nb: Neighbours,
): { classes: Uint8Array; sectionCounts: Map<number, Uint32Array>; rulesSeen: Set<number> } {
  const NOT = CLASS_ID['not-in-listing'];
  const HOLE = CLASS_ID['no-memmap'];
  const pps = image.pfnsPerSection;
  const { startPfn, endPfn } = range;
  const classes = new Uint8Array(Math.max(0, endPfn - startPfn)).fill(NOT);
  const rulesSeen = new Set<number>();
  const sectionCounts = new Map<number, Uint32Array>();
  for (const nr of range.sectionNrs) {
    const f = factsOf(nr);
    const counts = new Uint32Array(NR_CLASSES);
    const lo = Math.max(nr * pps, startPfn),
      hi = Math.min((nr + 1) * pps, endPfn);
    sectionCounts.set(nr, counts);
    if (haveSections && (!f.present || !f.memmap)) {
      classes.fill(HOLE, lo - startPfn, hi - startPfn);
      counts[HOLE] = hi - lo;
      continue;
    }
    counts[NOT] = hi - lo; // until a chunk below says otherwise
    let lastRule = -1;
    for (const c of image.chunksIn(lo, hi)) {
      for (let pfn = Math.max(lo, c.base), end = Math.min(hi, c.base + CHUNK_PFNS); pfn < end; pfn++) {
        const i = pfn - c.base;
        const cov = c.cover[i];
        if (cov === COVER_NONE) continue;
        let cls: number;
        if (cov === COVER_UNREADABLE) cls = HOLE;
        else if (!ctx) cls = CLASS_ID.unknown;
        else {
          const r = classifyStructPage(pfn, c.buf, i * 64, f, ctx, nb);
          if (r !== lastRule) {
            rulesSeen.add(r);
            lastRule = r;
          }
          cls = VMCORE_RULE_CLASS[r];
        }
        classes[pfn - startPfn] = cls;
        counts[NOT]--;
        counts[cls]++;
      }
    }
  }
  return { classes, sectionCounts, rulesSeen };
}

function compoundIsMovable(image: PageImage, ctx: ToolCtx, pfn: number, nb: Neighbours): boolean | undefined {
  if (!ctx) return undefined;
  let p = image.page(pfn);
  if (!p) return undefined;
  const c = p.buf.readBigUInt64LE(p.off + OFF.compoundHead);
  if (c & 1n) {
    const h = nb.headPfn(c, pfn);
    p = h === undefined ? undefined : image.page(h);
    if (!p) return undefined;
  }
  return ctx.bit.lru < 32 && ((p.buf.readUInt32LE(p.off + OFF.flags) >>> ctx.bit.lru) & 1) === 1;
}

function detail(
  tm: ToolMemmap,
  s: Snapshot,
  pfn: number,
  factsOf: (nr: number) => SectionFacts,
  nb: Neighbours,
  ctx: ToolCtx,
): PageDetail | undefined {
  if (!Number.isInteger(pfn) || pfn < s.startPfn || pfn >= s.endPfn) return undefined;
  const cls = s.classes[pfn - s.startPfn];
  const section = Math.floor(pfn / s.pfnsPerSection);
  const base: PageDetail = {
    pfn,
    physAddr: BigInt(pfn) * BigInt(tm.pageSize),
    class: VMCORE_RULES.find((r) => CLASS_ID[r.cls] === cls)?.cls ?? 'unknown',
    rule: '',
    why: '',
    section,
    block: s.pfnsPerBlock ? Math.floor(pfn / s.pfnsPerBlock) : undefined,
    raw: {},
  };
  const p = tm.image.page(pfn);
  if (cls === CLASS_ID['not-in-listing'])
    return {
      ...base,
      class: 'not-in-listing',
      rule: 'not-in-listing',
      why: `the ${tm.format} output does not cover this PFN`,
    };
  if (!p || !ctx)
    return {
      ...base,
      class: cls === CLASS_ID['no-memmap'] ? 'no-memmap' : 'unknown',
      rule: cls === CLASS_ID['no-memmap'] ? 'hole' : 'unknown',
      why:
        cls === CLASS_ID['no-memmap']
          ? 'no struct page describes this PFN'
          : 'page states cannot be decoded for this kernel',
    };
  const r = VMCORE_RULES[classifyStructPage(pfn, p.buf, p.off, factsOf(section), ctx, nb)];
  const known = tm.knownFields;
  const raw = rawWords(p, known);
  const notes: string[] = [];
  const a = (r as { assumption?: string }).assumption;
  if (a) notes.push(`assumption: ${a}`);
  const missing = ['compound_head', '_mapcount', 'private'].filter((f) => !known.has(f));
  if (missing.length)
    notes.push(`${tm.format} does not show ${missing.join(', ')}: rules that need them could not fire`);
  return {
    ...base,
    class: r.cls,
    rule: r.id,
    why: r.why,
    raw,
    notes,
    refcount: known.has('_refcount') ? p.buf.readInt32LE(p.off + OFF.refcount) : undefined,
    pageType: known.has('_mapcount')
      ? describePageType(ctx.types.decode(p.buf.readUInt32LE(p.off + OFF.mapcount)))
      : undefined,
  };
}

/** The struct page words the tool printed, as the inspector shows them. */
function rawWords(p: { buf: Buffer; off: number }, known: Set<string>): Record<string, string | number> {
  const hex = (o: number) => '0x' + p.buf.readBigUInt64LE(p.off + o).toString(16);
  const raw: Record<string, string | number> = {};
  if (known.has('flags')) raw.flags = hex(OFF.flags);
  if (known.has('compound_head')) raw.compound_head = hex(OFF.compoundHead);
  if (known.has('mapping')) raw.mapping = hex(OFF.mapping);
  if (known.has('private')) raw.private = hex(OFF.private);
  if (known.has('_mapcount')) raw._mapcount = '0x' + p.buf.readUInt32LE(p.off + OFF.mapcount).toString(16);
  if (known.has('_refcount')) raw._refcount = p.buf.readInt32LE(p.off + OFF.refcount);
  return raw;
}
