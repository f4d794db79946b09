// The offline_pages() prediction (memmap/offlineVerdict.ts) by outcome: for every way the kernel ends
// (the reason and errno it logs, success) and every way this snapshot cannot tell, a block of page
// classes that ends so, under the mainline rules and under the PG_offline_skippable rules.
import * as assert from 'node:assert/strict';
import { offlineVerdict, VerdictInput } from '../../../memmap/offlineVerdict';
import { CLASS_ID, PageClass } from '../../../kernel/pageClasses';
import type { MemoryBlock, OfflineVerdict } from '../../../memmap/snapshot';

const PB = 512,
  START = 0x40000,
  NR = 4 * PB;

interface VerdictCase {
  what: string;
  rules: 'mainline' | 'skippable' | 'both';
  /** Classes by offset in the block; every other page is an anonymous LRU page (migratable). */
  pages: [number, PageClass][];
  block?: Partial<Pick<MemoryBlock, 'state' | 'zones' | 'nrPfns'>>;
  input?: Partial<VerdictInput>;
  /** The verdict's ok, reason, errno, blocking PFN (offset in the block) and class. */
  want: { ok: boolean | undefined; reason?: string; errno?: OfflineVerdict['errno']; at?: number; cls?: PageClass };
}

const CASES: VerdictCase[] = [
  {
    what: 'every page migratable, free, skippable or hwpoisoned',
    rules: 'both',
    pages: [
      [1, 'free'],
      [2, 'offline-skippable'],
      [3, 'hwpoison'],
      [4, 'offline-movable'],
      [5, 'hugetlb'],
    ],
    want: { ok: true },
  },
  {
    what: 'an LRU page in ZONE_MOVABLE',
    rules: 'both',
    block: { zones: ['Movable'] },
    pages: [[7, 'lru-file']],
    want: { ok: true },
  },
  {
    what: 'the block is already offline',
    rules: 'both',
    block: { state: 'offline' },
    pages: [[0, 'reserved']],
    want: { ok: undefined },
  },
  {
    what: 'the block is going offline',
    rules: 'both',
    block: { state: 'going-offline' },
    pages: [],
    want: { ok: undefined },
  },
  {
    what: 'the block state is unknown',
    rules: 'both',
    block: { state: 'unknown' },
    pages: [],
    want: { ok: undefined },
  },
  {
    what: 'the block lies outside the snapshot',
    rules: 'both',
    input: { classesStartPfn: START + NR },
    pages: [],
    want: { ok: undefined },
  },
  {
    what: 'the block spans two zones',
    rules: 'both',
    block: { zones: ['DMA32', 'Normal'] },
    pages: [],
    want: { ok: false, reason: 'multizone range', errno: 'EINVAL' },
  },
  {
    what: 'sysfs valid_zones "none"',
    rules: 'both',
    block: { zones: ['none'] },
    pages: [],
    want: { ok: false, reason: 'multizone range', errno: 'EINVAL' },
  },
  {
    what: 'a PFN without memmap, before a reserved page',
    rules: 'both',
    pages: [
      [5, 'reserved'],
      [9, 'no-memmap'],
    ],
    want: { ok: false, reason: 'memory holes', errno: 'EINVAL', at: 9, cls: 'no-memmap' },
  },
  {
    what: 'a PFN outside System RAM',
    rules: 'both',
    input: { isSystemRam: (pfn) => pfn !== START + 17 },
    pages: [[17, 'reserved']],
    want: { ok: false, reason: 'memory holes', errno: 'EINVAL', at: 17, cls: 'reserved' },
  },
  {
    what: 'the block extends past the end of the memmap',
    rules: 'both',
    block: { nrPfns: NR + PB },
    pages: [],
    want: { ok: false, reason: 'memory holes', errno: 'EINVAL', at: NR, cls: 'no-memmap' },
  },
  {
    what: 'a PG_reserved page',
    rules: 'both',
    pages: [[20, 'reserved']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 20, cls: 'reserved' },
  },
  {
    what: 'a PG_reserved page in ZONE_MOVABLE',
    rules: 'both',
    block: { zones: ['Movable'] },
    pages: [[20, 'reserved']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 20, cls: 'reserved' },
  },
  {
    what: 'a PG_reserved page, System RAM ranges unknown (hole or reserved)',
    rules: 'both',
    input: { systemRamUnknown: true },
    pages: [[20, 'reserved']],
    want: { ok: undefined, at: 20, cls: 'reserved' },
  },
  {
    what: 'the last pageblock is isolated before the middle ones',
    rules: 'both',
    pages: [
      [PB + 3, 'slab'],
      [3 * PB + 3, 'pagetable'],
    ],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 3 * PB + 3, cls: 'pagetable' },
  },
  {
    what: 'a slab page in ZONE_Normal',
    rules: 'both',
    pages: [[30, 'slab']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 30, cls: 'slab' },
  },
  {
    what: 'an allocated kernel page in ZONE_Normal',
    rules: 'both',
    pages: [[31, 'kernel-other']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 31, cls: 'kernel-other' },
  },
  {
    what: 'a compound kernel allocation',
    rules: 'both',
    input: { compoundIsMovable: () => false },
    pages: [[32, 'compound-head']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 32, cls: 'compound-head' },
  },
  {
    what: 'a THP (compound page known movable)',
    rules: 'both',
    input: { compoundIsMovable: () => true },
    pages: [
      [32, 'compound-head'],
      [33, 'compound-tail'],
    ],
    want: { ok: true },
  },
  {
    what: 'a compound page of unknown kind',
    rules: 'both',
    pages: [[32, 'compound-tail']],
    want: { ok: undefined, at: 32, cls: 'compound-tail' },
  },
  {
    what: 'a page of unknown state',
    rules: 'both',
    pages: [[40, 'unknown']],
    want: { ok: undefined, at: 40, cls: 'unknown' },
  },
  {
    what: 'a page of unknown state in ZONE_MOVABLE',
    rules: 'both',
    block: { zones: ['Movable'] },
    pages: [[40, 'excluded']],
    want: { ok: undefined, at: 40, cls: 'excluded' },
  },
  {
    what: 'a flag-less kpageflags page (kernel or per-CPU free)',
    rules: 'both',
    input: { kernelOtherMayBeFree: true },
    pages: [[41, 'kernel-other']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 41, cls: 'kernel-other' },
  },
  {
    what: 'a flag-less kpageflags page before a reserved one in isolation order (the page the kernel dumps if allocated)',
    rules: 'both',
    input: { kernelOtherMayBeFree: true },
    pages: [
      [41, 'kernel-other'],
      [45, 'reserved'],
    ],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 41, cls: 'kernel-other' },
  },
  {
    what: 'a reserved page before a flag-less kpageflags page in isolation order',
    rules: 'both',
    input: { kernelOtherMayBeFree: true },
    pages: [
      [30, 'reserved'],
      [41, 'kernel-other'],
    ],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 30, cls: 'reserved' },
  },
  {
    what: 'an unmovable PageOffline page',
    rules: 'mainline',
    pages: [[50, 'offline-unmovable']],
    want: { ok: false, reason: 'unmovable page', errno: 'EBUSY', at: 50, cls: 'offline-unmovable' },
  },
  {
    what: 'an unmovable PageOffline page',
    rules: 'skippable',
    pages: [[50, 'offline-unmovable']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 50, cls: 'offline-unmovable' },
  },
  {
    what: 'a PageOffline page of unknown kind',
    rules: 'mainline',
    pages: [[51, 'offline']],
    want: { ok: undefined, at: 51, cls: 'offline' },
  },
  {
    what: 'a PageOffline page of unknown kind',
    rules: 'skippable',
    pages: [[51, 'offline']],
    want: { ok: false, reason: 'failure to isolate range', errno: 'EBUSY', at: 51, cls: 'offline' },
  },
  {
    what: 'a slab page in ZONE_MOVABLE never migrates',
    rules: 'both',
    block: { zones: ['Movable'] },
    pages: [[60, 'slab']],
    want: { ok: false, reason: 'signal backoff', errno: 'EINTR', at: 60, cls: 'slab' },
  },
];

