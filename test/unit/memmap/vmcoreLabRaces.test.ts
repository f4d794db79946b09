// The explanation the offlining lab tests accept for a page allocated between the guest's offlining
// attempt and the snapshot (test/lab/guestLog.ts, allocatedSinceAttempt) explains only what the data
// shows. On a real refused block of a lab dump (its blocker a kernel allocation), with the page after
// the blocker standing for the one the kernel dumped: explained with that page's own struct page words;
// not explained when the words differ, the page lies in another pageblock, comes first, or is not the
// next blocker.
import * as assert from 'node:assert/strict';
import { findSets } from '../../lab/sets';
import { allocatedSinceAttempt } from '../../lab/guestLog';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import type { MemoryBlock, Snapshot } from '../../../memmap/snapshot';
import { CLASS_ID } from '../../../kernel/pageClasses';
import { anonFaultedInAfterCapture, freshAnonFaultAfterCapture, pageTableAwaitingFree } from '../../lab/races';

// Every offline-block set (one per lab kernel): which of them has the block the test needs depends on
// where each guest's allocations landed.
const sets = findSets({ scenario: 'offline-block' }); // x86_64 only unless asked for

const ALLOCATABLE = [CLASS_ID.slab, CLASS_ID.pagetable, CLASS_ID['kernel-other']];

describe('lab races: a page allocated after the offlining attempt', function () {
  this.timeout(120_000);
  it('an offline-block lab set: explained only by the data', async () => {
    assert.ok(sets.length, 'the offline-block lab sets (npm test makes them)');
    // A refused block whose blocker is a kernel allocation with two more PFNs after it in its pageblock.
    let s: Snapshot | undefined, b: MemoryBlock | undefined;
    for (const set of sets) {
      s = await openVmcoreSnapshot([set.elf]);
      const snap = s;
      b = s.blocks.find((x) => {
        const v = x.verdict?.mainline;
        return (
          v?.reason === 'failure to isolate range' &&
          v.blockingPfn !== undefined &&
          (v.blockingPfn & 511) < 510 &&
          ALLOCATABLE.includes(snap.classes[v.blockingPfn - snap.startPfn])
        );
      });
      if (b) break;
    }
    assert.ok(s && b, `a block refused at a kernel allocation in one of ${sets.map((x) => x.name).join(', ')}`);
    const ours = b.verdict!.mainline.blockingPfn!,
      q = ours + 1;
    // The kernel's view: q blocked and ours did not (ours was allocated after the attempt). The snapshot
    // is the real one with q made a blocker; the dumped page's words are q's own words in the dump.
    const classes = s.classes.slice();
    classes[q - s.startPfn] = CLASS_ID['kernel-other'];
    const snap = { ...s, classes };
    const d = s.pageDetail!(q)!;
    const words = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => BigInt(d.raw[`word${i}`] as string));
    assert.match(
      allocatedSinceAttempt(snap, b, ours, { pfn: q, raw: words }) ?? '',
      /allocated between the attempt and the snapshot/,
    );
    const changed = words.slice();
    changed[2] ^= 1n;
    assert.equal(
      allocatedSinceAttempt(snap, b, ours, { pfn: q, raw: changed }),
      undefined,
      'the dumped page changed since',
    );
    assert.equal(allocatedSinceAttempt(snap, b, ours, { pfn: q + 512, raw: [] }), undefined, 'another pageblock');
    assert.equal(allocatedSinceAttempt(snap, b, q, { pfn: ours, raw: [] }), undefined, 'the dumped page comes first');
    // a reserved page between them does not come and go: the kernel would have stopped there
    const withReserved = s.classes.slice();
    withReserved[q - s.startPfn] = CLASS_ID.reserved;
    withReserved[q + 1 - s.startPfn] = CLASS_ID['kernel-other'];
    assert.equal(
      allocatedSinceAttempt({ ...s, classes: withReserved }, b, ours, { pfn: q + 1, raw: [] }),
      undefined,
      'not the next blocker',
    );
  });
});

describe('lab races: a free page faulted in as anonymous memory after the kpageflags capture', function () {
  this.timeout(120_000);
  const any = findSets({ scenario: 'load' })[0] ?? findSets({ kernel: '6.12', scenario: 'offline-block' })[0];
  it(`${any?.name ?? 'a lab set'}: explained only for a mapped anonymous page off the LRU`, async () => {
    assert.ok(any, 'a lab set (npm test makes them)');
    const s = await openVmcoreSnapshot([any.elf]);
    const pfn = s.classes.findIndex((c) => c === CLASS_ID['lru-anon']) + s.startPfn;
    assert.ok(pfn >= s.startPfn, 'an anonymous LRU page');
    const real = s.pageDetail!(pfn)!;
    const as = (patch: (d: typeof real) => typeof real) => ({
      ...s,
      pageDetail: (p: number) =>
        p === pfn ? patch({ ...real, raw: { ...real.raw }, flags: [...(real.flags ?? [])] }) : s.pageDetail!(p),
    });
    // the same page as the dump shows it before its LRU-add batch is drained: no PG_lru, rule other
    const offLru = (d: typeof real) => ({ ...d, rule: 'other', flags: d.flags!.filter((f) => f !== 'lru') });
    assert.equal(anonFaultedInAfterCapture(s, s, pfn), false, 'on the LRU: not this race');
    assert.equal(anonFaultedInAfterCapture(as(offLru), s, pfn), true);
    assert.equal(
      anonFaultedInAfterCapture(
        as((d) => ({ ...offLru(d), raw: { ...d.raw, mapping_tag: 0 } })),
        s,
        pfn,
      ),
      false,
      'not anonymous',
    );
    assert.equal(
      anonFaultedInAfterCapture(
        as((d) => ({ ...offLru(d), mapcount: -1 })),
        s,
        pfn,
      ),
      false,
      'not mapped',
    );
    assert.equal(
      anonFaultedInAfterCapture(
        as((d) => ({ ...offLru(d), refcount: 0 })),
        s,
        pfn,
      ),
      false,
      'not referenced',
    );
  });
});

