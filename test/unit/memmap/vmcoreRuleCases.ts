// One or more struct pages per rule of memmap/classifyPage.ts that the struct page itself decides
// (the section-level rules are cased in classifyPage.rules.test.ts), with the class and rule each
// must get; a case per layout family where the rule reads a bit or an encoding that differs.
import type { ClassifyContext, SectionFacts, VmcoreRuleId } from '../../../memmap/classifyPage';
import type { PageClass } from '../../../kernel/pageClasses';
import { pageTypeEncoding } from '../../../kernel/pagetypes';
import { HUGETLB_DTOR, KernelName, maskTail, PageSpec, pointerTail, SmallMemmap, ZONE } from './structPageKit';

export interface StructPageCase {
  rule: VmcoreRuleId;
  cls: PageClass;
  kernel: KernelName;
  /** What makes the page take this rule (the test's name). */
  what: string;
  /** A release of the kernel's family other than the kit's (version-dependent rules). */
  release?: string;
  sec?: Partial<SectionFacts>;
  ctx?: Partial<Pick<ClassifyContext, 'balloonMops' | 'virtioMem' | 'virtioMemIncomplete'>>;
  /** Writes the page under test at pfn, and the pages and facts around it that the rule reads. */
  setup(m: SmallMemmap, pfn: number): void;
}

/** The PFN every case classifies: 16-aligned head 5 pages below, in subsection 8 of its section. */
export const PFN = 0x1005;
const HEAD = PFN - 5;
export const BALLOON_MOPS = 0xffffffff82a1b2c0n;
const ANON_VMA = 0xffff888012345600n;

/** A compound page: head at HEAD (head plus PG_head), page[1] (page1), the tail under test at pfn; tails hold word. */
function compound(m: SmallMemmap, pfn: number, head: PageSpec, word = pointerTail(HEAD), page1: PageSpec = {}): void {
  m.put(HEAD, { ...head, flags: [...(head.flags ?? []), 'head'] });
  m.put(HEAD + 1, { ...page1, tailWord: word });
  m.put(pfn, { tailWord: word });
}

/** A head page at pfn whose page[1] carries page1 (where ≤ 6.8 kernels mark a hugetlb folio). */
function headWithPage1(m: SmallMemmap, pfn: number, page1: PageSpec): void {
  m.put(pfn, { flags: ['head'] });
  m.put(pfn + 1, { ...page1, tailWord: pointerTail(pfn) });
}

/**
 * A page_type word of no type the encoding knows: ≤ 6.10 clears the bit above its highest type bit,
 * 6.11 the bit below its lowest (types count down from bit 30), 6.12+ holds the next top byte.
 */
function unknownType(id: '<=6.10' | '6.11' | '>=6.12'): number {
  const values = Object.values(pageTypeEncoding(id).values);
  if (id === '>=6.12') return Math.max(...values) + 0x01000000;
  const cleared = values.map((v) => ~v >>> 0);
  return ~(id === '6.11' ? Math.min(...cleared) >>> 1 : Math.max(...cleared) << 1) >>> 0;
}
/** Two 5.10 kinds at once (their cleared bits combined): no kind. */
const twoKinds510 = () => pageTypeEncoding('5.10').values.buddy! & pageTypeEncoding('5.10').values.table!;
/** A 5.10 page table charged to a memcg: table and kmemcg bits cleared together. */
const tableKmemcg510 = () => pageTypeEncoding('5.10').values.table! & pageTypeEncoding('5.10').values.kmemcg!;

