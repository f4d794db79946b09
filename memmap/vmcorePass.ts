// The vmcore memmap pass: every section is filled with one class (no struct pages read) or its struct
// pages are read — those of the next sections ahead, while this one is classified — and classified in
// chunks that stay in L2. Also notes, per compound page, whether its head is on the LRU, for the
// block verdicts. Pure core, no vscode.
import { CLASS_ID } from '../kernel/pageClasses';
import { ClassifyContext, Neighbours, R, VMCORE_RULE_CLASS } from './classifyPage';
import { classifySection, SectionOutput } from './classifySection';
import { SP_OK, SP_UNMAPPED, VmcoreMemmap } from './vmcoreMemmap';
import { DumpError } from '../parsers/dump/errors';
import type { MemSectionTable } from '../parsers/kernelMemory/memSection';
import type { PhysicalMemory } from '../parsers/dump/physmem';
import type { PfnRange } from '../kernel/pfnRange';

/** MAX_PAGE_ORDER when the dump does not say (x86_64's); ClassifyContext.maxOrder is the dump's. */
export const MAX_ORDER = 10;

/** PFNs per classification chunk: 256 KiB of 64-byte struct pages, a multiple of the largest buddy block. */
const CHUNK_PFNS = 4096;

/**
 * Sections whose struct pages are read ahead of the one classified: two keep the kdump decode worker
 * busy while this thread classifies and plans.
 */
const READ_AHEAD = 2;

/** Yields to the event loop now and then so progress/abort work from async callers. */
const tick = () => new Promise<void>((r) => setImmediate(r));

function checkAbort(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw new DumpError(file, 'aborted', 'reading was cancelled');
}

export interface PassOptions {
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
  /** The slow reference path: per-page translation and copies, no read-ahead, no cached struct-page views. */
  reference?: boolean;
}

/** What the pass found: a class byte per PFN, the zones seen per section, sections filled whole, compound pages on the LRU. */
export interface MemmapPass {
  classes: Uint8Array;
  zoneMask: Uint8Array;
  /** Class a whole section was filled with (no struct pages read), or -1 when it was classified page by page. */
  filledWith: Int16Array;
  compound: CompoundLru;
}

/**
 * The PFNs a snapshot covers: every registered section, and, when the kernel's own view is known,
 * the System RAM it registered in iomem. Dump memory past both (an ELF's zero-fill past the file
 * data, or file data the kernel never gave a memmap, which one flipped p_paddr bit can move
 * terabytes up) has no struct page to show and is left out, with the PFN it starts at in
 * leftOutFrom: the snapshot is sized by the kernel's memmap, not by what a header field claims.
 * With no section registered, the dump's own extent is all there is.
 */
export function pfnExtent(
  table: MemSectionTable,
  mem: Pick<PhysicalMemory, 'maxPfn' | 'dataEndPfn'>,
  systemRam: readonly PfnRange[] = [],
): { endPfn: number; nSections: number; leftOutFrom?: number } {
  const pps = table.pfnsPerSection;
  const lastSec = table.sections.reduce((m, s) => Math.max(m, s.nr), -1);
  const dumpEnd = mem.dataEndPfn ?? mem.maxPfn;
  const kernelEnd = Math.max((lastSec + 1) * pps, ...systemRam.map((r) => r[1]));
  const endPfn = lastSec < 0 ? dumpEnd : kernelEnd;
  const leftOutFrom = Math.max(dumpEnd, mem.maxPfn) > endPfn ? endPfn : undefined;
  return { endPfn, nSections: Math.ceil(endPfn / pps), ...(leftOutFrom !== undefined ? { leftOutFrom } : {}) };
}

/**
 * Whether each compound page is on the LRU (THP, migratable), noted while its struct page is at hand:
 * two bits per PFN (known, on LRU) instead of re-reading struct pages for every block verdict.
 */
export class CompoundLru {
  readonly known: Uint8Array;
  readonly lru: Uint8Array;
  private last: boolean | undefined;

  constructor(endPfn: number) {
    this.known = new Uint8Array((endPfn + 7) >>> 3);
    this.lru = new Uint8Array((endPfn + 7) >>> 3);
  }

