// A dump whose blocks are larger than the kernel's pages, seen in the kernel's page size: QEMU writes
// the kdump of an aarch64 guest in 64 KiB blocks (block_size 65536, one page_desc per 64 KiB,
// whatever page size the guest kernel uses), while the readers address memory by the kernel's PFNs
// (VMCOREINFO PAGESIZE, e.g. 4 KiB). Each small page is a slice of its block; a block's availability
// (hole, excluded, data) is that of each of its small pages.
import { PageAvail, type DecodeWorkerMode, type PhysicalMemory } from './physmem';

export class SubPagedMemory implements PhysicalMemory {
  readonly pageSize: number;
  readonly maxPfn: number;
  readonly dataEndPfn?: number;
  readonly dataBytes?: number;
  /** small pages per block */
  private readonly k: number;
  readPagesIntoAsync?: PhysicalMemory['readPagesIntoAsync'];

  constructor(
    readonly inner: PhysicalMemory,
    pageSize: number,
  ) {
    if (inner.pageSize % pageSize !== 0)
      throw new Error(`block size ${inner.pageSize} is not a multiple of page size ${pageSize}`);
    this.pageSize = pageSize;
    this.k = inner.pageSize / pageSize;
    this.maxPfn = inner.maxPfn * this.k;
    if (inner.dataEndPfn !== undefined) this.dataEndPfn = inner.dataEndPfn * this.k;
    this.dataBytes = inner.dataBytes;
    if (inner.readPagesIntoAsync) {
      this.readPagesIntoAsync = async (pfn, count, out, outOff, avail, availOff) => {
        const r = this.blockRange(pfn, count);
        const tmp = Buffer.allocUnsafe(r.n * this.inner.pageSize);
        const av = new Uint8Array(r.n);
        await this.inner.readPagesIntoAsync!(r.first, r.n, tmp, 0, av, 0);
        this.scatter(pfn, count, r.first, tmp, av, out, outOff, avail, availOff);
      };
    }
  }

  avail(pfn: number): PageAvail {
    return this.inner.avail(Math.floor(pfn / this.k));
  }

  readPage(pfn: number): Buffer | undefined {
    const block = this.inner.readPage(Math.floor(pfn / this.k));
    if (!block) return undefined;
    const off = (pfn % this.k) * this.pageSize;
    return block.subarray(off, off + this.pageSize);
  }

  private blockRange(pfn: number, count: number): { first: number; n: number } {
    const first = Math.floor(pfn / this.k);
    return { first, n: Math.floor((pfn + count - 1) / this.k) - first + 1 };
  }

  private scatter(
    pfn: number,
    count: number,
    first: number,
    tmp: Buffer,
    av: Uint8Array,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
  ): void {
    const ps = this.pageSize;
    const from = (pfn - first * this.k) * ps;
    tmp.copy(out, outOff, from, from + count * ps);
    for (let i = 0; i < count; i++) avail[availOff + i] = av[Math.floor((pfn + i) / this.k) - first]!;
  }

  readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): void {
    if (count <= 0) return;
    const r = this.blockRange(pfn, count);
    const tmp = Buffer.allocUnsafe(r.n * this.inner.pageSize);
    const av = new Uint8Array(r.n);
    this.inner.readPagesInto(r.first, r.n, tmp, 0, av, 0);
    this.scatter(pfn, count, r.first, tmp, av, out, outOff, avail, availOff);
  }

  beginBulkReads(pages: number, mode?: DecodeWorkerMode): void {
    this.inner.beginBulkReads?.(Math.ceil(pages / this.k), mode);
  }

  async endBulkReads(): Promise<string[]> {
    return (await this.inner.endBulkReads?.()) ?? [];
  }

  stats() {
    return this.inner.stats();
  }
  close(): void {
    this.inner.close();
  }
}
