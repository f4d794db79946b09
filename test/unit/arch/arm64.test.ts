// arch/arm64 without a lab: detection, geometry and address layout from a real VMCOREINFO (Debian
// 6.12.118 arm64 under QEMU virt with -cpu max: 52-bit VA with LPA2, KASLR; test/fixtures/vmcoreinfo/),
// and the swapper_pg_dir walk on hand-made page tables (5 levels with LPA2 output-address bits, 4
// levels without LPA2 where descriptor bits 9:8 are shareability).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { architectureOfDump } from '../../../arch';
import { ARM64 } from '../../../arch/arm64';
import { arm64Layout, Arm64Paging } from '../../../arch/arm64/paging';
import { X86_64 } from '../../../arch/x86_64';
import { PageAvail, type PhysicalMemory } from '../../../parsers/dump/physmem';
import { parseVmcoreInfo } from '../../../parsers/vmcoreinfo';
import { vmcoreinfoText } from '../parsers/syntheticDump';

const FIXTURE = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'vmcoreinfo',
  'arm64-6.12.118+deb12-arm64.txt',
);
const text = readFileSync(FIXTURE, 'latin1');
const vi = parseVmcoreInfo(text);
const withLines = (replace: Record<string, string>) =>
  parseVmcoreInfo(
    text
      .split('\n')
      .map((l) => {
        const k = l.split('=')[0]!;
        return k in replace ? `${k}=${replace[k]}` : l;
      })
      .join('\n'),
  );

/** Physical memory made of the pages a test writes (4 KiB), everything else a hole. */
class TestMemory implements PhysicalMemory {
  readonly pageSize = 4096;
  readonly maxPfn = 2 ** 40;
  readonly pages = new Map<number, Buffer>();
  avail(pfn: number) {
    return this.pages.has(pfn) ? PageAvail.Data : PageAvail.Hole;
  }
  readPage(pfn: number) {
    return this.pages.get(pfn);
  }
  readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number) {
    for (let i = 0; i < count; i++) {
      const p = this.pages.get(pfn + i);
      if (p) p.copy(out, outOff + i * 4096);
      else out.fill(0, outOff + i * 4096, outOff + (i + 1) * 4096);
      avail[availOff + i] = p ? PageAvail.Data : PageAvail.Hole;
    }
  }
  stats() {
    return { hits: 0, misses: 0, decoded: 0 };
  }
  close() {
    /* nothing */
  }
  /** Writes a u64 at a physical address (creating the page). */
  set(pa: bigint, v: bigint) {
    const pfn = Number(pa >> 12n);
    let p = this.pages.get(pfn);
    if (!p) {
      p = Buffer.alloc(4096);
      this.pages.set(pfn, p);
    }
    p.writeBigUInt64LE(BigInt.asUintN(64, v), Number(pa & 0xfffn));
  }
}