export const STRUCT_PAGE_CASES: StructPageCase[] = [
  {
    rule: 'zone-device',
    cls: 'zone-device',
    kernel: '6.1',
    what: 'PG_reserved, zone Device, section tainted for devices and not online',
    sec: { device: true, online: false },
    setup: (m, p) => m.put(p, { flags: ['reserved'], zone: ZONE.Device }),
  },
  {
    rule: 'zone-device',
    cls: 'zone-device',
    kernel: '6.12',
    what: 'PG_reserved, zone Device, section tainted for devices and not online',
    sec: { device: true, online: false },
    setup: (m, p) => m.put(p, { flags: ['reserved'], zone: ZONE.Device }),
  },
  {
    rule: 'section-offline',
    cls: 'section-offline',
    kernel: '6.12',
    what: 'an LRU page in a section that is not online',
    sec: { online: false },
    setup: (m, p) => m.put(p, { flags: ['lru'] }),
  },
  {
    rule: 'section-offline',
    cls: 'section-offline',
    kernel: '6.12',
    what: 'PG_reserved, zone Device, but the section is not tainted for devices',
    sec: { online: false },
    setup: (m, p) => m.put(p, { flags: ['reserved'], zone: ZONE.Device }),
  },
  {
    rule: 'subsection-hole',
    cls: 'no-memmap',
    kernel: '6.12',
    what: "hot-added section whose subsection map lacks the PFN's 2 MiB",
    sec: { early: false, subsectionMap: 1n },
    setup: (m, p) => m.put(p, {}),
  },
  {
    rule: 'poisoned',
    cls: 'unknown',
    kernel: '6.12',
    what: 'every byte 0xff (page_init_poison)',
    setup: (m, p) => m.put(p, { fill: 0xff }),
  },
  {
    rule: 'tail-bad-head',
    cls: 'unknown',
    kernel: '6.12',
    what: 'tail word pointing above the tail',
    setup: (m, p) => m.put(p, { tailWord: pointerTail(p + 1) }),
  },
  {
    rule: 'tail-bad-head',
    cls: 'unknown',
    kernel: '6.12',
    what: 'tail whose head is itself a tail',
    setup: (m, p) => {
      m.put(HEAD, { tailWord: pointerTail(HEAD - 1) });
      m.put(p, { tailWord: pointerTail(HEAD) });
    },
  },
  {
    rule: 'tail-bad-head',
    cls: 'unknown',
    kernel: '6.12',
    what: 'tail whose head is an LRU page without PG_head (cannot occur: a damaged memmap)',
    setup: (m, p) => {
      m.put(HEAD, { flags: ['lru'], mapping: ANON_VMA | 1n });
      m.put(p, { tailWord: pointerTail(HEAD) });
    },
  },
  {
    rule: 'tail-hugetlb',
    cls: 'hugetlb',
    kernel: '5.10',
    what: 'head with page[1].compound_dtor = HUGETLB_PAGE_DTOR',
    setup: (m, p) => compound(m, p, {}, undefined, { dtor: HUGETLB_DTOR }),
  },
  {
    rule: 'tail-hugetlb',
    cls: 'hugetlb',
    kernel: '6.1',
    what: 'head with page[1].compound_dtor = HUGETLB_PAGE_DTOR',
    setup: (m, p) => compound(m, p, {}, undefined, { dtor: HUGETLB_DTOR }),
  },
  {
    rule: 'tail-hugetlb',
    cls: 'hugetlb',
    kernel: '6.6',
    what: 'head with PG_hugetlb on page[1]',
    setup: (m, p) => compound(m, p, {}, undefined, { flags: ['active'] }),
  },
  {
    rule: 'tail-hugetlb',
    cls: 'hugetlb',
    kernel: '6.12',
    what: 'head of page type hugetlb',
    setup: (m, p) => compound(m, p, { type: 'hugetlb' }),
  },
  {
    rule: 'tail-hugetlb',
    cls: 'hugetlb',
    kernel: '7.3',
    what: 'compound_info mask of order 4, head of page type hugetlb',
    setup: (m, p) => compound(m, p, { type: 'hugetlb' }, maskTail(4)),
  },
  {
    rule: 'tail-slab',
    cls: 'slab',
    kernel: '6.1',
    what: 'head with PG_slab',
    setup: (m, p) => compound(m, p, { flags: ['slab'] }),
  },
  {
    rule: 'tail-slab',
    cls: 'slab',
    kernel: '6.12',
    what: 'head of page type slab',
    setup: (m, p) => compound(m, p, { type: 'slab' }),
  },
  {
    rule: 'tail-pagetable',
    cls: 'pagetable',
    kernel: '6.1',
    what: 'head of page type table',
    setup: (m, p) => compound(m, p, { type: 'table' }),
  },
  {
    rule: 'tail-pagetable',
    cls: 'pagetable',
    kernel: '6.12',
    what: 'head of page type table',
    setup: (m, p) => compound(m, p, { type: 'table' }),
  },
  {
    rule: 'tail',
    cls: 'compound-tail',
    kernel: '5.10',
    what: 'head of a THP on the LRU',
    setup: (m, p) => compound(m, p, { flags: ['lru'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'tail',
    cls: 'compound-tail',
    kernel: '6.12',
    what: 'head of a THP on the LRU',
    setup: (m, p) => compound(m, p, { flags: ['lru'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'tail',
    cls: 'compound-tail',
    kernel: '7.3',
    what: 'compound_info mask of order 4, head of a kernel allocation',
    setup: (m, p) => compound(m, p, {}, maskTail(4)),
  },
  {
    rule: 'tail',
    cls: 'compound-tail',
    kernel: '7.3',
    what: 'compound_info = head address | 1 (7.x without HVO), head of a THP',
    setup: (m, p) => compound(m, p, { flags: ['lru'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'tail-head-unreadable',
    cls: 'compound-tail',
    kernel: '6.12',
    what: 'head filtered out of the dump',
    setup: (m, p) => {
      m.put(p, { tailWord: pointerTail(HEAD) });
      m.excluded.add(HEAD);
    },
  },
  {
    rule: 'hwpoison',
    cls: 'hwpoison',
    kernel: '6.1',
    what: 'PG_hwpoison',
    setup: (m, p) => m.put(p, { flags: ['hwpoison'] }),
  },
  {
    rule: 'hwpoison',
    cls: 'hwpoison',
    kernel: '6.11',
    what: 'PG_hwpoison',
    setup: (m, p) => m.put(p, { flags: ['hwpoison'] }),
  },
  {
    rule: 'hwpoison',
    cls: 'hwpoison',
    kernel: '6.12',
    what: 'PG_hwpoison',
    setup: (m, p) => m.put(p, { flags: ['hwpoison'] }),
  },
  {
    rule: 'hwpoison',
    cls: 'hwpoison',
    kernel: '6.18',
    what: 'PG_hwpoison',
    setup: (m, p) => m.put(p, { flags: ['hwpoison'] }),
  },
  {
    rule: 'buddy',
    cls: 'free',
    kernel: '5.10',
    what: 'page type buddy',
    setup: (m, p) => m.put(p, { type: 'buddy', refcount: 0, private: 3n }),
  },
  {
    rule: 'buddy',
    cls: 'free',
    kernel: '6.1',
    what: 'page type buddy',
    setup: (m, p) => m.put(p, { type: 'buddy', refcount: 0, private: 3n }),
  },
  {
    rule: 'buddy',
    cls: 'free',
    kernel: '6.11',
    what: 'page type buddy',
    setup: (m, p) => m.put(p, { type: 'buddy', refcount: 0, private: 3n }),
  },
  {
    rule: 'buddy',
    cls: 'free',
    kernel: '6.12',
    what: 'page type buddy',
    setup: (m, p) => m.put(p, { type: 'buddy', refcount: 0, private: 3n }),
  },
  {
    rule: 'buddy-tail',
    cls: 'free',
    kernel: '6.12',
    what: 'refcount 0, no type, inside a free buddy block',
    setup: (m, p) => {
      m.put(p, { refcount: 0 });
      m.buddy.add(p);
    },
  },
  {
    rule: 'offline-movable-ops',
    cls: 'offline-movable',
    kernel: '6.18',
    release: '6.17.0',
    what: 'PageOffline with PG_movable_ops (6.17)',
    setup: (m, p) => m.put(p, { type: 'offline', flags: ['uptodate'] }),
  },
  {
    rule: 'offline-movable-ops',
    cls: 'offline-movable',
    kernel: '7.3',
    what: 'PageOffline with PG_movable_ops',
    setup: (m, p) => m.put(p, { type: 'offline', flags: ['uptodate'], private: 0xffff888001234000n }),
  },
  {
    rule: 'offline-balloon-mops',
    cls: 'offline-movable',
    kernel: '6.1',
    what: 'PageOffline, mapping = &balloon_mops | movable',
    ctx: { balloonMops: BALLOON_MOPS },
    setup: (m, p) => m.put(p, { type: 'offline', mapping: BALLOON_MOPS | 2n }),
  },
  {
    rule: 'offline-balloon-mops',
    cls: 'offline-movable',
    kernel: '6.12',
    what: 'PageOffline, mapping = &balloon_mops | movable',
    ctx: { balloonMops: BALLOON_MOPS },
    setup: (m, p) => m.put(p, { type: 'offline', mapping: BALLOON_MOPS | 2n }),
  },
  {
    rule: 'offline-balloon-mapping',
    cls: 'offline-movable',
    kernel: '5.10',
    what: 'PageOffline, mapping = balloon inode mapping | movable, no kallsyms',
    setup: (m, p) => m.put(p, { type: 'offline', mapping: 0xffff888003456780n | 2n }),
  },
  {
    rule: 'offline-balloon-mapping',
    cls: 'offline-movable',
    kernel: '6.12',
    what: 'PageOffline, mapping tagged movable, balloon_mops unknown',
    setup: (m, p) => m.put(p, { type: 'offline', mapping: BALLOON_MOPS | 2n }),
  },
  {
    rule: 'offline-skippable-flag',
    cls: 'offline-skippable',
    kernel: '6.12',
    what: 'PageOffline with PG_owner_2',
    setup: (m, p) => m.put(p, { type: 'offline', flags: ['owner_2'] }),
  },
  {
    rule: 'offline-skippable-flag',
    cls: 'offline-skippable',
    kernel: '6.18',
    what: 'PageOffline with PG_owner_2',
    setup: (m, p) => m.put(p, { type: 'offline', flags: ['owner_2'] }),
  },
  {
    rule: 'offline-refcount-zero',
    cls: 'offline-skippable',
    kernel: '6.1',
    what: 'PageOffline with refcount 0',
    setup: (m, p) => m.put(p, { type: 'offline', refcount: 0 }),
  },
  {
    rule: 'offline-refcount-zero',
    cls: 'offline-skippable',
    kernel: '6.11',
    what: 'PageOffline with refcount 0',
    setup: (m, p) => m.put(p, { type: 'offline', refcount: 0 }),
  },
  {
    rule: 'offline-refcount-zero',
    cls: 'offline-skippable',
    kernel: '6.12',
    what: 'PageOffline with refcount 0',
    setup: (m, p) => m.put(p, { type: 'offline', refcount: 0 }),
  },
  {
    rule: 'offline-virtio-mem-range',
    cls: 'offline-skippable',
    kernel: '6.12',
    what: 'referenced PageOffline inside a virtio-mem range',
    ctx: { virtioMem: [[PFN - 5, PFN + 11]] },
    setup: (m, p) => m.put(p, { type: 'offline' }),
  },
  {
    rule: 'offline-dirty',
    cls: 'offline-skippable',
    kernel: '6.1',
    what: 'referenced PageOffline with PG_dirty, outside virtio-mem ranges',
    ctx: { virtioMem: [] },
    setup: (m, p) => m.put(p, { type: 'offline', flags: ['dirty'] }),
  },
  {
    rule: 'offline-dirty',
    cls: 'offline-skippable',
    kernel: '6.12',
    what: 'referenced PageOffline with PG_dirty, outside virtio-mem ranges',
    ctx: { virtioMem: [] },
    setup: (m, p) => m.put(p, { type: 'offline', flags: ['dirty'] }),
  },
  {
    rule: 'offline-kind-unknown',
    cls: 'offline',
    kernel: '6.12',
    what: 'referenced PageOffline, virtio-mem ranges unknown',
    setup: (m, p) => m.put(p, { type: 'offline' }),
  },
  {
    rule: 'offline-kind-unknown',
    cls: 'offline',
    kernel: '6.12',
    what: 'referenced PageOffline, resource tree read in part',
    ctx: { virtioMem: [], virtioMemIncomplete: true },
    setup: (m, p) => m.put(p, { type: 'offline' }),
  },
  {
    rule: 'offline-kind-unknown',
    cls: 'offline',
    kernel: '7.3',
    release: '7.4.0',
    what: 'referenced PageOffline on a release newer than the tables, ranges read',
    ctx: { virtioMem: [[PFN - 5, PFN + 11]] },
    setup: (m, p) => m.put(p, { type: 'offline' }),
  },
  {
    rule: 'offline-unmovable',
    cls: 'offline-unmovable',
    kernel: '6.1',
    what: 'referenced PageOffline, no balloon mapping, outside virtio-mem ranges',
    ctx: { virtioMem: [], balloonMops: BALLOON_MOPS },
    setup: (m, p) => m.put(p, { type: 'offline' }),
  },
  {
    rule: 'offline-unmovable',
    cls: 'offline-unmovable',
    kernel: '6.12',
    what: 'referenced PageOffline, movable mapping tag not pointing at balloon_mops',
    ctx: { virtioMem: [], balloonMops: BALLOON_MOPS },
    setup: (m, p) => m.put(p, { type: 'offline', mapping: (BALLOON_MOPS + 0x40n) | 2n }),
  },
  {
    rule: 'offline-unmovable',
    cls: 'offline-unmovable',
    kernel: '6.18',
    release: '6.17.0',
    what: 'referenced PageOffline without PG_movable_ops (6.17), even with a movable mapping tag',
    ctx: { virtioMem: [], balloonMops: BALLOON_MOPS },
    setup: (m, p) => m.put(p, { type: 'offline', mapping: BALLOON_MOPS | 2n }),
  },
  {
    rule: 'unaccepted',
    cls: 'unaccepted',
    kernel: '6.12',
    what: 'page type unaccepted',
    setup: (m, p) => m.put(p, { type: 'unaccepted', refcount: 0 }),
  },
  {
    rule: 'guard',
    cls: 'free',
    kernel: '5.10',
    what: 'page type guard',
    setup: (m, p) => m.put(p, { type: 'guard', refcount: 0 }),
  },
  {
    rule: 'guard',
    cls: 'free',
    kernel: '6.1',
    what: 'page type guard',
    setup: (m, p) => m.put(p, { type: 'guard', refcount: 0 }),
  },
  {
    rule: 'guard',
    cls: 'free',
    kernel: '6.11',
    what: 'page type guard',
    setup: (m, p) => m.put(p, { type: 'guard', refcount: 0 }),
  },
  {
    rule: 'guard',
    cls: 'free',
    kernel: '6.12',
    what: 'page type guard',
    setup: (m, p) => m.put(p, { type: 'guard', refcount: 0 }),
  },
  {
    rule: 'table',
    cls: 'pagetable',
    kernel: '5.10',
    what: 'page type table',
    setup: (m, p) => m.put(p, { type: 'table' }),
  },
  {
    rule: 'table',
    cls: 'pagetable',
    kernel: '5.10',
    what: 'page type table charged to a memcg (table and kmemcg bits)',
    setup: (m, p) => m.put(p, { typeWord: tableKmemcg510() }),
  },
  {
    rule: 'table',
    cls: 'pagetable',
    kernel: '6.1',
    what: 'page type table',
    setup: (m, p) => m.put(p, { type: 'table' }),
  },
  {
    rule: 'table',
    cls: 'pagetable',
    kernel: '6.11',
    what: 'page type table',
    setup: (m, p) => m.put(p, { type: 'table' }),
  },
  {
    rule: 'table',
    cls: 'pagetable',
    kernel: '6.12',
    what: 'page type table',
    setup: (m, p) => m.put(p, { type: 'table' }),
  },
  { rule: 'slab', cls: 'slab', kernel: '5.10', what: 'PG_slab', setup: (m, p) => m.put(p, { flags: ['slab'] }) },
  { rule: 'slab', cls: 'slab', kernel: '6.1', what: 'PG_slab', setup: (m, p) => m.put(p, { flags: ['slab'] }) },
  { rule: 'slab', cls: 'slab', kernel: '6.6', what: 'PG_slab', setup: (m, p) => m.put(p, { flags: ['slab'] }) },
  {
    rule: 'slab',
    cls: 'slab',
    kernel: '6.10',
    what: 'page type slab (PG_slab gone)',
    setup: (m, p) => m.put(p, { type: 'slab' }),
  },
  { rule: 'slab', cls: 'slab', kernel: '6.11', what: 'page type slab', setup: (m, p) => m.put(p, { type: 'slab' }) },
  { rule: 'slab', cls: 'slab', kernel: '6.12', what: 'page type slab', setup: (m, p) => m.put(p, { type: 'slab' }) },
  {
    rule: 'zsmalloc',
    cls: 'kernel-other',
    kernel: '6.12',
    what: 'page type zsmalloc, first object at offset 0x123',
    setup: (m, p) => m.put(p, { typeWord: pageTypeEncoding('>=6.12').values.zsmalloc! | 0x123 }),
  },
  {
    rule: 'zsmalloc',
    cls: 'kernel-other',
    kernel: '6.11',
    what: 'page type zsmalloc',
    setup: (m, p) => m.put(p, { type: 'zsmalloc' }),
  },
  {
    rule: 'large-kmalloc',
    cls: 'kernel-other',
    kernel: '6.18',
    what: 'page type large_kmalloc',
    setup: (m, p) => m.put(p, { type: 'large_kmalloc' }),
  },
  {
    rule: 'large-kmalloc-head',
    cls: 'compound-head',
    kernel: '6.18',
    what: 'page type large_kmalloc with PG_head',
    setup: (m, p) => m.put(p, { type: 'large_kmalloc', flags: ['head'] }),
  },
  {
    rule: 'hugetlb',
    cls: 'hugetlb',
    kernel: '5.10',
    what: 'PG_head, page[1].compound_dtor = HUGETLB_PAGE_DTOR',
    setup: (m, p) => headWithPage1(m, p, { dtor: HUGETLB_DTOR }),
  },
  {
    rule: 'hugetlb',
    cls: 'hugetlb',
    kernel: '6.1',
    what: 'PG_head, page[1].compound_dtor = HUGETLB_PAGE_DTOR',
    setup: (m, p) => headWithPage1(m, p, { dtor: HUGETLB_DTOR }),
  },
  {
    rule: 'hugetlb',
    cls: 'hugetlb',
    kernel: '6.6',
    what: 'PG_head, PG_hugetlb on page[1]',
    setup: (m, p) => headWithPage1(m, p, { flags: ['active'] }),
  },
  {
    rule: 'hugetlb',
    cls: 'hugetlb',
    kernel: '6.10',
    what: 'page type hugetlb',
    setup: (m, p) => m.put(p, { type: 'hugetlb', flags: ['head'] }),
  },
  {
    rule: 'hugetlb',
    cls: 'hugetlb',
    kernel: '6.11',
    what: 'page type hugetlb',
    setup: (m, p) => m.put(p, { type: 'hugetlb', flags: ['head'] }),
  },
  {
    rule: 'hugetlb',
    cls: 'hugetlb',
    kernel: '6.12',
    what: 'page type hugetlb',
    setup: (m, p) => m.put(p, { type: 'hugetlb', flags: ['head'] }),
  },
  {
    rule: 'unknown-page-type',
    cls: 'unknown',
    kernel: '5.10',
    what: 'page types buddy and table at once',
    setup: (m, p) => m.put(p, { typeWord: twoKinds510() }),
  },
  {
    rule: 'unknown-page-type',
    cls: 'unknown',
    kernel: '6.1',
    what: 'a page-type bit above the known ones cleared',
    setup: (m, p) => m.put(p, { typeWord: unknownType('<=6.10') }),
  },
  {
    rule: 'unknown-page-type',
    cls: 'unknown',
    kernel: '6.11',
    what: 'a page-type bit below the known ones cleared',
    setup: (m, p) => m.put(p, { typeWord: unknownType('6.11') }),
  },
  {
    rule: 'unknown-page-type',
    cls: 'unknown',
    kernel: '6.12',
    what: 'a page-type top byte beyond the enum',
    setup: (m, p) => m.put(p, { typeWord: unknownType('>=6.12') }),
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    kernel: '5.10',
    what: 'PG_reserved',
    setup: (m, p) => m.put(p, { flags: ['reserved'] }),
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    kernel: '6.1',
    what: 'PG_reserved',
    setup: (m, p) => m.put(p, { flags: ['reserved'] }),
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    kernel: '6.6',
    what: 'PG_reserved',
    setup: (m, p) => m.put(p, { flags: ['reserved'] }),
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    kernel: '6.10',
    what: 'PG_reserved',
    setup: (m, p) => m.put(p, { flags: ['reserved'] }),
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    kernel: '6.12',
    what: 'PG_reserved',
    setup: (m, p) => m.put(p, { flags: ['reserved'] }),
  },
  {
    rule: 'reserved',
    cls: 'reserved',
    kernel: '6.1',
    what: 'PG_reserved in a device-tainted section outside zone Device',
    sec: { device: true },
    setup: (m, p) => m.put(p, { flags: ['reserved'], zone: ZONE.Normal }),
  },
  {
    rule: 'compound-head',
    cls: 'compound-head',
    kernel: '6.1',
    what: 'PG_head of a kernel allocation (page[1] no hugetlb mark)',
    setup: (m, p) => headWithPage1(m, p, {}),
  },
  {
    rule: 'compound-head',
    cls: 'compound-head',
    kernel: '6.11',
    what: 'PG_head of a kernel allocation',
    setup: (m, p) => m.put(p, { flags: ['head'] }),
  },
  {
    rule: 'compound-head',
    cls: 'compound-head',
    kernel: '6.12',
    what: 'PG_head with PG_lru (THP)',
    setup: (m, p) => m.put(p, { flags: ['head', 'lru'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'compound-head',
    cls: 'compound-head',
    kernel: '7.3',
    what: 'PG_head with PG_lru (THP)',
    setup: (m, p) => m.put(p, { flags: ['head', 'lru'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'lru-ksm',
    cls: 'lru-anon',
    kernel: '6.12',
    what: 'PG_lru, mapping & 3 == 3',
    setup: (m, p) => m.put(p, { flags: ['lru'], mapping: ANON_VMA | 3n }),
  },
  {
    rule: 'lru-ksm',
    cls: 'lru-anon',
    kernel: '6.1',
    what: 'PG_lru, mapping & 3 == 3',
    setup: (m, p) => m.put(p, { flags: ['lru'], mapping: ANON_VMA | 3n }),
  },
  {
    rule: 'lru-anon',
    cls: 'lru-anon',
    kernel: '5.10',
    what: 'PG_lru, anon mapping',
    setup: (m, p) => m.put(p, { flags: ['lru'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'lru-anon',
    cls: 'lru-anon',
    kernel: '6.1',
    what: 'PG_lru, anon mapping',
    setup: (m, p) => m.put(p, { flags: ['lru'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'lru-anon',
    cls: 'lru-anon',
    kernel: '6.12',
    what: 'PG_lru, anon mapping',
    setup: (m, p) => m.put(p, { flags: ['lru', 'swapbacked'], mapping: ANON_VMA | 1n }),
  },
  {
    rule: 'lru-file',
    cls: 'lru-file',
    kernel: '6.1',
    what: 'PG_lru, file mapping',
    setup: (m, p) => m.put(p, { flags: ['lru'], mapping: 0xffff888023456000n }),
  },
  {
    rule: 'lru-file',
    cls: 'lru-file',
    kernel: '6.12',
    what: 'PG_lru, file mapping',
    setup: (m, p) => m.put(p, { flags: ['lru'], mapping: 0xffff888023456000n }),
  },
  {
    rule: 'vmemmap',
    cls: 'vmemmap',
    kernel: '6.1',
    what: "PG_owner_priv_1 (vmemmap_self_hosted) on a PFN backing the block's vmemmap",
    setup: (m, p) => {
      m.put(p, { flags: ['owner_priv_1'] });
      m.vmemmapBacking.add(p);
    },
  },
  {
    rule: 'vmemmap',
    cls: 'vmemmap',
    kernel: '6.6',
    what: "PG_owner_priv_1 (vmemmap_self_hosted) on a PFN backing the block's vmemmap",
    setup: (m, p) => {
      m.put(p, { flags: ['owner_priv_1'] });
      m.vmemmapBacking.add(p);
    },
  },
  {
    rule: 'vmemmap',
    cls: 'vmemmap',
    kernel: '6.10',
    what: "PG_owner_priv_1 (vmemmap_self_hosted) on a PFN backing the block's vmemmap",
    setup: (m, p) => {
      m.put(p, { flags: ['owner_priv_1'] });
      m.vmemmapBacking.add(p);
    },
  },
  {
    rule: 'vmemmap',
    cls: 'vmemmap',
    kernel: '6.12',
    what: "PG_owner_priv_1 (vmemmap_self_hosted) on a PFN backing the block's vmemmap",
    setup: (m, p) => {
      m.put(p, { flags: ['owner_priv_1'] });
      m.vmemmapBacking.add(p);
    },
  },
  {
    rule: 'movable-ops-mapping',
    cls: 'kernel-other',
    kernel: '6.1',
    what: 'referenced, not on an LRU, mapping tagged movable',
    setup: (m, p) => m.put(p, { mapping: BALLOON_MOPS | 2n }),
  },
  {
    rule: 'movable-ops-mapping',
    cls: 'kernel-other',
    kernel: '6.12',
    what: 'referenced, not on an LRU, mapping tagged movable',
    setup: (m, p) => m.put(p, { mapping: BALLOON_MOPS | 2n }),
  },
  {
    rule: 'free-pcp',
    cls: 'free',
    kernel: '6.1',
    what: 'refcount 0, no type, outside any buddy block',
    setup: (m, p) => m.put(p, { refcount: 0 }),
  },
  {
    rule: 'free-pcp',
    cls: 'free',
    kernel: '6.12',
    what: 'refcount 0, no type, outside any buddy block',
    setup: (m, p) => m.put(p, { refcount: 0 }),
  },
  {
    rule: 'other',
    cls: 'kernel-other',
    kernel: '6.12',
    what: 'referenced, no flags, no type',
    setup: (m, p) => m.put(p, {}),
  },
  {
    rule: 'other',
    cls: 'kernel-other',
    kernel: '6.12',
    what: 'PG_owner_priv_1 on a PFN that backs no vmemmap (swapcache/checked alias)',
    setup: (m, p) => m.put(p, { flags: ['owner_priv_1'] }),
  },
  {
    rule: 'other',
    cls: 'kernel-other',
    kernel: '6.18',
    release: '6.17.0',
    what: 'mapping tagged movable on 6.17 (PG_movable_ops replaced the tag)',
    setup: (m, p) => m.put(p, { mapping: BALLOON_MOPS | 2n }),
  },
  {
    rule: 'other',
    cls: 'kernel-other',
    kernel: '7.3',
    what: 'referenced, no flags, no type',
    setup: (m, p) => m.put(p, {}),
  },
];
