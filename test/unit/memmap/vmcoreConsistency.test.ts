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
});
