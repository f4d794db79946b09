// The order in which offline_pages() isolates a block's pageblocks decides which page the kernel dumps
// ("unmovable page") when several block: 5.19+ isolates the first pageblock, then the last, then the
// rest (isolate_single_pageblock() for both ends); earlier kernels go in address order (seen on the 5.10
// lab: the guest dumped a PG_reserved page in a middle pageblock, not the one in the last).
import * as assert from 'node:assert/strict';
import { blockVerdicts, pageblocksInIsolationOrder } from '../../../memmap/offlineVerdict';
import { CLASS_ID } from '../../../kernel/pageClasses';
import { kernelVersion } from '../../../kernel/version';

describe('offline verdict: pageblock isolation order by kernel version', () => {
  const n = 32768;
  const classes = new Uint8Array(n).fill(CLASS_ID.free);
  const middle = 5 * 512 + 7,
    last = n - 512 + 3;
  classes[middle] = CLASS_ID.reserved;
  classes[last] = CLASS_ID.reserved;
  const input = {
    block: { id: 0, startPfn: 0, nrPfns: n, state: 'online' as const, zones: ['DMA32'] },
    classes,
    classesStartPfn: 0,
  };
  for (const [v, pfn] of [
    [[5, 10], middle],
    [[5, 18], middle],
    [[5, 19], last],
    [[6, 1], last],
    [[7, 3], last],
    [undefined, last],
  ] as const)
    it(`${v ? v.join('.') : 'release unknown'}: blocks at the ${pfn === middle ? 'middle' : 'last'} pageblock's PG_reserved page`, () => {
      const r = blockVerdicts({ ...input, kernelVersion: v ? kernelVersion(v[0], v[1]) : undefined }).mainline;
      assert.equal(r.ok, false);
      assert.equal(r.blockingPfn, pfn);
    });
  it('pageblocksInIsolationOrder: first, last, rest; or address order', () => {
    assert.deepEqual(pageblocksInIsolationOrder(0, 2048, 512), [
      [0, 512],
      [1536, 2048],
      [512, 1024],
      [1024, 1536],
    ]);
    assert.deepEqual(pageblocksInIsolationOrder(0, 2048, 512, true), [
      [0, 512],
      [512, 1024],
      [1024, 1536],
      [1536, 2048],
    ]);
  });
});
