// Page types (page->page_type): PGTY_* (6.12+), the 6.11 top-byte bits and the ≤6.10 PG_buddy-style
// #defines. Raw values live in ../pagetypes.ts; this file only explains.

import type { KnowledgeEntry } from './types';

const PF_H = 'include/linux/page-flags.h';
const TYPE_LINES = { '6.1': 943, '6.12': 939, '6.18': 925 } as const;

interface TypeText {
  meaning: string;
  versions: string;
  offlining: string;
  kpageflags?: string;
  crash?: string;
  details?: string[];
  related?: string[];
  extraSource?: KnowledgeEntry['source'];
}

function typeEntry(type: string, t: TypeText): KnowledgeEntry {
  return {
    name: `PGTY_${type}`,
    kind: 'page-type',
    meaning: t.meaning,
    details: t.details,
    versions: t.versions,
    aliases: [
      `Page${type === 'hugetlb' ? 'Huge' : type.charAt(0).toUpperCase() + type.slice(1)}`,
      `PG_${type} (≤6.10 #define in page_type)`,
      `PAGE_${type.toUpperCase()}_MAPCOUNT_VALUE (VMCOREINFO)`,
    ],
    appearance: {
      kpageflags: t.kpageflags,
      crash:
        t.crash ??
        'crash never prints page types in kmem -p (FLAGS shows only page->flags); struct page shows _mapcount/page_type as a number',
      drgn: '6.12+: page.page_type >> 24 is the PGTY value; before 6.12 test ~page.page_type & bit (no drgn helper for page types)',
      dumpPage: `6.12+: "page_type: 0x…(${type})"`,
    },
    offlining: t.offlining,
    source: [
      {
        file: PF_H,
        symbol: `PGTY_${type}`,
        lines: TYPE_LINES,
        why: 'enum pagetype (6.12+); PAGE_TYPE_BASE / PG_* defines before',
      },
      ...(t.extraSource ?? []),
    ],
    related: t.related,
  };
}

