// parsers/kernelMemory/sectionBounds.ts: which mem_section entries beyond a dump's own range are
// believed. Hand-made tables: the rule is arithmetic on section numbers, memmap mappings and the
// bytes of page data the dump holds (the vmcore tests cover it end to end on the synthetic dump).

import * as assert from 'node:assert/strict';
import { trustedSections } from '../../../parsers/kernelMemory/sectionBounds';
import type { MemSectionTable } from '../../../parsers/kernelMemory/memSection';

const BASE = 0xffffea0000000000n;
const PPS = 32768;
const MEMMAP = PPS * 64; // 2 MiB of struct pages per section

/** Sections 0-3 inside the range, and `beyond` sections from section 1000 on, all decoding to the vmemmap base. */
function table(beyond: number): MemSectionTable {
  const nrs = [0, 1, 2, 3, ...Array.from({ length: beyond }, (_, k) => 1000 + k)];
  return {
    sectionSizeBits: 27,
    pfnsPerSection: PPS,
    sections: nrs.map((nr) => ({ nr, word: BASE | 0xfn })),
    vmemmapBase: BASE,
    flagBits: 5,
    warnings: [],
    notes: [],
  } as unknown as MemSectionTable;
}
const bound = { endPfn: 4 * PPS, source: "the kdump header's max_mapnr" };
const mapped = () => true;

describe('parsers/kernelMemory/sectionBounds: sections beyond the dump range', () => {
  it('mapped sections beyond the range are kept, in address order, while their memmaps fit in the page data the dump holds', () => {
    const t = trustedSections(table(8), bound, mapped, 64, 3 * MEMMAP + 4096);
    assert.deepEqual(
      t.sections.map((s) => s.nr),
      [0, 1, 2, 3, 1000, 1001, 1002],
    );
    assert.match(
      t.warnings.join('\n'),
      /registers 8 sections beyond the dump's own range \(PFNs 0x0-0x20000, the kdump header's max_mapnr\) whose memmap the page tables map, but their struct pages would take 16 MiB and the dump holds only 6 MiB of page data: .*the 5 from section 1003 on are not drawn/,
    );
    assert.match(t.notes.join('\n'), /^3 sections beyond the dump's range/);
  });

  it('all are kept, with a note and no warning, when the dump holds enough (a real dump: device memory, filtered memory)', () => {
    const t = trustedSections(table(8), bound, mapped, 64, 1 << 30);
    assert.equal(t.sections.length, 12);
    assert.deepEqual(t.warnings, []);
    assert.match(t.notes.join('\n'), /^8 sections beyond the dump's range .* kept: their memmap is mapped/);
  });

  it('when the dump does not say how much it holds, mapping alone decides (as before)', () => {
    assert.equal(trustedSections(table(8), bound, mapped, 64).sections.length, 12);
  });

  it('unmapped sections beyond the range are dropped whatever the dump holds', () => {
    const t = trustedSections(table(8), bound, () => false, 64, 1 << 30);
    assert.deepEqual(
      t.sections.map((s) => s.nr),
      [0, 1, 2, 3],
    );
    assert.match(
      t.warnings.join('\n'),
      /registers 8 sections beyond .* without a memmap the dump maps \(first: section 1000/,
    );
  });
});
