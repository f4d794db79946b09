// The kpageflags rule table (memmap/kpageflagsClassify.ts) tested by name: every rule id has a case
// (a kpageflags word built from the KPF_* bits of kernel/kpf.ts, and what the capture says around
// the PFN) that fires it and says which class it gives, per kernel version where a bit changed meaning.
import { kpfPredicates } from '../../../kernel/predicates';
import { kernelVersion } from '../../../kernel/version';
import * as assert from 'node:assert/strict';
import { KPF_RULE_CLASS, KPF_RULES, KpfContext, KpfRuleId, kpfRule } from '../../../memmap/kpageflagsClassify';
import { CLASS_ID, className, PageClass } from '../../../kernel/pageClasses';
import { KPF, KpfName } from '../../../kernel/kpf';

/** What the capture says around the PFN (defaults: online RAM, no virtio-mem, no XEN/Hyper-V). */
interface Around {
  version?: [number, number];
  virtioMem?: boolean;
  offlineBlock?: boolean;
  systemRam?: boolean;
  hypervisorBalloon?: boolean;
}

interface KpfCase {
  rule: KpfRuleId;
  cls: PageClass;
  /** KPF_* names set in the word (none: the word reads 0). */
  bits: KpfName[];
  around?: Around;
  what: string;
}

const PFN = 0x12345;

function contextOf(a: Around = {}): KpfContext {
  return {
    is: kpfPredicates(a.version && kernelVersion(a.version[0], a.version[1])),
    inVirtioMem: (pfn) => pfn === PFN && a.virtioMem === true,
    inOfflineBlock: (pfn) => pfn === PFN && a.offlineBlock === true,
    inSystemRam: (pfn) => (pfn === PFN ? (a.systemRam ?? true) : undefined),
    unmovableBalloonHypervisor: a.hypervisorBalloon === true,
  };
}

/** The word's two 32-bit halves, as the reader's hot loop passes them. */
function halves(bits: KpfName[]): [number, number] {
  const w = bits.reduce((v, n) => v | (1n << BigInt(KPF[n])), 0n);
  return [Number(w & 0xffffffffn), Number(w >> 32n)];
}

const v = (major: number, minor: number): Around => ({ version: [major, minor] });