export const PAGE_TYPE_ENTRIES: KnowledgeEntry[] = [
  typeEntry('buddy', {
    meaning: 'First page of a free block in the buddy allocator; page->private holds the order.',
    versions: 'all (encoding differs ≤6.10 / 6.11 / 6.12+)',
    kpageflags: 'KPF_BUDDY (bit 10); tails of free blocks also get it via is_free_buddy_page()',
    offlining:
      'Free pages are simply taken out of the buddy allocator by __offline_isolated_pages(); they never block offlining.',
    extraSource: [
      { file: 'mm/page_alloc.c', symbol: 'is_free_buddy_page', lines: { '6.1': 9602, '6.12': 7028, '6.18': 7247 } },
    ],
  }),
  typeEntry('offline', {
    meaning:
      'PageOffline, "logically offline": the memory block is online and its memmap valid, but the page content must not be touched (read, dumped, saved) by anyone but its owner (balloon drivers, virtio-mem, XEN, Hyper-V, memtrace, hot-added pages not handed to the buddy from 6.11).',
    versions: 'all (5.0+, renamed from PG_balloon / KPF_BALLOON)',
    kpageflags: 'KPF_OFFLINE (bit 23)',
    details: [
      'Three kinds: migratable (balloon compaction: virtio-balloon, VMware 4 KiB), unmigratable (XEN/Hyper-V balloon, VMware 2 MiB, memtrace, balloon without compaction, 6.11+ hot-add remainder) and skippable (virtio-mem fake-offline subblocks).',
      'Not the same as memory-block offline (whole block offline, memmap stale) or hot-unplugged (sections removed, no memmap at all).',
    ],
    offlining:
      'Mainline 5.8–6.18: has_unmovable_pages() treats every PageOffline page as movable; virtio-mem drops its reference in MEM_GOING_OFFLINE so refcount 0 pages pass test_pages_isolated(); balloon pages with movable ops are migrated; any PageOffline page with refcount > 0 left makes scan_movable_pages() return -EBUSY ("unmovable page", no dump_page). With the unmerged PG_offline_skippable series: only skippable ones are skipped, the others already fail at isolation with dump_page "unmovable page".',
    related: [
      'PG_offline_skippable',
      'offline-movable',
      'offline-unmovable',
      'offline-skippable',
      'offline_pages',
      'scan_movable_pages',
      'virtio_mem_fake_offline',
      'balloon_page_insert',
    ],
    extraSource: [
      {
        file: 'mm/memory_hotplug.c',
        symbol: 'scan_movable_pages',
        lines: { '6.1': 1577, '6.12': 1750, '6.18': 1754 },
        why: 'PageOffline && page_count → -EBUSY',
      },
    ],
  }),
  typeEntry('table', {
    meaning: 'Page-table page.',
    versions: 'all',
    kpageflags: 'KPF_PGTABLE (bit 26)',
    offlining: 'Unmovable: fails isolation in non-MOVABLE zones ("unmovable page" dump).',
  }),
  typeEntry('guard', {
    meaning: 'debug_pagealloc guard page (free, unmapped to catch overruns).',
    versions: 'all (CONFIG_DEBUG_PAGEALLOC)',
    offlining: 'Treated as free.',
  }),
  typeEntry('hugetlb', {
    meaning: 'Head of a hugetlbfs folio.',
    versions:
      '6.9+ as a type (also 6.6.y/6.8.y backports); before: page[1] PG_hugetlb (6.6–6.8) or HUGETLB_PAGE_DTOR (≤6.5)',
    kpageflags: 'KPF_HUGE (bit 17)',
    offlining:
      'Migratable sizes are migrated; free hugetlb folios are dissolved ("failure to dissolve huge pages" if that fails); unsupported sizes are unmovable.',
    related: ['PG_hugetlb'],
  }),
  typeEntry('slab', {
    meaning: 'Slab allocator page (folio head).',
    versions: '6.10+ as a type (PG_slab flag before)',
    kpageflags: 'KPF_SLAB (bit 7)',
    offlining: 'Unmovable: fails isolation in non-MOVABLE zones.',
    related: ['PG_slab'],
  }),
  typeEntry('zsmalloc', {
    meaning: 'zsmalloc (zram/zswap) page; low 24 bits hold the first object offset (6.12+).',
    versions: '6.11+ as a type (mapping tag 0x2 + zsmalloc ops before)',
    offlining: 'Migrated through movable_ops.',
  }),
  typeEntry('unaccepted', {
    meaning:
      'Unaccepted memory in a TDX/SEV-SNP guest: free MAX_ORDER chunk on zone->unaccepted_pages, accepted on first use.',
    versions: '6.12+ (VMCOREINFO PAGE_UNACCEPTED_MAPCOUNT_VALUE from 6.16)',
    offlining: 'Treated as free memory.',
  }),
  typeEntry('large_kmalloc', {
    meaning: 'Large kmalloc() allocation served directly by the page allocator (folio head).',
    versions: '6.15+',
    offlining: 'Unmovable kernel allocation.',
  }),
];

export const PAGE_TYPE_CONCEPTS: KnowledgeEntry[] = [
  {
    name: 'PAGE_TYPE_BASE',
    kind: 'concept',
    versions: '≤6.11 (0xf0000000 up to 6.10, 0x80000000 in 6.11); replaced by enum pagetype in 6.12',
    meaning:
      'Base value of page_type for typed pages: a type is present when its bit is CLEARED from the base (≤6.10: PG_buddy 0x80, PG_offline 0x100, PG_table 0x200, PG_guard 0x400, PG_hugetlb 0x800, PG_slab 0x1000).',
    source: [{ file: PF_H, symbol: 'PAGE_TYPE_BASE', lines: { '6.1': 943 } }],
    related: ['PGTY_buddy', 'PGTY_offline'],
  },
  {
    name: 'PAGE_MAPCOUNT_RESERVE',
    kind: 'concept',
    versions: '≤6.11',
    meaning:
      'page_type values below this (as int) are types, not mapcounts: -128 up to 6.10, ~0xffff in 6.11; from 6.12 "has a type" means (int)page_type < (int)(0xff << 24).',
    source: [{ file: PF_H, symbol: 'PAGE_MAPCOUNT_RESERVE' }],
  },
];
