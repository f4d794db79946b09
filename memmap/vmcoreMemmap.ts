// Access to the memmap (struct page array) of a dump: per-section bulk reads for the streaming pass
// and single struct-page reads (bounded caches underneath) for heads, page[1] and details.
import { PageAvail, PhysicalMemory } from '../parsers/dump/physmem';
import { headVaOfTail, type TailWordForms } from '../kernel/compound';
import {
  SECTION_DEVICE,
  SECTION_EARLY,
  SECTION_HAS_MEM_MAP,
  SECTION_ONLINE,
  SECTION_PRESENT,
} from '../kernel/sections';
import { MemSectionEntry, MemSectionTable, sectionDecodesToBase } from '../parsers/kernelMemory/memSection';
import type { KernelTranslator } from '../parsers/kernelMemory/translator';
import { SectionFacts } from './classifyPage';
import { setSubsectionMap, subsectionLayout, type SubsectionLayout } from './subsectionMap';
import { inRanges, type PfnRange } from '../kernel/pfnRange';

/** Status of each struct page slot after a section read. */
export const SP_OK = 0,
  SP_UNMAPPED = 1,
  SP_EXCLUDED = 2;

export class VmcoreMemmap {
  readonly pfnsPerSection: number;
  private readonly byNr = new Map<number, MemSectionEntry>();
  private readonly factsCache = new Map<number, SectionFacts>();
  /** PFN ranges backing vmemmap inside hot-added (non-early) sections, sorted. */
  private vmemmapBacking: PfnRange[] = [];
  readonly subsectionOffsetNote: string[] = [];
  /** Struct pages per page of memmap when they tile pages exactly (64-byte struct page), else 0 (generic path only). */
  private readonly perPage: number;
  /** pageSize - 1, for the offset of a kernel virtual address in its page. */
  private readonly pageMask: bigint;
  /** PFNs per subsection and subsections per section (from the page size and SUBSECTION_SHIFT). */
  private readonly subsections: SubsectionLayout;

  /** pageSize: the dump's (its Geometry's); by default what the dump's reader says. */
  constructor(
    readonly mem: PhysicalMemory,
    readonly vm: KernelTranslator,
    readonly table: MemSectionTable,
    readonly structSize: number,
    readonly pageSize = mem.pageSize,
    subsectionShift = 21,
  ) {
    this.pfnsPerSection = table.pfnsPerSection;
    for (const s of table.sections) this.byNr.set(s.nr, s);
    this.perPage = pageSize % structSize === 0 ? pageSize / structSize : 0;
    this.pageMask = BigInt(pageSize - 1);
    this.subsections = subsectionLayout(this.pfnsPerSection, subsectionShift, Math.log2(pageSize));
  }

  entry(nr: number): MemSectionEntry | undefined {
    return this.byNr.get(nr);
  }

  sectionWord(nr: number): bigint {
    return this.byNr.get(nr)?.word ?? 0n;
  }

  hasMemmap(nr: number): boolean {
    const w = this.sectionWord(nr);
    return (w & BigInt(SECTION_PRESENT)) !== 0n && (w & BigInt(SECTION_HAS_MEM_MAP)) !== 0n;
  }

  trusted(nr: number): boolean {
    const e = this.byNr.get(nr);
    return !!e && sectionDecodesToBase(this.table, e);
  }

  facts(nr: number): SectionFacts | undefined {
    const cached = this.factsCache.get(nr);
    if (cached) return cached;
    const e = this.byNr.get(nr);
    if (!e) return undefined;
    const w = Number(e.word & 0x3fn);
    const f: SectionFacts = {
      online: (w & SECTION_ONLINE) !== 0,
      early: (w & SECTION_EARLY) !== 0,
      device: (w & SECTION_DEVICE) !== 0,
    };
    const map = !f.early && e.usage ? this.readSubsectionMap(e.usage) : undefined;
    if (map !== undefined) setSubsectionMap(f, map, this.subsections);
    this.factsCache.set(nr, f);
    return f;
  }

  /**
   * mem_section_usage.subsection_map sits at offset 0, or 16 after "mm/sparsemem: fix race in accessing
   * memory_section->usage" (6.8, backported to stables) put an rcu_head in front. The rcu_head of a live
   * usage is zero, so two zero words followed by a non-zero map mean the new layout. The map is one
   * 64-bit word per 64 subsections (several with arm64's 512 MiB sections of 64 KiB pages).
   */
  private readSubsectionMap(usage: bigint): bigint | undefined {
    const words = Math.ceil(this.subsections.count / 64);
    const b = this.vm.read(usage, 16 + 8 * words);
    if (!b) return undefined;
    const mapAt = (off: number) => {
      let m = 0n;
      for (let i = words - 1; i >= 0; i--) m = (m << 64n) | b.readBigUInt64LE(off + 8 * i);
      return m & ((1n << BigInt(this.subsections.count)) - 1n);
    };
    const atRcu = mapAt(16);
    return b.readBigUInt64LE(0) === 0n && b.readBigUInt64LE(8) === 0n && atRcu !== 0n ? atRcu : mapAt(0);
  }