describe('arch/arm64: detection and geometry from a real arm64 VMCOREINFO', () => {
  it('is recognised from VMCOREINFO alone, from ELF/kdump machine names, and QEMU\'s "Unknown" kdump machine', () => {
    for (const machine of [undefined, 'aarch64', 'arm64', 'Unknown']) {
      const r = architectureOfDump(machine, vi);
      assert.ok('arch' in r && r.arch === ARM64, `${machine}: ${JSON.stringify(r)}`);
    }
    assert.match(X86_64.vmcoreinfoMismatch(vi)!, /init_top_pgt/);
    const asX86 = architectureOfDump('x86_64', vi);
    assert.ok('error' in asX86 && /not an x86_64 kernel/.test(asX86.error));
    // an x86_64 VMCOREINFO is not arm64's, even in an aarch64 ELF
    const x86 = parseVmcoreInfo(vmcoreinfoText());
    const r = architectureOfDump('aarch64', x86);
    assert.ok('error' in r && /aarch64/.test(r.error) && /kimage_voffset/.test(r.error), JSON.stringify(r));
    const ppc = architectureOfDump('ppc64', vi);
    assert.ok('error' in ppc && /ppc64 dump/.test(ppc.error));
  });

  it('4 KiB pages: 128 MiB sections and memory blocks, 2 MiB subsections, 512-page pageblocks', () => {
    const g = ARM64.geometry(vi, 65536);
    assert.deepEqual(
      { ...g, sources: undefined },
      {
        pageSize: 4096,
        pageShift: 12,
        sectionSizeBits: 27,
        subsectionShift: 21,
        pageblockPfns: 512,
        defaultBlockBytes: 128 * 2 ** 20,
        sources: undefined,
      },
    );
    assert.ok(
      g.sources.some((s) => /page size 4096 \(VMCOREINFO PAGESIZE\)/.test(s)),
      g.sources.join('; '),
    );
  });

  it('16 KiB pages (real arm64-16k VMCOREINFO): 128 MiB sections, 32 MiB pageblocks, 4-level LPA2 walk', () => {
    const vi16 = parseVmcoreInfo(readFileSync(FIXTURE.replace('-arm64.txt', '-arm64-16k.txt'), 'latin1'));
    const r = architectureOfDump('Unknown', vi16);
    assert.ok('arch' in r && r.arch === ARM64);
    const g = ARM64.geometry(vi16, 65536);
    assert.deepEqual(
      [g.pageSize, g.sectionSizeBits, g.pageblockPfns, g.defaultBlockBytes],
      [16384, 27, 2048, 128 * 2 ** 20],
    );
    const l = arm64Layout(vi16);
    assert.deepEqual([l.vaBitsActual, l.lpa2, l.shifts], [52, true, [47, 36, 25, 14]]);
    assert.equal(l.pageEnd, 0xffffc00000000000n, 'VA_BITS_MIN 47 with 16 KiB pages');
  });

  it('16 and 64 KiB pages: pageblocks min(PMD order, MAX_PAGE_ORDER), sections from VMCOREINFO or the page size', () => {
    const g16 = ARM64.geometry(withLines({ PAGESIZE: '16384', 'LENGTH(zone.free_area)': '12' }));
    assert.equal(g16.pageShift, 14);
    assert.equal(g16.sectionSizeBits, 27);
    assert.equal(g16.pageblockPfns, 2048, '32 MiB pageblocks (PMD order 11)');
    assert.equal(g16.defaultBlockBytes, 128 * 2 ** 20);
    const g64 = ARM64.geometry(
      withLines({ PAGESIZE: '65536', 'NUMBER(SECTION_SIZE_BITS)': '29', 'LENGTH(zone.free_area)': '14' }),
    );
    assert.equal(g64.pageblockPfns, 8192, '512 MiB pageblocks (PMD order 13)');
    assert.equal(g64.defaultBlockBytes, 512 * 2 ** 20);
    const noSection = parseVmcoreInfo(
      text.replace(/^NUMBER\(SECTION_SIZE_BITS\)=.*$/m, '').replace('PAGESIZE=4096', 'PAGESIZE=65536'),
    );
    assert.equal(ARM64.geometry(noSection).sectionSizeBits, 29);
  });

  it('address layout: 52-bit VA running 52-bit (T1SZ 12) with LPA2, 5 levels, the linear map at PHYS_OFFSET', () => {
    const l = arm64Layout(vi);
    assert.equal(l.vaBits, 52);
    assert.equal(l.vaBitsActual, 52);
    assert.equal(l.lpa2, true);
    assert.deepEqual(l.shifts, [48, 39, 30, 21, 12]);
    assert.equal(l.physOffset, 0x40000000n);
    assert.equal(l.pageOffset, 0xfff0000000000000n);
    assert.equal(l.pageEnd, 0xffff800000000000n);
    assert.equal(l.pgdPa, 0xffff9b1b8d50f000n - 0xffff9b1b4b600000n);
    const paging = new Arm64Paging(new TestMemory(), vi);
    // the linear map is one mapping: its span runs to the end of the linear region
    assert.deepEqual(paging.translate(0xfff0000000001234n), {
      pa: 0x40001234,
      span: Number(0xffff800000000000n - 0xfff0000000001234n),
    });
    assert.equal(paging.translate(0x0000000012345678n), undefined, 'TTBR0 addresses are not kernel addresses');
    // 48-bit run of the same build (no LPA2 on the CPU): 4 levels
    const l48 = arm64Layout(withLines({ 'NUMBER(TCR_EL1_T1SZ)': '0x10' }));
    assert.deepEqual([l48.vaBitsActual, l48.lpa2, l48.shifts.length], [48, false, 4]);
  });

  it('says which key is missing', () => {
    assert.throws(
      () => arm64Layout(parseVmcoreInfo(text.replace(/^SYMBOL\(swapper_pg_dir\)=.*$/m, ''))),
      /swapper_pg_dir/,
    );
    assert.throws(
      () => arm64Layout(parseVmcoreInfo(text.replace(/^NUMBER\(kimage_voffset\)=.*$/m, ''))),
      /kimage_voffset/,
    );
  });
});

