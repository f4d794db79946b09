// A sparse picture of the memmap rebuilt from tool output: 64-byte struct pages laid out as in the
// kernel (x86_64 offsets), one buffer per memory section, plus which PFNs the output covered.
// crash and drgn outputs fill it; memmap/classifyPage.ts then classifies it exactly like a vmcore.

export const STRUCT_PAGE_SIZE = 64;
/** x86_64 offsets (VMCOREINFO on every Debian build; kernel-page-state.md §1.1). */
export const OFF = { flags: 0, compoundHead: 8, word16: 16, mapping: 24, index: 32, private: 40, mapcount: 48, refcount: 52 } as const;

import { SnapshotError } from '../../memmap/errors';

/**
 * x86_64 physical addresses have at most 52 bits: no page frame of a real machine is at or past
 * 2^40. A listing row beyond it is damaged; PFNs past 2^53 are not even exact numbers (a loop over
 * them never advances), so the image refuses them.
 */
export const MAX_PFN = 2 ** 40;

/** What a PFN's struct page holds in this image. */
export const COVER_NONE = 0, COVER_PAGE = 1, COVER_UNREADABLE = 2;

export class PageImage {
  private readonly bufs = new Map<number, Buffer>();
  private readonly cover = new Map<number, Uint8Array>();
  /** Number of PFNs with COVER_PAGE. */
  pages = 0;
  unreadable = 0;
  minPfn = Infinity;
  maxPfn = -1;

  constructor(readonly pfnsPerSection = 1 << 15) {}

  /** Buffer and byte offset of pfn's struct page, allocating its section (zero-filled, _mapcount -1). */
  slot(pfn: number): { buf: Buffer; off: number } {
    if (!(pfn >= 0 && pfn < MAX_PFN) || !Number.isInteger(pfn))
      throw new SnapshotError('tool output', `page frame ${pfn} is not a page frame of an x86_64 machine (physical addresses have at most 52 bits): the listing is damaged`);
    const nr = Math.floor(pfn / this.pfnsPerSection);
    let b = this.bufs.get(nr);
    if (!b) {
      b = Buffer.alloc(this.pfnsPerSection * STRUCT_PAGE_SIZE);
      for (let o = OFF.mapcount; o < b.length; o += STRUCT_PAGE_SIZE) b.writeInt32LE(-1, o);
      this.bufs.set(nr, b);
      this.cover.set(nr, new Uint8Array(this.pfnsPerSection));
    }
    return { buf: b, off: (pfn - nr * this.pfnsPerSection) * STRUCT_PAGE_SIZE };
  }

  /**
   * The whole section of pfn for bulk writers: its struct pages as 32-bit words (little-endian host),
   * its coverage bytes, and the section's first PFN. Writers that set coverage here call noteCovered().
   */
  sectionWords(pfn: number): { u32: Uint32Array; cover: Uint8Array; base: number } {
    const { buf } = this.slot(pfn);
    const nr = Math.floor(pfn / this.pfnsPerSection);
    return { u32: new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2), cover: this.cover.get(nr)!, base: nr * this.pfnsPerSection };
  }

  /** Bookkeeping after a bulk writer turned `added` PFNs in [lo, hi] from uncovered to COVER_PAGE. */
  noteCovered(added: number, lo: number, hi: number): void {
    this.pages += added;
    if (lo < this.minPfn) this.minPfn = lo;
    if (hi > this.maxPfn) this.maxPfn = hi;
  }

  /** Marks pfn as covered (its slot has been filled) or unreadable. */
  mark(pfn: number, what: number): void {
    const nr = Math.floor(pfn / this.pfnsPerSection);
    if (!this.cover.has(nr)) this.slot(pfn);
    const c = this.cover.get(nr)!;
    const i = pfn - nr * this.pfnsPerSection;
    if (c[i] === COVER_PAGE) this.pages--;
    else if (c[i] === COVER_UNREADABLE) this.unreadable--;
    c[i] = what;
    if (what === COVER_PAGE) this.pages++;
    else if (what === COVER_UNREADABLE) this.unreadable++;
    if (what !== COVER_NONE) {
      if (pfn < this.minPfn) this.minPfn = pfn;
      if (pfn > this.maxPfn) this.maxPfn = pfn;
    }
  }

  coverage(pfn: number): number {
    const nr = Math.floor(pfn / this.pfnsPerSection);
    const c = this.cover.get(nr);
    return c ? c[pfn - nr * this.pfnsPerSection] : COVER_NONE;
  }

  /** The struct page of a covered PFN, or undefined. */
  page(pfn: number): { buf: Buffer; off: number } | undefined {
    return this.coverage(pfn) === COVER_PAGE ? this.slot(pfn) : undefined;
  }

  /** Struct pages and coverage bytes of section nr, when it holds anything (for loops over a whole section). */
  section(nr: number): { buf: Buffer; cover: Uint8Array } | undefined {
    const buf = this.bufs.get(nr);
    return buf ? { buf, cover: this.cover.get(nr)! } : undefined;
  }

  /** Section numbers that hold any covered PFN, ascending. */
  sectionNrs(): number[] {
    return [...this.cover.keys()].sort((a, b) => a - b);
  }

  /** Copies the struct page of `from` into `to` (run-length repeats). */
  copy(from: number, to: number): void {
    const a = this.slot(from);
    const b = this.slot(to);
    a.buf.copy(b.buf, b.off, a.off, a.off + STRUCT_PAGE_SIZE);
  }
}

/** Writes a 64-bit value given as two 32-bit halves. */
export function writeU64(buf: Buffer, off: number, lo: number, hi: number): void {
  buf.writeUInt32LE(lo >>> 0, off);
  buf.writeUInt32LE(hi >>> 0, off + 4);
}

/** Parses a hex string (no 0x) of up to 16 digits into [lo, hi] 32-bit halves; undefined if not hex. */
export function hexHalves(s: string): [number, number] | undefined {
  if (!s.length || s.length > 16 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  const cut = Math.max(0, s.length - 8);
  return [parseInt(s.slice(cut), 16) >>> 0, cut ? parseInt(s.slice(0, cut), 16) >>> 0 : 0];
}
