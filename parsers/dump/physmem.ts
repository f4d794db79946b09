// Physical memory of a dump, page by page, with a bounded LRU page cache.

/** Whether a pass of bulk reads decodes pages on a worker thread too: when it pays, always, never. */
export type DecodeWorkerMode = 'auto' | 'always' | 'never';

/** What the dump holds for one PFN. */
export const enum PageAvail {
  /** Not RAM / not in the dump at all. */
  Hole = 0,
  /** RAM, but filtered out of the dump (makedumpfile dump level). */
  Excluded = 1,
  /** In the dump as zero-fill (ELF p_filesz < p_memsz): content unknown for makedumpfile -E output, zeros otherwise. */
  ZeroFill = 2,
  /** Real data in the file. */
  Data = 3,
}

export interface PhysicalMemory {
  readonly pageSize: number;
  /** One past the highest PFN the dump describes. */
  readonly maxPfn: number;
  /**
   * One past the highest PFN whose page the file holds, when that is below maxPfn: an ELF dump's
   * PT_LOADs may describe memory as zero-fill (p_memsz > p_filesz) that no byte of the file backs.
   * Undefined when every PFN up to maxPfn is backed by the file (a kdump's bitmaps cover max_mapnr).
   */
  readonly dataEndPfn?: number;
  /**
   * Bytes of page data the file holds (an ELF dump's PT_LOAD file bytes, a kdump's dumpable pages),
   * when known: a bound for claims made by damaged tables (a memmap has to be somewhere in them).
   */
  readonly dataBytes?: number;
  avail(pfn: number): PageAvail;
  /** The page's bytes (ZeroFill reads as zeros), or undefined when Hole/Excluded. The buffer must not be modified. */
  readPage(pfn: number): Buffer | undefined;
  /**
   * Bulk read of PFNs [pfn, pfn + count) into out[outOff…] (count pages); avail[availOff + i] receives
   * the PageAvail of each page. Pages that are not Data are zero-filled in out. Bypasses the page
   * cache (streaming reads would only evict useful pages).
   */
  readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): void;
  /**
   * The same bulk read with the file reads on a background thread, for formats whose pages need no
   * decoding (ELF): the memmap pass reads the next section while it classifies this one.
   */
  readPagesIntoAsync?(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
  ): Promise<void>;
  /**
   * A pass of bulk reads (readPagesIntoAsync) over about `pages` pages begins: formats whose pages need
   * decoding (kdump) may start a decode worker thread when that pays; mode 'always'/'never' decides
   * instead (tests, benchmarks), undefined reads KMEMMAP_DECODE_WORKER, else 'auto'.
   */
  beginBulkReads?(pages: number, mode?: DecodeWorkerMode): void;
  /** The pass is over (or failed): stops helper threads; notes for the provenance (how pages were decoded). */
  endBulkReads?(): Promise<string[]>;
  /** Cache statistics, for benchmarks. */
  stats(): { hits: number; misses: number; decoded: number };
  close(): void;
}

/** Base class: subclasses implement loadPage(); reads go through an LRU cache of decoded pages. */
export abstract class CachedPhysicalMemory implements PhysicalMemory {
  abstract readonly pageSize: number;
  abstract readonly maxPfn: number;
  private cache = new Map<number, Buffer>();
  private hits = 0;
  private misses = 0;
  protected decoded = 0;
  constructor(private readonly cachePages = 1024) {}
  abstract avail(pfn: number): PageAvail;
  protected abstract loadPage(pfn: number): Buffer | undefined;
  readPage(pfn: number): Buffer | undefined {
    const c = this.cache.get(pfn);
    if (c) {
      this.hits++;
      this.cache.delete(pfn);
      this.cache.set(pfn, c);
      return c;
    }
    this.misses++;
    const p = this.loadPage(pfn);
    if (!p) return undefined;
    this.cache.set(pfn, p);
    if (this.cache.size > this.cachePages) this.cache.delete(this.cache.keys().next().value as number);
    return p;
  }
  /** Default bulk read: page by page through loadPage(); formats override it with larger reads. */
  readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): void {
    const ps = this.pageSize;
    for (let i = 0; i < count; i++) {
      const a = this.avail(pfn + i);
      const at = outOff + i * ps;
      const page = a === PageAvail.Data || a === PageAvail.ZeroFill ? this.loadPage(pfn + i) : undefined;
      if (page) page.copy(out, at, 0, ps);
      else out.fill(0, at, at + ps);
      avail[availOff + i] = page || a !== PageAvail.Data ? a : PageAvail.Excluded;
    }
  }
  stats() {
    return { hits: this.hits, misses: this.misses, decoded: this.decoded };
  }
  abstract close(): void;
}

/** Reads len bytes at a physical address; undefined if any page is not readable. */
export function readPhys(mem: PhysicalMemory, paddr: number, len: number): Buffer | undefined {
  const ps = mem.pageSize;
  const out = Buffer.allocUnsafe(len);
  let done = 0;
  while (done < len) {
    const a = paddr + done;
    const pfn = Math.floor(a / ps);
    const off = a - pfn * ps;
    const page = mem.readPage(pfn);
    if (!page) return undefined;
    const n = Math.min(len - done, ps - off);
    page.copy(out, done, off, off + n);
    done += n;
  }
  return out;
}