  /** The compound page pfn belongs to is on the LRU (true), not (false) or unknown (undefined). */
  note(pfn: number, lru: boolean | undefined): void {
    this.last = lru;
    if (lru !== undefined) {
      this.known[pfn >>> 3] |= 1 << (pfn & 7);
      if (lru) this.lru[pfn >>> 3] |= 1 << (pfn & 7);
    }
  }

  /** A tail with the same head as the tail last noted. */
  repeat(pfn: number): void {
    if (this.last === undefined) return;
    this.known[pfn >>> 3] |= 1 << (pfn & 7);
    if (this.last) this.lru[pfn >>> 3] |= 1 << (pfn & 7);
  }

  /** Whether the compound page of pfn is known to be on the LRU; undefined when not known. */
  isMovable(pfn: number): boolean | undefined {
    return (this.known[pfn >>> 3] >>> (pfn & 7)) & 1 ? ((this.lru[pfn >>> 3] >>> (pfn & 7)) & 1) === 1 : undefined;
  }

  /**
   * Compound pages known to be on the LRU (THP), a bit per PFN: the verdicts' isolation scan skips them
   * in one pass. The lru bits themselves (only a known page gets one), not a copy: a pass over a bit
   * per PFN took a second for a dump whose PT_LOADs span 2 TiB.
   */
  movableBits(): Uint8Array {
    return this.lru;
  }
}

/** A section's struct pages and the status of each slot (SP_*). */
interface SectionPages {
  buf: Buffer;
  status: Uint8Array;
}

/**
 * Section buffers: while one section is classified, the next READ_AHEAD sections' struct pages are
 * read on a background thread (ELF dumps) or decoded partly on the kdump decode worker (kdump dumps,
 * when it pays; shared memory so the worker writes into them); other formats read synchronously.
 */
class SectionPipeline {
  /** The section being classified: its first PFN and struct pages. */
  start = 0;
  cur: SectionPages;
  /** Buffers free for reads ahead, and the reads in flight in section order (each awaited before the pass ends). */
  private readonly spare: SectionPages[];
  private readonly reads: (SectionPages & { nr: number; done: Promise<void> })[] = [];
  private lastQueued = -1;

  constructor(
    private readonly memmap: VmcoreMemmap,
    private readonly nSections: number,
    private readonly needsPages: (nr: number) => boolean,
    private readonly reference: boolean,
  ) {
    this.cur = this.newPages();
    const readAhead = !reference && memmap.mem.readPagesIntoAsync !== undefined;
    this.spare = readAhead ? Array.from({ length: READ_AHEAD }, () => this.newPages()) : [];
  }

  private newPages(): SectionPages {
    const pps = this.memmap.pfnsPerSection;
    return { buf: Buffer.from(new SharedArrayBuffer(pps * this.memmap.structSize)), status: new Uint8Array(pps) };
  }

  private nextNeeding(after: number): number {
    for (let k = after + 1; k < this.nSections; k++) if (this.needsPages(k)) return k;
    return -1;
  }

  /** Starts reads of the next sections that need their struct pages, while buffers are free. */
  readAheadMore(): void {
    const pps = this.memmap.pfnsPerSection;
    while (this.spare.length && this.lastQueued < this.nSections) {
      const nr = this.nextNeeding(this.lastQueued);
      if (nr < 0) {
        this.lastQueued = this.nSections;
        break;
      }
      this.lastQueued = nr;
      const b = this.spare.pop()!;
      b.status.fill(0);
      const done = this.memmap.readStructPagesAsync(nr * pps, pps, b.buf, b.status);
      done.catch(() => undefined); // awaited in drain(); never an unhandled rejection if the pass stops early
      this.reads.push({ nr, ...b, done });
    }
  }

  /** Makes section nr the current one: the read ahead for it, or a read now. */
  async load(nr: number): Promise<void> {
    const pps = this.memmap.pfnsPerSection;
    const start = (this.start = nr * pps);
    if (this.reads.length && this.reads[0].nr === nr) {
      const r = this.reads.shift()!;
      await r.done;
      this.spare.push(this.cur); // the section classified last is done with
      this.cur = { buf: r.buf, status: r.status };
      this.readAheadMore();
    } else {
      this.cur.status.fill(0);
      if (this.reference) this.memmap.readStructPagesReference(start, pps, this.cur.buf, this.cur.status);
      else this.memmap.readStructPages(start, pps, this.cur.buf, this.cur.status);
    }
  }

