// A dump whose derived quantities contradict its own header is never drawn as a bigger machine:
// bytes of the hand-made synthetic machine (fixture.ts) are flipped in memory so that mem_section
// claims sections far beyond the kdump header's max_mapnr / the ELF PT_LOAD segments, or VMCOREINFO
// claims impossible sizes. The reader refuses with a DumpError naming the contradiction, or reads the
// machine the dump describes with a warning saying where the trust ended.

import * as assert from 'node:assert/strict';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import type { Snapshot } from '../../../memmap/snapshot';
import { DumpError } from '../../../parsers/dump/errors';
import {
  buildPhysPages,
  EXPECT,
  flatten,
  PHYS_BASE,
  SKM,
  tmpFile,
  VMEMMAP,
  vmcoreinfoText,
  writeElf,
  writeKdump,
} from '../parsers/syntheticDump';
import { className } from '../../../kernel/pageClasses';

const PG = 4096;
/** Physical address of a kernel-image virtual address in the fixture. */
const kpa = (va: bigint) => Number(va - SKM) + PHYS_BASE;
const ROOT_ARRAY = kpa(SKM + 0x20000n);
const ROOT_PAGE = SKM + 0x30000n;

/** The fixture's physical pages with one u64 changed (a copy: the fixture itself is untouched). */
function withWord(pa: number, value: bigint): Map<number, Buffer> {
  const pages = new Map([...buildPhysPages()].map(([pfn, b]) => [pfn, Buffer.from(b)]));
  const pfn = Math.floor(pa / PG);
  const page = pages.get(pfn) ?? Buffer.alloc(PG);
  page.writeBigUInt64LE(value, pa % PG);
  pages.set(pfn, page);
  return pages;
}

function expectDescribedMachine(s: Snapshot, good: Snapshot, contradiction: RegExp): void {
  assert.equal(
    s.endPfn,
    good.endPfn,
    `the machine the dump describes (0x${good.endPfn.toString(16)} PFNs), not 0x${s.endPfn.toString(16)}`,
  );
  assert.ok(s.classes.length <= good.classes.length, 'memory bounded by what the dump holds');
  assert.ok(
    s.warnings.some((w) => contradiction.test(w)),
    `a warning names the contradiction:\n${s.warnings.join('\n')}`,
  );
  for (const [pfn, cls] of Object.entries(EXPECT))
    assert.equal(className(s.classes[Number(pfn)]), cls, `PFN 0x${Number(pfn).toString(16)}`);
}