describe('lab races: a page with no kpageflags bit faulted in as anonymous memory after the capture', function () {
  this.timeout(120_000);
  const any = findSets({ scenario: 'load' })[0] ?? findSets({ kernel: '6.12', scenario: 'offline-block' })[0];
  it(`${any?.name ?? 'a lab set'}: explained only for an order-0 anonymous page as a fresh fault leaves it`, async () => {
    assert.ok(any, 'a lab set (npm test makes them)');
    const s = await openVmcoreSnapshot([any.elf]);
    const pfn = s.classes.findIndex((c) => c === CLASS_ID['lru-anon']) + s.startPfn;
    assert.ok(pfn >= s.startPfn, 'an anonymous LRU page');
    const real = s.pageDetail!(pfn)!;
    type Detail = typeof real;
    // the dump's page as a fresh fault leaves it; kpageflags with the given bits at that PFN
    const fresh: Detail = {
      ...real,
      rule: 'lru-anon',
      mapcount: 1,
      refcount: 1,
      flags: ['uptodate', 'lru', 'swapbacked'],
    };
    const dump = (d: Detail) => ({ ...s, pageDetail: (p: number) => (p === pfn ? d : s.pageDetail!(p)) });
    const kpf = (flags: string[]) => ({
      ...s,
      pageDetail: (p: number) => (p === pfn ? { ...real, flags } : undefined),
    });
    const explained = (d: Detail, k = kpf([])) => freshAnonFaultAfterCapture(dump(d), k, pfn);
    assert.equal(explained(fresh), true);
    assert.equal(explained(fresh, kpf(['KPF_MMAP', 'KPF_ANON', 'KPF_LRU'])), false, 'kpageflags saw it in use');
    assert.equal(explained({ ...fresh, mapcount: 2 }), false, 'mapped twice');
    assert.equal(explained({ ...fresh, refcount: 3 }), false, 'referenced more');
    assert.equal(explained({ ...fresh, flags: [...fresh.flags!, 'referenced'] }), false, 'not a fresh fault');
    assert.equal(explained({ ...fresh, flags: ['uptodate', 'swapbacked'] }), false, 'not on the LRU');
    assert.equal(explained({ ...fresh, rule: 'head' }), false, 'a compound folio');
  });
});

describe('lab races: a page table torn down after the kpageflags capture, its free still pending', function () {
  this.timeout(120_000);
  const any = findSets({ scenario: 'load' })[0] ?? findSets({ kernel: '6.12', scenario: 'offline-block' })[0];
  it(`${any?.name ?? 'a lab set'}: explained only for a typeless, unmapped page with one reference`, async () => {
    assert.ok(any, 'a lab set (npm test makes them)');
    const s = await openVmcoreSnapshot([any.elf]);
    const pfn = s.classes.findIndex((c) => c === CLASS_ID.pagetable) + s.startPfn;
    assert.ok(pfn >= s.startPfn, 'a page-table page');
    const live = s.pageDetail!(pfn)!;
    type Detail = typeof live;
    // the same page as pagetable_dtor leaves it: page_type all ones (mapcount 0), the reference kept
    const tornDown: Detail = {
      ...live,
      rule: 'other',
      class: 'kernel-other',
      pageType: 'mapcount 0',
      mapcount: 0,
      refcount: 1,
      flags: [],
      raw: { ...live.raw, mapping: '0x0', mapping_tag: 0 },
    };
    const explained = (d: Detail) =>
      pageTableAwaitingFree({ ...s, pageDetail: (p: number) => (p === pfn ? d : s.pageDetail!(p)) }, s, pfn);
    assert.equal(pageTableAwaitingFree(s, s, pfn), false, 'a live page table: not this race');
    assert.equal(explained(tornDown), true);
    assert.equal(explained({ ...tornDown, flags: ['referenced'] }), true, 'PG_referenced may stay');
    assert.equal(explained({ ...tornDown, refcount: 2 }), false, 'referenced more');
    assert.equal(explained({ ...tornDown, refcount: 0 }), false, 'freed: that is pagetable -> free');
    assert.equal(explained({ ...tornDown, mapcount: 1, pageType: 'mapcount 1' }), false, 'mapped');
    assert.equal(explained({ ...tornDown, flags: ['lru'] }), false, 'on an LRU');
    assert.equal(
      explained({ ...tornDown, raw: { ...tornDown.raw, mapping: '0xffff888012345678' } }),
      false,
      'has a mapping',
    );
  });
});
