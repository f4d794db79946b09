// Reads of kernel virtual memory on top of an architecture's translate(): byte ranges, u64s, C strings,
// with large reads (kallsyms tables, struct page arrays) going through the dump's bulk read one
// physically contiguous run at a time. An architecture supplies translate() and describe().
import { PageAvail, type PhysicalMemory } from '../parsers/dump/physmem';
import type { KernelTranslator, Mapping } from '../parsers/kernelMemory/translator';

/** Reads at least this long take the bulk path. */
const BULK_READ_MIN = 16384;

export abstract class TranslatorBase implements KernelTranslator {
  /** The dump's page size (the unit of PhysicalMemory reads). */
  protected readonly dumpPage: number;
  constructor(protected readonly mem: PhysicalMemory) {
    this.dumpPage = mem.pageSize;
  }

  abstract translate(va: bigint): Mapping | undefined;
  abstract describe(): string;

  /**
   * The page-table entry at a physical address, little-endian, or undefined when the dump lacks the
   * page or the address is not 8-byte aligned (entries always are: an unaligned one comes from a
   * damaged table pointer, and could straddle two pages).
   */
  protected readPhysU64(pa: bigint): bigint | undefined {
    if (pa % 8n !== 0n) return undefined;
    const ps = BigInt(this.dumpPage);
    const page = this.mem.readPage(Number(pa / ps));
    return page ? page.readBigUInt64LE(Number(pa % ps)) : undefined;
  }

  read(va: bigint, len: number): Buffer | undefined {
    if (len >= BULK_READ_MIN) return this.readBulk(va, len);
    const ps = this.dumpPage;
    const out = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const m = this.translate(va + BigInt(done));
      if (!m) return undefined;
      const pfn = Math.floor(m.pa / ps);
      const off = m.pa - pfn * ps;
      const page = this.mem.readPage(pfn);
      if (!page) return undefined;
      const n = Math.min(len - done, ps - off);
      page.copy(out, done, off, off + n);
      done += n;
    }
    return out;
  }

  private readBulk(va: bigint, len: number): Buffer | undefined {
    const runs = this.physicalRuns(va, len);
    if (!runs) return undefined;
    const ps = this.dumpPage;
    const out = Buffer.allocUnsafe(len);
    let done = 0;
    for (const { pfn0, off, n } of runs) {
      const pages = Math.ceil((off + n) / ps);
      const tmp = Buffer.allocUnsafe(pages * ps);
      const avail = new Uint8Array(pages);
      this.mem.readPagesInto(pfn0, pages, tmp, 0, avail, 0);
      for (let i = 0; i < pages; i++) if (!readable(avail[i] as PageAvail)) return undefined;
      tmp.copy(out, done, off, off + n);
      done += n;
    }
    return out;
  }

  /**
   * The physically contiguous runs [first page, offset in it, bytes] that make up len bytes at va,
   * or undefined when a byte is unmapped or its page is missing from the dump: known before anything
   * is allocated or read (a scan of the kernel image in a small or damaged dump is mostly such reads).
   */
  private physicalRuns(va: bigint, len: number): { pfn0: number; off: number; n: number }[] | undefined {
    const ps = this.dumpPage;
    const runs: { pfn0: number; off: number; n: number }[] = [];
    for (let done = 0; done < len;) {
      const m = this.translate(va + BigInt(done));
      if (!m) return undefined;
      let n = Math.min(len - done, m.span);
      while (done + n < len) {
        const next = this.translate(va + BigInt(done + n));
        if (!next || next.pa !== m.pa + n) break;
        n = Math.min(len - done, n + next.span);
      }
      const pfn0 = Math.floor(m.pa / ps);
      const off = m.pa - pfn0 * ps;
      for (let i = 0, pages = Math.ceil((off + n) / ps); i < pages; i++)
        if (!readable(this.mem.avail(pfn0 + i))) return undefined;
      runs.push({ pfn0, off, n });
      done += n;
    }
    return runs;
  }

  readU64(va: bigint): bigint | undefined {
    const b = this.read(va, 8);
    return b ? b.readBigUInt64LE(0) : undefined;
  }

  readCString(va: bigint, max = 256): string | undefined {
    const ps = BigInt(this.dumpPage);
    const b = this.read(va, max) ?? this.read(va, Number(ps - (va % ps)));
    if (!b) return undefined;
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? b.length : z).toString('latin1');
  }
}

const readable = (a: PageAvail): boolean => a === PageAvail.Data || a === PageAvail.ZeroFill;