describe('arch/arm64: the swapper_pg_dir walk on hand-made tables', () => {
  const TABLE = 3n,
    BLOCK = 1n,
    PAGE = 3n;
  const VMEMMAP = 0xffffc1ffbf000000n;

  it('5-level LPA2: table, 2 MiB block and 4 KiB page descriptors, output-address bits 51:50 from bits 9:8', () => {
    const mem = new TestMemory();
    const l = arm64Layout(vi);
    const idx = (va: bigint, shift: number, width: number) => (va >> BigInt(shift)) & ((1n << BigInt(width)) - 1n);
    const t1 = 0x41000000n,
      t2 = 0x41001000n,
      t3 = 0x41002000n,
      t4 = 0x41003000n;
    mem.set(l.pgdPa + idx(VMEMMAP, 48, 4) * 8n, t1 | TABLE);
    mem.set(t1 + idx(VMEMMAP, 39, 9) * 8n, t2 | TABLE);
    mem.set(t2 + idx(VMEMMAP, 30, 9) * 8n, t3 | TABLE);
    // a 2 MiB block of vmemmap at pa 0x7fe00000, and the next 2 MiB through a page table to a page at 2^50 + 0x5000
    mem.set(t3 + idx(VMEMMAP, 21, 9) * 8n, 0x7fe00000n | 0x400n /* AF */ | BLOCK);
    const va2 = VMEMMAP + 0x200000n;
    mem.set(t3 + idx(va2, 21, 9) * 8n, t4 | TABLE);
    mem.set(t4 + idx(va2 + 0x3000n, 12, 9) * 8n, 0x5000n | (1n << 8n) /* OA bit 50 */ | 0x400n | PAGE);
    const p = new Arm64Paging(mem, vi);
    assert.deepEqual(p.translate(VMEMMAP + 0x1040n), { pa: 0x7fe01040, span: 0x200000 - 0x1040 });
    assert.deepEqual(p.translate(va2 + 0x3008n), { pa: 2 ** 50 + 0x5008, span: 4096 - 8 });
    assert.equal(p.translate(va2 + 0x4000n), undefined, 'an invalid descriptor');
    // reads cross from the block into memory the dump has
    mem.set(0x7fe01040n, 0x1122334455667788n);
    assert.equal(p.readU64(VMEMMAP + 0x1040n), 0x1122334455667788n);
  });

  it('4-level without LPA2: bits 9:8 are shareability, not address', () => {
    const vi48 = withLines({ 'NUMBER(TCR_EL1_T1SZ)': '0x10' });
    const mem = new TestMemory();
    const l = arm64Layout(vi48);
    const idx = (va: bigint, shift: number) => (va >> BigInt(shift)) & 0x1ffn;
    const t1 = 0x41000000n,
      t2 = 0x41001000n;
    const SH_INNER = 0x300n;
    mem.set(l.pgdPa + idx(VMEMMAP, 39) * 8n, t1 | TABLE);
    mem.set(t1 + idx(VMEMMAP, 30) * 8n, t2 | TABLE);
    mem.set(t2 + idx(VMEMMAP, 21) * 8n, 0x7fe00000n | SH_INNER | 0x400n | BLOCK);
    const p = new Arm64Paging(mem, vi48);
    assert.deepEqual(p.translate(VMEMMAP + 0x40n), { pa: 0x7fe00040, span: 0x200000 - 0x40 });
    assert.match(p.describe(), /running 48-bit, 4-level tables\), PHYS_OFFSET 0x40000000/);
  });
});
