// parsers/dump/subPaged.ts: a dump of 64 KiB blocks (QEMU's aarch64 kdump) read in 4 KiB kernel pages —
// slices of their block, with the block's availability, for single, bulk and background reads.
import * as assert from 'node:assert/strict';
import { PageAvail, type PhysicalMemory } from '../../../parsers/dump/physmem';
import { SubPagedMemory } from '../../../parsers/dump/subPaged';

const BLOCK = 65536;
/** Four 64 KiB blocks: 0 data, 1 hole, 2 excluded, 3 data; each byte = (block * 16 + 4 KiB index) & 0xff. */
class Blocks implements PhysicalMemory {
  readonly pageSize = BLOCK;
  readonly maxPfn = 4;
  async = 0;
  avail(b: number) {
    return [PageAvail.Data, PageAvail.Hole, PageAvail.Excluded, PageAvail.Data][b] ?? PageAvail.Hole;
  }
  private block(b: number): Buffer {
    const buf = Buffer.alloc(BLOCK);
    for (let i = 0; i < 16; i++) buf.fill((b * 16 + i) & 0xff, i * 4096, (i + 1) * 4096);
    return buf;
  }
  readPage(b: number) {
    return this.avail(b) === PageAvail.Data ? this.block(b) : undefined;
  }
  readPagesInto(b: number, n: number, out: Buffer, off: number, avail: Uint8Array, aoff: number) {
    for (let i = 0; i < n; i++) {
      const a = this.avail(b + i);
      if (a === PageAvail.Data) this.block(b + i).copy(out, off + i * BLOCK);
      else out.fill(0, off + i * BLOCK, off + (i + 1) * BLOCK);
      avail[aoff + i] = a;
    }
  }
  async readPagesIntoAsync(b: number, n: number, out: Buffer, off: number, avail: Uint8Array, aoff: number) {
    this.async++;
    this.readPagesInto(b, n, out, off, avail, aoff);
  }
  stats() {
    return { hits: 0, misses: 0, decoded: 0 };
  }
  close() {
    /* nothing */
  }
}

describe('SubPagedMemory: 64 KiB dump blocks as 4 KiB pages', () => {
  it('sizes, single pages and availability', () => {
    const m = new SubPagedMemory(new Blocks(), 4096);
    assert.equal(m.pageSize, 4096);
    assert.equal(m.maxPfn, 64);
    assert.equal(m.readPage(5)![0], 5);
    assert.equal(m.readPage(5)!.length, 4096);
    assert.equal(m.readPage(48 + 15)![4095], 63);
    assert.equal(m.readPage(16), undefined);
    assert.deepEqual(
      [m.avail(15), m.avail(16), m.avail(40), m.avail(63)],
      [PageAvail.Data, PageAvail.Hole, PageAvail.Excluded, PageAvail.Data],
    );
  });

  it('bulk reads across blocks, unaligned, synchronous and in the background', async () => {
    const inner = new Blocks();
    const m = new SubPagedMemory(inner, 4096);
    const check = (out: Buffer, av: Uint8Array, from: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const pfn = from + i,
          a = inner.avail(pfn >> 4);
        assert.equal(av[1 + i], a, `avail of pfn ${pfn}`);
        assert.equal(out[8192 + i * 4096], a === PageAvail.Data ? pfn & 0xff : 0, `byte of pfn ${pfn}`);
      }
    };
    const out = Buffer.alloc(8192 + 60 * 4096),
      av = new Uint8Array(61);
    m.readPagesInto(3, 58, out, 8192, av, 1);
    check(out, av, 3, 58);
    const out2 = Buffer.alloc(8192 + 60 * 4096),
      av2 = new Uint8Array(61);
    await m.readPagesIntoAsync!(3, 58, out2, 8192, av2, 1);
    check(out2, av2, 3, 58);
    assert.equal(inner.async, 1);
  });

  it('refuses a page size that does not divide the block', () => {
    assert.throws(() => new SubPagedMemory(new Blocks(), 3000), /not a multiple/);
  });
});