const CASES: KpfCase[] = [
  {
    rule: 'nopage-offline-block',
    cls: 'section-offline',
    bits: ['NOPAGE'],
    around: { ...v(6, 1), offlineBlock: true },
    what: 'KPF_NOPAGE in a block sysfs reports offline',
  },
  { rule: 'nopage', cls: 'no-memmap', bits: ['NOPAGE'], around: v(6, 1), what: 'KPF_NOPAGE' },
  { rule: 'nopage', cls: 'no-memmap', bits: ['NOPAGE'], what: 'KPF_NOPAGE, kernel version unknown' },
  {
    rule: 'zero-offline-block',
    cls: 'section-offline',
    bits: [],
    around: { ...v(6, 16), offlineBlock: true },
    what: '0 in a block sysfs reports offline (6.16)',
  },
  {
    rule: 'zero-offline-block',
    cls: 'section-offline',
    bits: [],
    around: { offlineBlock: true },
    what: '0 in a block sysfs reports offline, kernel version unknown',
  },
  {
    rule: 'zero-not-ram',
    cls: 'no-memmap',
    bits: [],
    around: { ...v(6, 16), systemRam: false },
    what: '0 outside System RAM (6.16)',
  },
  {
    rule: 'tail-hugetlb',
    cls: 'hugetlb',
    bits: ['COMPOUND_TAIL', 'HUGE'],
    around: v(6, 1),
    what: 'KPF_COMPOUND_TAIL + KPF_HUGE',
  },
  {
    rule: 'tail-slab',
    cls: 'slab',
    bits: ['COMPOUND_TAIL', 'SLAB'],
    around: v(6, 1),
    what: 'KPF_COMPOUND_TAIL + KPF_SLAB',
  },
  {
    rule: 'tail-thp',
    cls: 'compound-tail',
    bits: ['COMPOUND_TAIL', 'THP'],
    around: v(6, 1),
    what: 'KPF_COMPOUND_TAIL + KPF_THP, no KPF_LRU (6.1 takes PG_lru from the tail itself)',
  },
  {
    rule: 'tail-thp',
    cls: 'compound-tail',
    bits: ['COMPOUND_TAIL', 'LRU', 'ANON'],
    around: v(6, 12),
    what: 'KPF_COMPOUND_TAIL + KPF_LRU',
  },
  {
    rule: 'tail-kernel',
    cls: 'compound-tail',
    bits: ['COMPOUND_TAIL'],
    around: v(6, 12),
    what: 'KPF_COMPOUND_TAIL alone',
  },
  {
    rule: 'hwpoison',
    cls: 'hwpoison',
    bits: ['HWPOISON', 'LRU'],
    around: v(6, 12),
    what: 'KPF_HWPOISON, even on an LRU page',
  },
  { rule: 'buddy', cls: 'free', bits: ['BUDDY'], around: v(6, 12), what: 'KPF_BUDDY' },
  {
    rule: 'offline-skippable-flag',
    cls: 'offline-skippable',
    bits: ['OFFLINE', 'MAPPEDTODISK'],
    around: v(6, 12),
    what: 'KPF_OFFLINE + KPF_MAPPEDTODISK (PG_owner_2, 6.12)',
  },
  {
    rule: 'offline-virtio-mem',
    cls: 'offline-skippable',
    bits: ['OFFLINE'],
    around: { ...v(6, 12), virtioMem: true },
    what: 'KPF_OFFLINE inside a virtio-mem range',
  },
  {
    rule: 'offline-virtio-mem',
    cls: 'offline-skippable',
    bits: ['OFFLINE', 'UPTODATE'],
    around: { ...v(6, 17), virtioMem: true },
    what: 'KPF_OFFLINE inside a virtio-mem range (6.17, PG_movable_ops set)',
  },
  {
    rule: 'offline-movable-ops',
    cls: 'offline-movable',
    bits: ['OFFLINE', 'UPTODATE'],
    around: v(6, 17),
    what: 'KPF_OFFLINE + KPF_UPTODATE (PG_movable_ops, 6.17)',
  },
  {
    rule: 'offline-movable-ops',
    cls: 'offline-movable',
    bits: ['OFFLINE', 'UPTODATE'],
    around: v(7, 3),
    what: 'KPF_OFFLINE + KPF_UPTODATE (PG_movable_ops, 7.3)',
  },
  {
    rule: 'offline-not-movable-617',
    cls: 'offline-unmovable',
    bits: ['OFFLINE'],
    around: v(6, 17),
    what: 'KPF_OFFLINE without PG_movable_ops (6.17)',
  },
  {
    rule: 'offline-not-movable-617',
    cls: 'offline-unmovable',
    bits: ['OFFLINE'],
    around: { ...v(6, 18), hypervisorBalloon: true },
    what: 'KPF_OFFLINE without PG_movable_ops on a XEN/Hyper-V guest (6.18)',
  },
  {
    rule: 'offline-hypervisor-balloon',
    cls: 'offline-unmovable',
    bits: ['OFFLINE'],
    around: { ...v(6, 1), hypervisorBalloon: true },
    what: 'KPF_OFFLINE on a XEN/Hyper-V guest (6.1)',
  },
  {
    rule: 'offline-balloon-assumed',
    cls: 'offline-movable',
    bits: ['OFFLINE'],
    around: v(6, 1),
    what: 'KPF_OFFLINE outside virtio-mem (6.1)',
  },
  {
    rule: 'offline-balloon-assumed',
    cls: 'offline-movable',
    bits: ['OFFLINE', 'MAPPEDTODISK'],
    around: v(6, 1),
    what: 'KPF_OFFLINE + KPF_MAPPEDTODISK on 6.1 (PG_mappedtodisk, not PG_owner_2)',
  },
  {
    rule: 'offline-balloon-assumed',
    cls: 'offline-movable',
    bits: ['OFFLINE', 'UPTODATE'],
    around: v(6, 16),
    what: 'KPF_OFFLINE + KPF_UPTODATE on 6.16 (before PG_movable_ops)',
  },
  {
    rule: 'offline-balloon-assumed',
    cls: 'offline-movable',
    bits: ['OFFLINE', 'MAPPEDTODISK'],
    what: 'KPF_OFFLINE + KPF_MAPPEDTODISK, kernel version unknown',
  },
  { rule: 'pgtable', cls: 'pagetable', bits: ['PGTABLE'], around: v(6, 12), what: 'KPF_PGTABLE' },
  { rule: 'slab', cls: 'slab', bits: ['SLAB'], around: v(6, 12), what: 'KPF_SLAB' },
  { rule: 'slab', cls: 'slab', bits: ['SLAB', 'COMPOUND_HEAD'], around: v(6, 12), what: 'KPF_SLAB on a compound head' },
  {
    rule: 'hugetlb',
    cls: 'hugetlb',
    bits: ['HUGE', 'COMPOUND_HEAD'],
    around: v(6, 12),
    what: 'KPF_HUGE + KPF_COMPOUND_HEAD',
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    bits: ['RESERVED'],
    around: v(6, 1),
    what: 'KPF_RESERVED (bit 32, the high half)',
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    bits: ['RESERVED', 'ZERO_PAGE'],
    around: v(6, 12),
    what: 'KPF_RESERVED + KPF_ZERO_PAGE',
  },
  {
    rule: 'head-thp',
    cls: 'compound-head',
    bits: ['COMPOUND_HEAD', 'THP', 'LRU', 'ANON'],
    around: v(6, 12),
    what: 'KPF_COMPOUND_HEAD + KPF_THP',
  },
  {
    rule: 'head-thp',
    cls: 'compound-head',
    bits: ['COMPOUND_HEAD', 'LRU'],
    around: v(6, 1),
    what: 'KPF_COMPOUND_HEAD + KPF_LRU',
  },
  {
    rule: 'head-kernel',
    cls: 'compound-head',
    bits: ['COMPOUND_HEAD'],
    around: v(6, 12),
    what: 'KPF_COMPOUND_HEAD alone',
  },
  {
    rule: 'lru-anon',
    cls: 'lru-anon',
    bits: ['LRU', 'ANON', 'SWAPBACKED'],
    around: v(6, 12),
    what: 'KPF_LRU + KPF_ANON',
  },
  { rule: 'lru-file', cls: 'lru-file', bits: ['LRU', 'MMAP'], around: v(6, 12), what: 'KPF_LRU without KPF_ANON' },
  {
    rule: 'other',
    cls: 'kernel-other',
    bits: [],
    around: v(6, 15),
    what: '0 outside System RAM on 6.15 (which writes KPF_NOPAGE there)',
  },
  {
    rule: 'other',
    cls: 'kernel-other',
    bits: [],
    around: v(6, 16),
    what: '0 inside System RAM and an online block (6.16)',
  },
  { rule: 'other', cls: 'kernel-other', bits: ['UPTODATE', 'DIRTY'], around: v(6, 12), what: 'no state bit' },
];

describe('kpageflags rules by name (memmap/kpageflagsClassify.ts)', () => {
  for (const c of CASES) {
    const ver = c.around?.version ? c.around.version.join('.') : 'version unknown';
    it(`${c.rule} → ${c.cls} (${ver}): ${c.what}`, () => {
      const [lo, hi] = halves(c.bits);
      const r = kpfRule(lo, hi, PFN, contextOf(c.around));
      assert.deepEqual({ rule: KPF_RULES[r].id, cls: className(KPF_RULE_CLASS[r]) }, { rule: c.rule, cls: c.cls });
    });
  }

  it('every rule id of KPF_RULES has a named case, with the class the table gives it', () => {
    const cased = new Map<string, PageClass>(CASES.map((c) => [c.rule, c.cls]));
    const missing = KPF_RULES.filter((r) => !cased.has(r.id)).map((r) => r.id);
    assert.deepEqual(missing, [], `rules without a case: ${missing.join(', ')}`);
    KPF_RULES.forEach((r, i) => assert.equal(KPF_RULE_CLASS[i], CLASS_ID[cased.get(r.id)!], r.id));
  });
});
