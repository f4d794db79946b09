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

  /** The 8 bytes at a physical address, little-endian, or undefined when the dump lacks the page. */
  protected readPhysU64(pa: bigint): bigint | undefined {
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
    const ps = this.dumpPage;
    const out = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const m = this.translate(va + BigInt(done));
      if (!m) return undefined;
      let n = Math.min(len - done, m.span);
      while (done + n < len) {
        const next = this.translate(va + BigInt(done + n));
        if (!next || next.pa !== m.pa + n) break;
        n = Math.min(len - done, n + next.span);
      }
      const pfn0 = Math.floor(m.pa / ps),
        off = m.pa - pfn0 * ps;
      const pages = Math.ceil((off + n) / ps);
      const tmp = Buffer.allocUnsafe(pages * ps);
      const avail = new Uint8Array(pages);
      this.mem.readPagesInto(pfn0, pages, tmp, 0, avail, 0);
      for (let i = 0; i < pages; i++)
        if (avail[i] !== PageAvail.Data && avail[i] !== PageAvail.ZeroFill) return undefined;
      tmp.copy(out, done, off, off + n);
      done += n;
    }
    return out;
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