  /** Waits for the reads still in flight (the pass ended or failed). */
  async drain(): Promise<void> {
    for (const r of this.reads) await r.done.catch(() => undefined);
  }
}

/** What a section needs: filled with one class (no struct pages read), or classified from its struct pages (-1). */
function fillClassOf(memmap: VmcoreMemmap, ctx: ClassifyContext | undefined, nr: number): number {
  const facts = memmap.facts(nr);
  if (!facts || !memmap.hasMemmap(nr)) return CLASS_ID['no-memmap'];
  if (!memmap.trusted(nr)) return VMCORE_RULE_CLASS[R['memmap-untrusted']];
  if (!facts.online && !facts.device) return CLASS_ID['section-offline'];
  if (!ctx) return CLASS_ID.unknown;
  return -1;
}

/** Neighbour look-ups of the pass: the current section from its buffer, others through the memmap. */
function passNeighbours(
  memmap: VmcoreMemmap,
  pipe: SectionPipeline,
  buddyCover: Uint8Array,
  ctx: ClassifyContext | undefined,
  reference: boolean,
): Neighbours {
  const pps = memmap.pfnsPerSection;
  return {
    structPage: (pfn) => {
      const i = pfn - pipe.start;
      if (i >= 0 && i < pps) {
        const status = pipe.cur.status;
        if (status[i] === SP_OK) return { buf: pipe.cur.buf, off: i * memmap.structSize };
        return status[i] === SP_UNMAPPED ? 'unmapped' : 'excluded';
      }
      return reference ? memmap.structPage(pfn) : memmap.structPageView(pfn);
    },
    buddyCovered: (pfn) => {
      const i = pfn - pipe.start;
      return i >= 0 && i < pps && buddyCover[i] === 1;
    },
    backsVmemmap: (pfn) => memmap.backsVmemmap(pfn),
    headPfn: (c, tail) => memmap.headPfnOfTail(c, tail, ctx?.tailForms ?? 'pointer'),
    section: (pfn) => memmap.facts(Math.floor(pfn / pps)),
  };
}

/**
 * Classifies every PFN below endPfn. Notes of the kdump decode worker (dump.mem.endBulkReads) go to
 * notes when the pass ends, whether or not it completed.
 */
export async function classifyMemmap(
  memmap: VmcoreMemmap,
  ctx: ClassifyContext | undefined,
  endPfn: number,
  opts: PassOptions,
  file: string,
  notes: string[],
): Promise<MemmapPass> {
  const pps = memmap.pfnsPerSection;
  const nSections = Math.ceil(endPfn / pps);
  const pass: MemmapPass = {
    classes: new Uint8Array(endPfn),
    zoneMask: new Uint8Array(nSections),
    filledWith: new Int16Array(nSections).fill(-1),
    compound: new CompoundLru(endPfn),
  };
  const reference = opts.reference === true;
  const pipe = new SectionPipeline(memmap, nSections, (nr) => fillClassOf(memmap, ctx, nr) < 0, reference);
  const buddyCover = new Uint8Array(pps);
  const nb = passNeighbours(memmap, pipe, buddyCover, ctx, reference);
  const compound = pass.compound;
  const out: SectionOutput = {
    classes: pass.classes,
    zoneMask: pass.zoneMask,
    onCompound: (pfn, off) => compound.note(pfn, compoundOnLruAt(pfn, pipe.cur.buf, off, ctx!, nb)),
    repeatCompound: (pfn) => compound.repeat(pfn), // a tail with the same head as the tail of the last onCompound call
  };
  let lastTick = Date.now();
  try {
    pipe.readAheadMore();
    for (let nr = 0; nr < nSections; nr++) {
      checkAbort(opts.signal, file);
      if (Date.now() - lastTick > 100) {
        opts.onProgress?.(nr, nSections);
        await tick();
        lastTick = Date.now();
      }
      const start = nr * pps;
      const end = Math.min(endPfn, start + pps);
      const fill = fillClassOf(memmap, ctx, nr);
      if (fill >= 0) {
        pass.filledWith[nr] = fill;
        pass.classes.fill(fill, start, end);
        continue;
      }
      await pipe.load(nr);
      classifyChunks(nr, start, end, pipe.cur, buddyCover, memmap, ctx!, nb, out, !reference);
    }
  } finally {
    await pipe.drain();
    notes.push(...((await memmap.mem.endBulkReads?.()) ?? []));
  }
  opts.onProgress?.(nSections, nSections);
  return pass;
}

