// The vmcore reader hands the offline verdict a bit set of compound pages known to be movable (THP on
// the LRU) so the isolation scan skips them without a call per page. The verdict must be the one the
// per-PFN compoundIsMovable answer gives: movable THP passes, a compound kernel allocation or one of
// unknown kind still stops the scan, wherever it sits among movable ones.
import * as assert from 'node:assert/strict';
import { blockVerdicts } from '../../../memmap/offlineVerdict';
import { CLASS_ID } from '../../../kernel/pageClasses';

const N = 32768;
const START = 0x100000;

function block(classes: Uint8Array, movable: (pfn: number) => boolean | undefined) {
  const bits = new Uint8Array((START + N) >>> 3);
  for (let i = 0; i < N; i++) if (movable(START + i) === true) bits[(START + i) >>> 3] |= 1 << ((START + i) & 7);
  const input = {
    block: { id: START / N, startPfn: START, nrPfns: N, state: 'online' as const, zones: ['Normal'] },
    classes,
    classesStartPfn: START,
    compoundIsMovable: movable,
  };
  return { withBits: blockVerdicts({ ...input, compoundMovableBits: bits }), perPfn: blockVerdicts(input) };
}

describe('offline verdict with a bit set of movable compound pages', () => {
  const thp = () => {
    const c = new Uint8Array(N).fill(CLASS_ID['compound-tail']);
    for (let i = 0; i < N; i += 512) c[i] = CLASS_ID['compound-head'];
    return c;
  };

  it('a block full of movable THP passes either way', () => {
    const { withBits, perPfn } = block(thp(), () => true);
    assert.deepEqual(withBits, perPfn);
    assert.equal(withBits.mainline.ok, true);
  });

  for (const [what, answer, ok] of [
    ['a compound kernel allocation', false, false],
    ['a compound page of unknown kind', undefined, undefined],
  ] as const) {
    it(`${what} among movable THP stops (or clouds) the verdict at the same PFN either way`, () => {
      const bad = START + 5 * 512 + 7;
      const { withBits, perPfn } = block(thp(), (pfn) =>
        pfn >= START + 5 * 512 && pfn < START + 6 * 512 ? answer : true,
      );
      assert.deepEqual(withBits, perPfn);
      assert.equal(withBits.mainline.ok, ok);
      if (ok === false)
        assert.equal(
          withBits.mainline.blockingPfn,
          START + 5 * 512,
          `first page of the bad compound page, not 0x${bad.toString(16)}`,
        );
    });
  }
});