  /** Virtual address of the struct page of pfn. */
  structVa(pfn: number): bigint {
    return this.table.vmemmapBase + BigInt(pfn) * BigInt(this.structSize);
  }

  /** Head PFN of the tail page tailPfn from its tail word (either form: kernel/compound.ts), or undefined when implausible. */
  headPfnOfTail(tailWord: bigint, tailPfn: number, forms: TailWordForms): number | undefined {
    return this.pfnOfStructVa(headVaOfTail(tailWord, this.structVa(tailPfn), forms));
  }

  /** PFN of the struct page at a vmemmap address (for compound_head), or undefined when not aligned/in range. */
  pfnOfStructVa(va: bigint): number | undefined {
    const d = va - this.table.vmemmapBase;
    if (d < 0n || d % BigInt(this.structSize) !== 0n) return undefined;
    const pfn = d / BigInt(this.structSize);
    return pfn < BigInt(Number.MAX_SAFE_INTEGER) ? Number(pfn) : undefined;
  }

  /** Maps the vmemmap of every present section once: records which PFNs back vmemmap of hot-added sections. */
  collectVmemmapBacking(): void {
    const ranges: PfnRange[] = [];
    const bytes = this.pfnsPerSection * this.structSize;
    for (const s of this.table.sections) {
      if (!this.hasMemmap(s.nr) || s.word & BigInt(SECTION_EARLY)) continue;
      let va = this.structVa(s.nr * this.pfnsPerSection);
      const end = va + BigInt(bytes);
      while (va < end) {
        const m = this.vm.translate(va);
        const step = m ? Math.min(m.span, Number(end - va)) : this.pageSize;
        if (m) ranges.push([Math.floor(m.pa / this.pageSize), Math.ceil((m.pa + step) / this.pageSize)]);
        va += BigInt(step);
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: PfnRange[] = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.vmemmapBacking = merged;
  }

  backsVmemmap(pfn: number): boolean {
    return inRanges(this.vmemmapBacking, pfn);
  }

  /** Physical page backing each page of a section's memmap (-1: unmapped), for the last few sections used. */
  private readonly physMaps = new Map<number, Float64Array>();
  private static readonly PHYS_MAP_CACHE = 64;
  /** Scratch for readPagesInto's per-page availability. */
  private availScratch = new Uint8Array(0);

  /** Which physical page holds each page of the memmap of section nr: one translation per mapping (2 MiB). */
  private physMap(nr: number): Float64Array {
    let m = this.physMaps.get(nr);
    if (m) {
      this.physMaps.delete(nr);
      this.physMaps.set(nr, m);
      return m;
    }
    const ps = this.pageSize;
    const nPages = Math.ceil((this.pfnsPerSection * this.structSize) / ps);
    m = new Float64Array(nPages).fill(-1);
    const base = this.structVa(nr * this.pfnsPerSection); // page aligned: a section's struct pages fill whole pages
    for (let p = 0; p < nPages;) {
      const t = this.vm.translate(base + BigInt(p * ps));
      if (!t) {
        p++;
        continue;
      }
      const k = Math.max(1, Math.floor(t.span / ps));
      const pfn0 = Math.floor(t.pa / ps);
      for (let j = 0; j < k && p + j < nPages; j++) m[p + j] = pfn0 + j;
      p += k;
    }
    if (this.physMaps.size >= VmcoreMemmap.PHYS_MAP_CACHE)
      this.physMaps.delete(this.physMaps.keys().next().value as number);
    this.physMaps.set(nr, m);
    return m;
  }

  /**
   * Reads the struct pages of PFNs [startPfn, startPfn + count) into out (count * structSize bytes);
   * status[i] says whether slot i is valid, unmapped, or excluded from the dump. Whole pages of
   * struct pages go through one bulk read per physically contiguous run; anything else takes the
   * reference path.
   */
  readStructPages(startPfn: number, count: number, out: Buffer, status: Uint8Array): void {
    if (!this.bulkEligible(startPfn, count)) {
      this.readStructPagesReference(startPfn, count, out, status);
      return;
    }
    const av = this.availFor(count);
    for (const r of this.physRuns(startPfn, count, out, av))
      this.mem.readPagesInto(r.ppfn, r.n, out, r.i * this.pageSize, av, r.i);
    this.setStatus(count, out, av, status);
  }

  /**
   * readStructPages with the file reads on a background thread where the dump supports it (ELF), so the
   * caller can classify one section while the next is read. Uses its own availability scratch: one
   * read may be in flight while another section is read synchronously (heads, details).
   */
  async readStructPagesAsync(startPfn: number, count: number, out: Buffer, status: Uint8Array): Promise<void> {
    const mem = this.mem;
    if (!mem.readPagesIntoAsync || !this.bulkEligible(startPfn, count)) {
      this.readStructPages(startPfn, count, out, status);
      return;
    }
    const av = new Uint8Array(count / this.perPage);
    const ps = this.pageSize;
    await Promise.all(
      this.physRuns(startPfn, count, out, av).map((r) => mem.readPagesIntoAsync!(r.ppfn, r.n, out, r.i * ps, av, r.i)),
    );
    this.setStatus(count, out, av, status);
  }

  /** Whole pages of struct pages inside one section: the bulk paths apply. */
  private bulkEligible(startPfn: number, count: number): boolean {
    const pp = this.perPage;
    const nr = Math.floor(startPfn / this.pfnsPerSection);
    return pp !== 0 && startPfn % pp === 0 && count % pp === 0 && startPfn + count <= (nr + 1) * this.pfnsPerSection;
  }

  private availFor(count: number): Uint8Array {
    const nPages = count / this.perPage;
    if (this.availScratch.length < nPages) this.availScratch = new Uint8Array(nPages);
    return this.availScratch;
  }

  /** Physically contiguous runs of the memmap pages of [startPfn, startPfn + count); unmapped pages are zeroed and marked Hole. */
  private physRuns(
    startPfn: number,
    count: number,
    out: Buffer,
    av: Uint8Array,
  ): { ppfn: number; n: number; i: number }[] {
    const pp = this.perPage;
    const pps = this.pfnsPerSection;
    const nr = Math.floor(startPfn / pps);
    const map = this.physMap(nr);
    const firstPage = (startPfn - nr * pps) / pp;
    const nPages = count / pp;
    const runs: { ppfn: number; n: number; i: number }[] = [];
    let i = 0;
    while (i < nPages) {
      const ppfn = map[firstPage + i];
      if (ppfn < 0) {
        out.fill(0, i * this.pageSize, (i + 1) * this.pageSize);
        av[i] = PageAvail.Hole;
        i++;
        continue;
      }
      let n = 1;
      while (i + n < nPages && map[firstPage + i + n] === ppfn + n) n++;
      runs.push({ ppfn, n, i });
      i += n;
    }
    return runs;
  }

  private setStatus(count: number, out: Buffer, av: Uint8Array, status: Uint8Array): void {
    const pp = this.perPage;
    const nPages = count / pp;
    for (let p = 0; p < nPages; p++) {
      const a = av[p];
      const st = a === PageAvail.Data ? SP_OK : a === PageAvail.Hole ? SP_UNMAPPED : SP_EXCLUDED;
      status.fill(st, p * pp, (p + 1) * pp);
      if (st !== SP_OK) out.fill(0, p * this.pageSize, (p + 1) * this.pageSize);
    }
  }

  /** The struct page of pfn inside the dump's cached page (no copy; must not be modified), or why not. */
  structPageView(pfn: number): { buf: Buffer; off: number } | 'unmapped' | 'excluded' {
    const pp = this.perPage;
    if (!pp) return this.structPage(pfn);
    const pps = this.pfnsPerSection;
    const nr = Math.floor(pfn / pps);
    const e = this.byNr.get(nr);
    if (!e) return 'unmapped';
    const ppfn = this.physMap(nr)[Math.floor((pfn - nr * pps) / pp)];
    if (ppfn < 0) return 'unmapped';
    const a = this.mem.avail(ppfn);
    if (a === PageAvail.Hole) return 'unmapped';
    const page = a === PageAvail.Data ? this.mem.readPage(ppfn) : undefined;
    if (!page) return 'excluded';
    return { buf: page, off: (pfn % pp) * this.structSize };
  }

  /** Reference path: translates and copies page by page (any struct page size, any alignment). */
  readStructPagesReference(startPfn: number, count: number, out: Buffer, status: Uint8Array): void {
    const ss = this.structSize,
      ps = this.pageSize;
    const total = count * ss;
    let done = 0;
    const base = this.structVa(startPfn);
    while (done < total) {
      const va = base + BigInt(done);
      const m = this.vm.translate(va);
      const inPage = ps - Number(va & this.pageMask);
      const n = Math.min(total - done, inPage);
      let st = SP_OK;
      if (!m) st = SP_UNMAPPED;
      else {
        const pfn = Math.floor(m.pa / ps);
        const a = this.mem.avail(pfn);
        const page = a === PageAvail.Data ? this.mem.readPage(pfn) : undefined;
        if (!page) st = a === PageAvail.Hole ? SP_UNMAPPED : SP_EXCLUDED;
        else page.copy(out, done, m.pa - pfn * ps, m.pa - pfn * ps + n);
      }
      if (st !== SP_OK) out.fill(0, done, done + n);
      const first = Math.floor(done / ss),
        last = Math.ceil((done + n) / ss);
      for (let i = first; i < last; i++) if (st !== SP_OK || status[i] === SP_OK) status[i] = Math.max(status[i], st);
      done += n;
    }
  }

  /** One struct page (a fresh 64-byte buffer) or why it cannot be read. */
  structPage(pfn: number): { buf: Buffer; off: number } | 'unmapped' | 'excluded' {
    const buf = Buffer.alloc(this.structSize);
    const st = new Uint8Array(1);
    this.readStructPagesReference(pfn, 1, buf, st);
    return st[0] === SP_OK ? { buf, off: 0 } : st[0] === SP_UNMAPPED ? 'unmapped' : 'excluded';
  }
}
