// A sparse picture of the memmap rebuilt from tool output: 64-byte struct pages laid out as in the
// kernel (x86_64 offsets), plus which PFNs the output covered. Storage is in chunks of CHUNK_PFNS
// PFNs, allocated only where a row lands, so a listing costs memory for the rows it holds (about
// 4 KiB per isolated row at worst), never for the span its addresses imply.
// crash and drgn outputs fill it; memmap/classifyPage.ts then classifies it exactly like a vmcore.

export const STRUCT_PAGE_SIZE = 64;
/** x86_64 offsets (VMCOREINFO on every Debian build; docs/kernel/struct-page-and-flags.md). */
export const OFF = {
  flags: 0,
  compoundHead: 8,
  word16: 16,
  mapping: 24,
  index: 32,
  private: 40,
  mapcount: 48,
  refcount: 52,
} as const;

import { SnapshotError } from '../errors';

/**
 * x86_64 physical addresses have at most 52 bits: no page frame of a real machine is at or past
 * 2^40. A listing row beyond it is damaged; PFNs past 2^53 are not even exact numbers (a loop over
 * them never advances), so the image refuses them.
 */
export const MAX_PFN = 2 ** 40;

/** What a PFN's struct page holds in this image. */
export const COVER_NONE = 0,
  COVER_PAGE = 1,
  COVER_UNREADABLE = 2;

/** PFNs per storage chunk (a power of two dividing every section size). */
export const CHUNK_PFNS = 64;

/** One chunk: CHUNK_PFNS struct pages and their coverage bytes; `base` is its first PFN. */
export interface ImageChunk {
  base: number;
  buf: Buffer;
  cover: Uint8Array;
}

export class PageImage {
  private readonly chunkMap = new Map<number, ImageChunk>();
  private sortedKeys?: number[];
  /** Number of PFNs with COVER_PAGE. */
  pages = 0;
  unreadable = 0;
  minPfn = Infinity;
  maxPfn = -1;

  constructor(readonly pfnsPerSection = 1 << 15) {}

  private chunk(pfn: number): ImageChunk {
    if (!(pfn >= 0 && pfn < MAX_PFN) || !Number.isInteger(pfn))
      throw new SnapshotError(
        'tool output',
        `page frame ${pfn} is not a page frame of an x86_64 machine (physical addresses have at most 52 bits): the listing is damaged`,
      );
    const key = Math.floor(pfn / CHUNK_PFNS);
    let c = this.chunkMap.get(key);
    if (!c) {
      const buf = Buffer.alloc(CHUNK_PFNS * STRUCT_PAGE_SIZE);
      for (let o = OFF.mapcount; o < buf.length; o += STRUCT_PAGE_SIZE) buf.writeInt32LE(-1, o);
      c = { base: key * CHUNK_PFNS, buf, cover: new Uint8Array(CHUNK_PFNS) };
      this.chunkMap.set(key, c);
      this.sortedKeys = undefined;
    }
    return c;
  }

  /** Buffer and byte offset of pfn's struct page, allocating its chunk (zero-filled, _mapcount -1). */
  slot(pfn: number): { buf: Buffer; off: number } {
    const c = this.chunk(pfn);
    return { buf: c.buf, off: (pfn - c.base) * STRUCT_PAGE_SIZE };
  }

  /**
   * The chunk of pfn for bulk writers: its struct pages as 32-bit words (little-endian host), its
   * coverage bytes, and its first PFN. Writers that set coverage here call noteCovered().
   */
  chunkWords(pfn: number): { u32: Uint32Array; cover: Uint8Array; base: number } {
    const c = this.chunk(pfn);
    return { u32: new Uint32Array(c.buf.buffer, c.buf.byteOffset, c.buf.length >>> 2), cover: c.cover, base: c.base };
  }

  /** Bookkeeping after a bulk writer turned `added` PFNs in [lo, hi] from uncovered to COVER_PAGE. */
  noteCovered(added: number, lo: number, hi: number): void {
    this.pages += added;
    if (lo < this.minPfn) this.minPfn = lo;
    if (hi > this.maxPfn) this.maxPfn = hi;
  }

  /** Marks pfn as covered (its slot has been filled) or unreadable. */
  mark(pfn: number, what: number): void {
    const c = this.chunk(pfn);
    const i = pfn - c.base;
    if (c.cover[i] === COVER_PAGE) this.pages--;
    else if (c.cover[i] === COVER_UNREADABLE) this.unreadable--;
    c.cover[i] = what;
    if (what === COVER_PAGE) this.pages++;
    else if (what === COVER_UNREADABLE) this.unreadable++;
    if (what !== COVER_NONE) {
      if (pfn < this.minPfn) this.minPfn = pfn;
      if (pfn > this.maxPfn) this.maxPfn = pfn;
    }
  }

  coverage(pfn: number): number {
    const c = this.chunkMap.get(Math.floor(pfn / CHUNK_PFNS));
    return c ? c.cover[pfn - c.base] : COVER_NONE;
  }

  /** The struct page of a covered PFN, or undefined. */
  page(pfn: number): { buf: Buffer; off: number } | undefined {
    const c = this.chunkMap.get(Math.floor(pfn / CHUNK_PFNS));
    return c && c.cover[pfn - c.base] === COVER_PAGE
      ? { buf: c.buf, off: (pfn - c.base) * STRUCT_PAGE_SIZE }
      : undefined;
  }

  /** All chunks, ascending by first PFN (for loops over everything listed). */
  chunks(): ImageChunk[] {
    this.sortedKeys ??= [...this.chunkMap.keys()].sort((a, b) => a - b);
    return this.sortedKeys.map((k) => this.chunkMap.get(k)!);
  }

  /** Chunks that overlap [from, to), ascending. */
  chunksIn(from: number, to: number): ImageChunk[] {
    const out: ImageChunk[] = [];
    const a = Math.floor(from / CHUNK_PFNS),
      b = Math.floor((to - 1) / CHUNK_PFNS);
    if (b - a + 1 > this.chunkMap.size) return this.chunks().filter((c) => c.base + CHUNK_PFNS > from && c.base < to);
    for (let k = a; k <= b; k++) {
      const c = this.chunkMap.get(k);
      if (c) out.push(c);
    }
    return out;
  }

  /** Section numbers (of pfnsPerSection PFNs) that hold any chunk, ascending. */
  sectionNrs(): number[] {
    const out: number[] = [];
    for (const c of this.chunks()) {
      const nr = Math.floor(c.base / this.pfnsPerSection);
      if (out[out.length - 1] !== nr) out.push(nr);
    }
    return out;
  }

  /** Bytes held by struct page and coverage storage (grows with the rows, not the span). */
  storageBytes(): number {
    return this.chunkMap.size * CHUNK_PFNS * (STRUCT_PAGE_SIZE + 1);
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