/**
 * Chunks of struct pages that stay in the core's L2 cache between the buddy pre-pass and the
 * classification (a 2 MiB section does not); free buddy blocks never cross a chunk.
 */
function classifyChunks(
  nr: number,
  start: number,
  end: number,
  pages: SectionPages,
  buddyCover: Uint8Array,
  memmap: VmcoreMemmap,
  ctx: ClassifyContext,
  nb: Neighbours,
  out: SectionOutput,
  fast: boolean,
): void {
  const facts = memmap.facts(nr)!;
  for (let c = 0; c < end - start; c += CHUNK_PFNS) {
    const n = Math.min(CHUNK_PFNS, end - start - c);
    const b = pages.buf.subarray(c * memmap.structSize),
      st = pages.status.subarray(c),
      cov = buddyCover.subarray(c);
    markBuddyBlocks(b, st, cov, ctx, n);
    classifySection(nr, start + c, n, b, st, cov, facts, ctx, nb, out, fast);
  }
}

/** Pre-pass over one section: mark PFNs covered by free buddy blocks (head type buddy, order = private). */
function markBuddyBlocks(buf: Buffer, status: Uint8Array, cover: Uint8Array, ctx: ClassifyContext, pps: number): void {
  cover.fill(0, 0, pps);
  const ss = ctx.structSize;
  // 32-bit view when the fields are aligned (always with the 64-byte struct page); else Buffer reads
  const w =
    ss % 4 === 0 && buf.byteOffset % 4 === 0 && ctx.off.mapcount % 4 === 0 && ctx.off.private % 4 === 0
      ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2)
      : undefined;
  const stride = ss >>> 2,
    mc = ctx.off.mapcount >>> 2,
    pv = ctx.off.private >>> 2;
  // page_type → is buddy, for the last value seen (a section holds few distinct type values)
  let lastM = 0,
    lastBuddy = false;
  const maxOrder = ctx.maxOrder ?? MAX_ORDER;
  for (let i = 0; i < pps; i++) {
    if (status[i] !== SP_OK) continue;
    const m = w ? w[i * stride + mc] : buf.readInt32LE(i * ss + ctx.off.mapcount);
    if (m >= -128) continue; // a mapcount, no page type (most pages)
    if (m !== lastM) {
      lastM = m;
      lastBuddy = ctx.types.typeOf(m >>> 0) === 'buddy';
    }
    if (!lastBuddy) continue;
    const privHi = w ? w[i * stride + pv + 1] : buf.readUInt32LE(i * ss + ctx.off.private + 4);
    if (privHi !== 0) continue;
    const order = w ? w[i * stride + pv] : buf.readUInt32LE(i * ss + ctx.off.private);
    if (order < 0 || order > maxOrder || (i & ((1 << order) - 1)) !== 0) continue;
    cover.fill(1, i, Math.min(pps, i + (1 << order)));
    i += (1 << order) - 1; // the rest of the block is covered; its pages cannot start another block here
  }
}

/** Whether the compound page whose struct page is at buf[off…] (head or tail) has its head on the LRU (THP). */
function compoundOnLruAt(
  pfn: number,
  buf: Buffer,
  off: number,
  ctx: ClassifyContext,
  nb: Neighbours,
): boolean | undefined {
  let sp: { buf: Buffer; off: number } | string = { buf, off };
  if (buf.readUInt32LE(off + ctx.off.compoundHead) & 1) {
    const h = nb.headPfn(buf.readBigUInt64LE(off + ctx.off.compoundHead), pfn);
    if (h === undefined) return undefined;
    sp = nb.structPage(h);
    if (typeof sp === 'string') return undefined;
  }
  return ((sp.buf.readUInt32LE(sp.off + ctx.off.flags) >>> ctx.bit.lru) & 1) === 1;
}
