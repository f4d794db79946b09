// Issue 13 (limits): a kmem -p listing whose addresses imply a huge machine costs memory for the
// rows it holds, not for the span its addresses imply. Crafted rows (no real listing has them).
import * as assert from 'node:assert/strict';
import { SnapshotError } from '../../../parsers/errors';
import { toolOutputSnapshot } from '../../../memmap/toolOutputSnapshot';
import { toolMemmapFromText } from '../../../parsers/tools/crashSession';
import { CHUNK_PFNS, STRUCT_PAGE_SIZE } from '../../../parsers/tools/pageImage';

const HDR = '      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS';
const VMEMMAP = 0xfffffafdc0000000n;

/** A deterministic generator (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function row(pfn: number, i: number): string {
  const page = (VMEMMAP + BigInt(pfn) * 64n).toString(16);
  const phys = (BigInt(pfn) * 4096n).toString(16).padStart(8);
  return i % 3 === 0
    ? `${page} ${phys}                0        0  1 7ffffc0001000 reserved`
    : `${page} ${phys}                0        0  0 7ffffc0000000`;
}

describe('kmem -p listings whose addresses imply a huge machine', () => {
  it('20 000 rows at random 40-bit physical addresses: storage grows with the rows, and the snapshot is refused with the reason', () => {
    const next = rng(13);
    const pfns = new Set<number>();
    while (pfns.size < 20000) pfns.add((next() & 0xfffffff) >>> 0); // 28-bit PFN = 40-bit physical address
    const text = [HDR, ...[...pfns].map(row)].join('\n');
    const tm = toolMemmapFromText(text);
    assert.equal(tm.image.pages, 20000);
    // At most one storage chunk per listed row (4 KiB of struct pages + coverage), never a section
    // (2 MiB) or a byte per PFN of the 1 TiB span.
    const perRow = CHUNK_PFNS * (STRUCT_PAGE_SIZE + 1);
    assert.ok(tm.image.storageBytes() <= 20000 * perRow, `${tm.image.storageBytes()} bytes`);
    assert.ok(tm.image.storageBytes() < 100 * 2 ** 20);
    assert.throws(
      () => toolOutputSnapshot(text, 'random.txt'),
      (e: unknown) =>
        e instanceof SnapshotError &&
        /20000 listed PFN\(s\) are spread over 1023\.9 GiB of physical addresses .*not the memmap of one machine/.test(
          e.message,
        ),
    );
  });

  it('a few single rows (`kmem <page>`) spread over 8 GiB are read: the range is what they cover, sections only those touched', () => {
    const pfns = [0x1000, 0x40000, 0x100000, 0x1ffff0];
    const text = pfns
      .flatMap((p, i) => [`crash> kmem ${(VMEMMAP + BigInt(p) * 64n).toString(16)}`, HDR, row(p, i)])
      .join('\n');
    const s = toolOutputSnapshot(text, 'rows');
    assert.equal(s.startPfn, 0x1000);
    assert.equal(s.endPfn, 0x1ffff1);
    assert.deepEqual(
      s.sections.map((x) => x.nr),
      [0, 8, 32, 63],
    );
    assert.equal(s.classes.length, s.endPfn - s.startPfn);
    assert.equal(
      s.sections.reduce((a, x) => a + x.counts.reduce((b, c) => b + c, 0), 0),
      s.sections.reduce((a, x) => a + x.nrPfns, 0),
    );
  });
});
