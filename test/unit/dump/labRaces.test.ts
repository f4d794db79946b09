// The explanation the offlining lab tests accept for a page allocated between the guest's offlining
// attempt and the snapshot (test/lab/guestLog.ts, allocatedSinceAttempt) explains only what the data
// shows: built on a real refused block of a lab dump, it holds for the page that really follows the
// snapshot's blocker, and fails when the kernel's dumped page differs from the snapshot's, lies in
// another pageblock, or is not the next blocker.
import * as assert from 'node:assert/strict';
import { findSets } from '../../lab/sets';
import { allocatedSinceAttempt } from '../../lab/guestLog';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { offlineVerdict } from '../../../memmap/offlineVerdict';
import { CLASS_ID } from '../../../memmap/classes';

const set = findSets({ kernel: '6.12', scenario: 'offline-block' })[0];

describe('lab races: a page allocated after the offlining attempt', function () {
  this.timeout(120_000);
  it(`${set?.name ?? 'the 6.12 offline-block lab set'}: explained only by the data`, async () => {
    assert.ok(set, 'the 6.12-offline-block lab set (npm test makes it)');
    const s = await openVmcoreSnapshot([set.elf]);
    // a refused block whose blocker is followed, in its pageblock, by another blocker
    let found: { b: (typeof s.blocks)[number]; ours: number; next: number } | undefined;
    for (const b of s.blocks) {
      const v = b.verdict?.mainline;
      if (v?.reason !== 'failure to isolate range' || v.blockingPfn === undefined) continue;
      const classes = s.classes.slice();
      classes[v.blockingPfn - s.startPfn] = CLASS_ID.free;
      const w = offlineVerdict({ block: b, classes, classesStartPfn: s.startPfn }, 'mainline');
      if (w.blockingPfn !== undefined && w.blockingPfn >> 9 === v.blockingPfn >> 9 && [CLASS_ID.slab, CLASS_ID.pagetable, CLASS_ID['kernel-other']].includes(s.classes[v.blockingPfn - s.startPfn])) {
        found = { b, ours: v.blockingPfn, next: w.blockingPfn };
        break;
      }
    }
    assert.ok(found, 'a refused block with two blockers in one pageblock');
    const { b, ours, next } = found;
    const d = s.pageDetail!(next)!;
    const words = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => BigInt(d.raw[`word${i}`] as string));
    assert.match(allocatedSinceAttempt(s, b, ours, { pfn: next, raw: words }) ?? '', /allocated between the attempt and the snapshot/);
    const changed = words.slice();
    changed[2] ^= 1n;
    assert.equal(allocatedSinceAttempt(s, b, ours, { pfn: next, raw: changed }), undefined, 'the dumped page changed since');
    assert.equal(allocatedSinceAttempt(s, b, ours, { pfn: next + 512, raw: [] }), undefined, 'another pageblock');
    assert.equal(allocatedSinceAttempt(s, b, next, { pfn: ours, raw: [] }), undefined, 'the dumped page comes first');
    if (next - ours > 1) assert.equal(allocatedSinceAttempt(s, b, ours, { pfn: next - 1, raw: [] }), undefined, 'not the next blocker');
  });
});