describe('vmcore consistency: mem_section against the dump header', () => {
  const vi = vmcoreinfoText();
  let good: Snapshot;
  before(async () => {
    good = await openVmcoreSnapshot([tmpFile('good.kdump', writeKdump(buildPhysPages(), vi)[0])]);
  });

  // Root 2000 of the mem_section root array, 0 in the real machine, now points at the real root page:
  // its sections look valid (they decode to the vmemmap base) but would start at PFN 2000*128*32768,
  // a 32 TiB machine whose memmap the dump's page tables do not map.
  const flippedRoot = () => withWord(ROOT_ARRAY + 2000 * 8, ROOT_PAGE);
  const beyond =
    /mem_section registers 2 sections beyond the dump's own range \(PFNs 0x0-0x[0-9a-f]+, (the kdump header's max_mapnr|the end of its PT_LOAD segments)\).*first: section 256000/;

  it('kdump: a flipped mem_section root claiming a 32 TiB machine reads as the max_mapnr machine, with a warning', async () => {
    const s = await openVmcoreSnapshot([tmpFile('flipped-root.kdump', writeKdump(flippedRoot(), vi)[0])]);
    expectDescribedMachine(s, good, beyond);
    assert.ok(s.warnings.some((w) => /max_mapnr/.test(w)));
  });

  it('flattened kdump: the same', async () => {
    const s = await openVmcoreSnapshot([tmpFile('flipped-root.flat', flatten(writeKdump(flippedRoot(), vi)[0]))]);
    expectDescribedMachine(s, good, beyond);
  });

  it('ELF: the PT_LOAD segments bound the machine the same way', async () => {
    const elfGood = await openVmcoreSnapshot([tmpFile('good.elf', writeElf(buildPhysPages(), vi))]);
    const s = await openVmcoreSnapshot([tmpFile('flipped-root.elf', writeElf(flippedRoot(), vi))]);
    expectDescribedMachine(
      s,
      elfGood,
      /beyond the dump's own range \(PFNs 0x0-0x[0-9a-f]+, the end of its PT_LOAD segments\)/,
    );
  });

  it("ELF: a PT_LOAD whose p_memsz claims 8 TiB of zero-fill past every section ends at the dump's data, with a warning", async () => {
    const elfGood = await openVmcoreSnapshot([tmpFile('good.elf', writeElf(buildPhysPages(), vi))]);
    const b = writeElf(buildPhysPages(), vi);
    // the last program header is the highest PT_LOAD: stretch its p_memsz (not p_filesz) to PFN 2^31
    const last = Number(b.readBigUInt64LE(32)) + (b.readUInt16LE(56) - 1) * 56;
    b.writeBigUInt64LE(2n ** 31n * 4096n - b.readBigUInt64LE(last + 24), last + 40);
    const s = await openVmcoreSnapshot([tmpFile('zero-fill-8tib.elf', b)]);
    expectDescribedMachine(
      s,
      elfGood,
      /PT_LOAD segments describe memory up to PFN 0x80000000 \(8\.0 TiB\), but from PFN 0x[0-9a-f]+ \([0-9]+ MiB\) on no byte of the file holds it .* the snapshot ends at PFN 0x[0-9a-f]+/,
    );
    assert.equal(s.sections.length, elfGood.sections.length, 'no section objects for the claimed terabytes');
  });

  /**
   * flippedRoot() with the vmemmap of the first n sections of root 2000 (PFN 2000*128*32768, 31 TiB)
   * mapped through a new PUD and PMD, each to the same real 2 MiB: the page tables vouch for them.
   * extraDataMiB: more page data (at 256 MiB), so that more memmaps fit in what the dump holds.
   */
  function flippedRootMapped(n: number, extraDataMiB = 0): Map<number, Buffer> {
    const pages = flippedRoot();
    for (let k = 0; k < extraDataMiB * 256; k++) pages.set(0x10000 + k, Buffer.alloc(PG, 0x5a));
    const w64 = (pa: number, v: bigint) => {
      const page = pages.get(Math.floor(pa / PG)) ?? Buffer.alloc(PG);
      page.writeBigUInt64LE(v, pa % PG);
      pages.set(Math.floor(pa / PG), page);
    };
    const va = VMEMMAP + 2000n * 128n * 32768n * 64n;
    const idx = (shift: bigint) => Number((va >> shift) & 0x1ffn);
    const pgd = kpa(SKM + 0x10000n),
      pud = 0x3000000,
      pmd = 0x3001000;
    w64(pgd + idx(39n) * 8, BigInt(pud) | 0x63n);
    w64(pud + idx(30n) * 8, BigInt(pmd) | 0x63n);
    for (let k = 0; k < n; k++) w64(pmd + (idx(21n) + k) * 8, 0x2000000n | 0xe3n);
    return pages;
  }

  it('a section past 2^32 page frames whose memmap the page tables map is refused, naming the size, before a byte per PFN is allocated', async () => {
    // with 4 MiB more page data, that section's struct pages (2 MiB) fit in what the dump holds, so it
    // is believed (device memory looks like this), and the machine is more than a snapshot can hold
    await assert.rejects(
      openVmcoreSnapshot([tmpFile('mapped-31tib.kdump', writeKdump(flippedRootMapped(1, 4), vi)[0])]),
      (e: unknown) =>
        e instanceof DumpError &&
        /physical memory up to PFN 0x[0-9a-f]+ \(31\.3 TiB, from its max_mapnr and mem_section\), more than the 4294967296 page frames a snapshot can hold/.test(
          e.message,
        ),
    );
  });

  it('a garbage section word in a real root page is dropped, not drawn as a section of unknown pages', async () => {
    const s = await openVmcoreSnapshot([
      tmpFile('garbage-section.kdump', writeKdump(withWord(kpa(ROOT_PAGE) + 100 * 32, 0xdeadbeef00000007n), vi)[0]),
    ]);
    expectDescribedMachine(
      s,
      good,
      /1 section beyond the dump's own range .*first: section 100, PFN 0x320000, section_mem_map 0xdeadbeef00000007/,
    );
  });

  it('LENGTH(mem_section) of 2^32 roots is cut to what MAX_PHYSMEM_BITS allows, with a warning', async () => {
    const huge = vi.replace('LENGTH(mem_section)=4096', 'LENGTH(mem_section)=4294967296');
    const s = await openVmcoreSnapshot([tmpFile('huge-length.kdump', writeKdump(buildPhysPages(), huge)[0])]);
    assert.equal(s.endPfn, good.endPfn);
    assert.ok(
      s.warnings.some((w) =>
        /LENGTH\(mem_section\)=4294967296 is more than MAX_PHYSMEM_BITS=46 allows \(4096 roots\)/.test(w),
      ),
      s.warnings.join('\n'),
    );
  });

  it('an impossible MAX_PHYSMEM_BITS is replaced by the x86_64 limit, with a warning', async () => {
    const bad = vi.replace('NUMBER(MAX_PHYSMEM_BITS)=46', 'NUMBER(MAX_PHYSMEM_BITS)=200');
    const s = await openVmcoreSnapshot([tmpFile('bad-physbits.kdump', writeKdump(buildPhysPages(), bad)[0])]);
    assert.equal(s.endPfn, good.endPfn);
    assert.ok(
      s.warnings.some((w) => /MAX_PHYSMEM_BITS\)=200 is impossible on x86_64; using 52/.test(w)),
      s.warnings.join('\n'),
    );
  });

  it('an impossible SECTION_SIZE_BITS or SIZE(mem_section) is refused with a DumpError naming it', async () => {
    for (const [from, to, re] of [
      ['NUMBER(SECTION_SIZE_BITS)=27', 'NUMBER(SECTION_SIZE_BITS)=99', /SECTION_SIZE_BITS\)=99 is impossible/],
      ['SIZE(mem_section)=32', 'SIZE(mem_section)=8192', /SIZE\(mem_section\)=8192 is impossible/],
    ] as const) {
      const f = tmpFile('bad-vmcoreinfo.kdump', writeKdump(buildPhysPages(), vi.replace(from, to))[0]);
      await assert.rejects(
        openVmcoreSnapshot([f]),
        (e: unknown) => e instanceof DumpError && e.message.includes(f) && re.test(e.message),
      );
    }
  });

  it('a struct page layout no kernel builds (SIZE(page), a field outside it) is refused with a DumpError naming it', async () => {
    for (const [from, to, re] of [
      ['SIZE(page)=64', 'SIZE(page)=0', /SIZE\(page\)=0 cannot be a struct page/],
      ['SIZE(page)=64', 'SIZE(page)=4096', /SIZE\(page\)=4096 cannot be a struct page/],
      ['SIZE(page)=64', 'SIZE(page)=60', /SIZE\(page\)=60 cannot be a struct page/],
      [
        'OFFSET(page.flags)=0',
        'OFFSET(page.flags)=4000',
        /struct page's flags field is 4000, .*inside SIZE\(page\)=64/,
      ],
      ['OFFSET(page._refcount)=52', 'OFFSET(page._refcount)=62', /refcount field is 62/],
      [
        'OFFSET(page.mapping)=24',
        'OFFSET(page.mapping)=20',
        /mapping field is 20, which is not an aligned 8-byte field/,
      ],
    ] as const) {
      const f = tmpFile('bad-struct-page.kdump', writeKdump(buildPhysPages(), vi.replace(from, to))[0]);
      await assert.rejects(
        openVmcoreSnapshot([f]),
        (e: unknown) => e instanceof DumpError && e.kind === 'corrupt' && e.message.includes(f) && re.test(e.message),
        `${to} refused`,
      );
    }
    // a debug build's larger struct page with its fields inside still reads
    const s = await openVmcoreSnapshot([
      tmpFile('struct-page-80.kdump', writeKdump(buildPhysPages(), vi.replace('SIZE(page)=64', 'SIZE(page)=80'))[0]),
    ]);
    assert.ok(s.warnings.some((w) => /SIZE\(page\) is 80, not 64/.test(w)));
  });

  it('a kdump header whose max_mapnr is more than its own bitmaps cover is refused, naming both', async () => {
    const img = Buffer.from(writeKdump(buildPhysPages(), vi)[0]);
    img.writeUInt32LE(0x80400000, 440); // max_mapnr of an 8 TiB machine
    img.writeBigUInt64LE(0x80400000n, PG + 96); // and the sub-header's 64-bit copy
    const f = tmpFile('huge-max-mapnr.kdump', img);
    await assert.rejects(
      openVmcoreSnapshot([f]),
      (e: unknown) => e instanceof DumpError && /bitmap covers \d+ PFNs but max_mapnr is 2151677952/.test(e.message),
    );
  });
  describe('bitmap2 against where the page data starts', () => {
    const image = () => Buffer.from(writeKdump(buildPhysPages(), vi)[0]);
    /** Offset of bitmap2 and the kdump's max_mapnr, from the header. */
    const layout = (img: Buffer) => {
      const bs = img.readInt32LE(428),
        half = (img.readUInt32LE(436) / 2) * bs;
      return { bitmap2: (1 + img.readInt32LE(432)) * bs + half, maxPfn: img.readUInt32LE(440) };
    };
    const bit = (img: Buffer, pfn: number) => (img[layout(img).bitmap2 + (pfn >>> 3)] >> (pfn & 7)) & 1;
    const flip = (img: Buffer, pfn: number) => (img[layout(img).bitmap2 + (pfn >>> 3)] ^= 1 << (pfn & 7));
    const refusedNaming = (img: Buffer, name: string, problem: RegExp) =>
      assert.rejects(
        openVmcoreSnapshot([tmpFile(name, img)]),
        (e: unknown) => e instanceof DumpError && e.kind === 'corrupt' && problem.test(e.message),
      );

    it('a dumped page whose bitmap2 bit was cleared is refused: every later page would read another page', async () => {
      const img = image();
      const { maxPfn } = layout(img);
      let pfn = 0;
      while (pfn < maxPfn && !bit(img, pfn)) pfn++;
      flip(img, pfn);
      await refusedNaming(
        img,
        'bitmap2-one-fewer.kdump',
        /bitmap2 has 1 fewer bits set than the table has descriptors/,
      );
    });

    it('a bitmap2 bit set for a page that was not dumped is refused the same way', async () => {
      const img = image();
      const { maxPfn } = layout(img);
      let pfn = maxPfn - 1;
      while (pfn > 0 && bit(img, pfn)) pfn--;
      flip(img, pfn);
      await refusedNaming(img, 'bitmap2-one-more.kdump', /bitmap2 has 1 more bits set than the table has descriptors/);
    });

    it('a split file whose range ends before it starts has no descriptors to check (was: RangeError from Buffer.alloc, fuzz run 4)', async () => {
      const img = image();
      const bs = img.readInt32LE(428);
      img.writeInt32LE(1, bs + 12); // split
      // start at max_mapnr (past every dumped page), end at PFN 0: the 32-bit fields and the version-6 64-bit ones
      for (const at of [bs + 16, bs + 80]) {
        img.writeUInt32LE(img.readUInt32LE(440), at);
        img.writeUInt32LE(0, at + 8);
      }
      try {
        await openVmcoreSnapshot([tmpFile('split-range-backwards.kdump', img)]);
      } catch (e) {
        assert.ok(e instanceof DumpError, `a typed input error, not ${(e as Error).stack}`);
      }
    });

    it('one damaged descriptor is not a damaged bitmap: the dump opens', async () => {
      for (const [what, at] of [
        ['inside the header', () => 7],
        ['inside the table, not whole descriptors away from its end', (d: number) => d + 5],
      ] as const) {
        const img = image();
        const bs = img.readInt32LE(428);
        const descOffset = (1 + img.readInt32LE(432) + img.readUInt32LE(436)) * bs;
        img.writeBigInt64LE(BigInt(at(descOffset)), descOffset); // the first descriptor's data offset
        const s = await openVmcoreSnapshot([tmpFile('first-descriptor-damaged.kdump', img)]);
        assert.equal(s.endPfn, good.endPfn, what);
      }
    });
  });
});