function verdictOf(c: VerdictCase, rules: 'mainline' | 'skippable'): OfflineVerdict {
  const classes = new Uint8Array(NR).fill(CLASS_ID['lru-anon']);
  for (const [i, cls] of c.pages) classes[i] = CLASS_ID[cls];
  const block = { id: START / 0x8000, startPfn: START, nrPfns: NR, state: 'online' as const, zones: ['Normal'] };
  Object.assign(block, c.block);
  return offlineVerdict({ block, classes, classesStartPfn: START, ...c.input }, rules);
}

describe('offline verdicts by outcome (memmap/offlineVerdict.ts)', () => {
  for (const c of CASES) {
    for (const rules of c.rules === 'both' ? (['mainline', 'skippable'] as const) : [c.rules]) {
      const w = c.want;
      const outcome = w.ok === undefined ? 'cannot tell' : w.ok ? 'ok' : `${w.errno} ${w.reason}`;
      it(`${rules}: ${outcome}: ${c.what}`, () => {
        const v = verdictOf(c, rules);
        assert.deepEqual(
          {
            ok: v.ok,
            reason: v.reason,
            errno: v.errno,
            at: v.blockingPfn === undefined ? undefined : v.blockingPfn - START,
            cls: v.blockingClass,
          },
          { ok: w.ok, reason: w.reason, errno: w.errno, at: w.at, cls: w.cls },
        );
        assert.ok(v.explanation.length > 0);
      });
    }
  }
});
