// Key kernel functions and structures around the memmap and memory offlining.

import type { KnowledgeEntry, SourceRef } from './types';

type Lines = SourceRef['lines'];
function fn(
  name: string,
  file: string,
  lines: Lines,
  meaning: string,
  offlining?: string,
  extra: Partial<KnowledgeEntry> = {},
): KnowledgeEntry {
  return {
    name,
    kind: 'function',
    meaning,
    versions: extra.versions ?? 'all (5.15 … 6.18)',
    offlining,
    source: [{ file, symbol: name, lines }, ...(extra.source ?? [])],
    related: extra.related,
    details: extra.details,
    appearance: extra.appearance,
  };
}

const HP = 'mm/memory_hotplug.c';
const ISO = 'mm/page_isolation.c';
const VM = 'drivers/virtio/virtio_mem.c';

export const FUNCTION_ENTRIES: KnowledgeEntry[] = [
  fn(
    'pfn_to_online_page',
    HP,
    { '6.1': 259, '6.12': 345, '6.18': 346 },
    'Returns the struct page of a PFN only if its memmap may be trusted: section online, subsection valid, and not covered by a ZONE_DEVICE dev_pagemap; NULL otherwise.',
    'PFN walkers (kpageflags, compaction, hwpoison) use it to stay away from offline blocks whose memmap is stale.',
    { related: ['SECTION_IS_ONLINE', 'KPF_NOPAGE'] },
  ),
  fn(
    'offline_pages',
    HP,
    { '6.1': 1798, '6.12': 1961, '6.18': 1905 },
    'Offlines a PFN range (one memory block): checks holes/zones, isolates pageblocks, runs MEM_GOING_OFFLINE notifiers, migrates movable pages in a loop, dissolves free hugetlb, checks the range is isolated, removes it from the buddy and marks the sections offline.',
    'Failure reasons (pr_debug): "memory holes", "multizone range", "failure to isolate range" (+dump_page "unmovable page"), "notifier failure", "unmovable page" (PageOffline with refcount > 0), "signal backoff", "failure to dissolve huge pages".',
    {
      related: [
        'has_unmovable_pages',
        'scan_movable_pages',
        'do_migrate_range',
        'test_pages_isolated',
        '__offline_isolated_pages',
        'PGTY_offline',
        'refcount-0 protocol',
      ],
      details: [
        'Steps (mainline 5.8 … 6.18): (1) range pageblock/section aligned, vmemmap pages of a memmap_on_memory block excluded; (2) walk_system_ram_range() covers it, else "memory holes"; (3) one zone, else "multizone range"; (4) zone_pcp_disable, lru_cache_disable, start_isolate_page_range() → has_unmovable_pages() per pageblock, else "failure to isolate range" + dump_page "unmovable page" (every PageOffline page counts as movable here); (5) 6.17+ node notifier; (6) MEM_GOING_OFFLINE notifiers (virtio-mem drops its fake-offline references to 0); (7) loop scan_movable_pages() + do_migrate_range(), -EBUSY "unmovable page" for a referenced PageOffline page, "signal backoff" on a signal; (8) dissolve free hugetlb; (9) test_pages_isolated(): only buddy, hwpoison and refcount-0 PageOffline pages pass, else retry from (7); (10) __offline_isolated_pages() + offline_mem_sections(); (11) MEM_OFFLINE, remove_pfn_range_from_zone() (poison with DEBUG_VM).',
        'With the unmerged PG_offline_skippable series (v1 14 May 2025, v2 20 May 2025): step (4) skips only skippable PageOffline pages, so unmigratable ones fail already there with a dump; step (6) no longer changes refcounts; (7) and (9) skip/accept PageOffline only when PageOfflineSkippable; (10) WARNs instead of BUG_ON.',
      ],
    },
  ),
  fn(
    'online_pages',
    HP,
    { '6.1': 1075, '6.12': 1166, '6.18': 1153 },
    "Onlines a memory block: initialises the memmap into a zone, marks sections online and hands pages to the online_page callback (generic_online_page or a driver's).",
  ),
  fn(
    'generic_online_page',
    HP,
    { '6.1': 580, '6.12': 652, '6.18': 652 },
    'Default online callback: frees the pages to the buddy allocator (and from 6.11 clears the initial PageOffline).',
  ),
  fn(
    'scan_movable_pages',
    HP,
    { '6.1': 1577, '6.12': 1750, '6.18': 1754 },
    'Finds the next LRU, movable_ops or migratable hugetlb page in the range for do_migrate_range().',
    'Mainline: a PageOffline page with page_count > 0 makes it return -EBUSY → offlining fails with "unmovable page" (no dump_page). PG_offline_skippable v2: only PageOffline && !PageOfflineSkippable returns -EBUSY; v1 2/2 would have removed the -EBUSY entirely.',
    { related: ['PGTY_offline', 'PG_offline_skippable'] },
  ),
  fn(
    'do_migrate_range',
    HP,
    { '6.1': 1625, '6.12': 1796, '6.18': 1796 },
    'Isolates and migrates the pages found by scan_movable_pages(); failures print "failed to isolate pfn" / "migrating pfn … failed" with dump_page "isolation failed" / "migration failure".',
    'With the PG_offline_skippable series it skips skippable PageOffline pages.',
  ),
  fn(
    'has_unmovable_pages',
    ISO,
    { '6.1': 33, '6.12': 33, '6.18': 33 },
    'Per pageblock, returns the first page that can never be migrated: PG_reserved, CMA, and in non-MOVABLE zones slab, page tables, non-LRU compound, unsupported hugetlb, refcount>0 non-LRU non-movable pages.',
    'Its result makes start_isolate_page_range() fail: "failure to isolate range" + dump_page(page, "unmovable page"). Mainline treats every PageOffline page as movable here ("false negatives only"); the PG_offline_skippable series skips only skippable ones.',
    { related: ['set_migratetype_isolate', 'PG_reserved'] },
  ),
  fn(
    'set_migratetype_isolate',
    ISO,
    { '6.1': 147, '6.12': 147, '6.18': 154 },
    'Isolates one pageblock (MIGRATE_ISOLATE) after has_unmovable_pages(); on failure with REPORT_FAILURE it calls dump_page(page, "unmovable page").',
  ),
  fn(
    'test_pages_isolated',
    ISO,
    { '6.1': 635, '6.12': 606, '6.18': 597 },
    'Checks that every page of an isolated range is free, hwpoisoned or (MEMORY_OFFLINE) PageOffline with refcount 0.',
    'offline_pages() retries migration until this succeeds.',
    { related: ['__test_page_isolated_in_pageblock'] },
  ),
  fn(
    '__test_page_isolated_in_pageblock',
    ISO,
    { '6.1': 602, '6.12': 559, '6.18': 549 },
    'Per-pageblock worker of test_pages_isolated(): accepts PageBuddy (skipping its order), PageHWPoison, and PageOffline with refcount 0 (with PG_offline_skippable: PageOffline && skippable, refcount ignored).',
  ),
  fn(
    '__offline_isolated_pages',
    'mm/page_alloc.c',
    { '6.1': 9557, '6.12': 6978, '6.18': 7197 },
    'Removes the isolated free pages from the buddy allocator; skips hwpoison; for PageOffline pages BUG_ON(page_count) in mainline (the series: WARN_ON_ONCE unless skippable with refcount 1). From 6.11 returns the number of non-PageOffline pages for managed-page accounting.',
  ),
  fn(
    'offline_and_remove_memory',
    HP,
    { '6.1': 2231, '6.12': 2404, '6.18': 2370 },
    'Offlines and removes (hot-unplugs) a memory range; virtio-mem uses it for fully unplugged blocks, which only works because fake-offline pages are skipped by offline_pages().',
    undefined,
    { related: ['virtio_mem_fake_offline'] },
  ),
  fn(
    'remove_pfn_range_from_zone',
    HP,
    { '6.1': 460, '6.12': 546, '6.18': 547 },
    'After offlining: shrinks the zone span and calls page_init_poison() on the memmap (effective only with CONFIG_DEBUG_VM).',
  ),
  fn(
    'mhp_init_memmap_on_memory',
    HP,
    { '6.1': 1026, '6.12': 1104, '6.18': 1090 },
    'memmap_on_memory: prepares the vmemmap pages hosted at the start of a hot-added block (PageVmemmapSelfHosted).',
  ),
  fn(
    'memory_block_offline',
    'drivers/base/memory.c',
    { '6.1': 231, '6.12': 257, '6.18': 295 },
    'sysfs "offline" for one memory block: -EINVAL if the block spans zones, else offline_pages() on the block minus its vmemmap pages.',
  ),
  fn(
    'balloon_page_insert',
    'include/linux/balloon_compaction.h',
    { '6.1': 91, '6.12': 91, '6.18': 99 },
    'Marks a page as an inflated balloon page: __SetPageOffline, private = balloon_dev_info, and movable marking (mapping = balloon_mops|PAGE_MAPPING_MOVABLE ≤6.16, PG_movable_ops 6.17+) when CONFIG_BALLOON_COMPACTION.',
    'Such pages are the migratable kind of PageOffline: offlining migrates them.',
    { related: ['PGTY_offline', 'PG_movable_ops', 'PAGE_MAPPING_MOVABLE'] },
  ),
  fn(
    'balloon_page_migrate',
    'mm/balloon_compaction.c',
    { '6.1': 227, '6.12': 227, '6.18': 236 },
    'Migrates an inflated balloon page: the destination becomes PageOffline, the source is freed to the buddy.',
  ),
  fn(
    'virtio_mem_fake_offline',
    VM,
    { '6.1': 1158, '6.12': 1222, '6.18': 1224 },
    'virtio-mem unplug of a subblock inside an online memory block: alloc_contig_range() the range, then mark every page fake-offline (PageOffline, refcount 1; PG_offline_skippable with the series).',
    'The skippable kind: in mainline the MEM_GOING_OFFLINE notifier drops the refcount to 0 so offline_pages() accepts the pages; MEM_CANCEL_OFFLINE re-takes it.',
    {
      details: [
        'virtio-mem unplug sequence: (1) alloc_contig_range() small blocks (e.g. 2 MiB); (2) report them unplugged to the hypervisor; (3) mark them fake-offline (PageOffline, + PageOfflineSkippable with the series); once all subblocks of a Linux memory block are fake-offline, offline_and_remove_memory() removes the block — which must skip these pages or it fails with "unmovable pages".',
      ],
      related: [
        'virtio_mem_set_fake_offline',
        'virtio_mem_fake_offline_going_offline',
        'PG_offline_skippable',
        'offline_and_remove_memory',
      ],
      versions: '5.8+ (virtio-mem)',
    },
  ),
  fn(
    'virtio_mem_set_fake_offline',
    VM,
    { '6.1': 1084, '6.12': 1142, '6.18': 1144 },
    'Marks pages fake-offline: __SetPageOffline, PG_dirty if never onlined (6.1 also clears PG_reserved); the series adds __SetPageOfflineSkippable here.',
    undefined,
    { versions: '5.8+' },
  ),
  fn(
    'virtio_mem_clear_fake_offline',
    VM,
    undefined,
    'Reverses virtio_mem_set_fake_offline() when a subblock is plugged again (clears PageOffline, and PageOfflineSkippable with the series).',
    undefined,
    { versions: '5.8+' },
  ),
  fn(
    'virtio_mem_fake_offline_going_offline',
    VM,
    { '6.1': 1193, '6.12': 1266, '6.18': 1268 },
    'MEM_GOING_OFFLINE: drops the reference of every fake-offline page (refcount 1 → 0), WARN + dump_page "fake-offline page referenced" otherwise. Removed by the PG_offline_skippable series.',
    undefined,
    { versions: '5.8+ (mainline through 6.18)' },
  ),
  fn(
    'virtio_mem_memory_notifier_cb',
    VM,
    { '6.1': 949, '6.12': 988, '6.18': 990 },
    'virtio-mem memory notifier: vetoes offlining while the device is being removed, runs the going-offline/cancel refcount handling.',
  ),
  fn(
    'virtio_mem_online_page_cb',
    VM,
    { '6.1': 1290, '6.12': 1356, '6.18': 1358 },
    'virtio-mem online callback: only hands plugged subblocks to the buddy; unplugged ones stay fake-offline when the block is onlined again.',
  ),
  fn(
    'alloc_contig_range',
    'mm/page_alloc.c',
    { '6.1': 9273, '6.12': 6682, '6.18': 6879 },
    'Allocates a physically contiguous range by isolating and migrating; used by CMA, gigantic hugetlb and virtio-mem unplug.',
  ),
  fn(
    'page_init_poison',
    'mm/debug.c',
    { '6.1': 257, '6.12': 291, '6.18': 350 },
    'memset()s struct pages to 0xff (PAGE_POISON_PATTERN) on CONFIG_DEBUG_VM kernels: boot memmap, hot-added sections, and offlined ranges.',
  ),
  fn(
    'dump_page',
    'mm/debug.c',
    { '6.1': 126, '6.12': 165, '6.18': 141 },
    'Prints a struct page to the kernel log: "page:… refcount:… mapcount:… mapping:… index:… pfn:…", "flags: 0x…(names)", 6.12+ "page_type: …", raw words and "page dumped because: <reason>".',
    undefined,
    {
      appearance: {
        dumpPage: 'dmesg block ending in "page dumped because: unmovable page" when offlining fails at isolation',
      },
    },
  ),
  fn(
    'is_free_buddy_page',
    'mm/page_alloc.c',
    { '6.1': 9602, '6.12': 7028, '6.18': 7247 },
    'True if the page is inside a free buddy block (head or tail).',
  ),
  fn(
    'stable_page_flags',
    'fs/proc/page.c',
    { '6.1': 110, '6.12': 109, '6.18': 147 },
    'Computes the /proc/kpageflags word (KPF_*) of one page.',
  ),
  fn(
    'memmap_init_range',
    'mm/mm_init.c',
    { '6.1': 6855, '6.12': 864, '6.18': 875 },
    'Initialises struct pages of a range; with MEMINIT_HOTPLUG from 6.11 every non-ZONE_DEVICE page starts PageOffline with refcount 1 (PageReserved before).',
  ),
  fn(
    'page_offline_freeze',
    'mm/util.c',
    { '6.1': 1195, '6.12': 1206, '6.18': 1104 },
    'Read side of the rwsem that keeps PageOffline stable while /proc/kcore skips such pages.',
  ),
  fn(
    'memory_failure',
    'mm/memory-failure.c',
    { '6.1': 2017, '6.12': 2254, '6.18': 2172 },
    'Handles a hardware memory error on a PFN: sets PG_hwpoison, unmaps/kills users, takes free pages off the buddy.',
  ),
  fn(
    'soft_offline_page',
    'mm/memory-failure.c',
    { '6.1': 2597, '6.12': 2805, '6.18': 2710 },
    'Migrates the content away from a suspect page and marks it hwpoisoned ("soft offline" — unrelated to memory-block offline).',
  ),
  fn(
    'balloon_append',
    'drivers/xen/balloon.c',
    { '6.1': 166, '6.12': 147, '6.18': 147 },
    'XEN balloon: marks a ballooned-out page PageOffline (unmigratable kind).',
    'Blocks containing such pages cannot be offlined ("unmovable page").',
  ),
  fn(
    'vmballoon_mark_page_offline',
    'drivers/misc/vmw_balloon.c',
    { '6.1': 603, '6.12': 594, '6.18': 594 },
    'VMware balloon: marks every subpage of a 2 MiB balloon page PageOffline (unmigratable).',
  ),
  fn(
    'sparse_add_section',
    'mm/sparse.c',
    { '6.1': 891, '6.12': 839, '6.18': 933 },
    'Hot-add: allocates/populates the memmap of a (sub)section and marks it present.',
  ),
  fn(
    'online_mem_sections',
    'mm/sparse.c',
    { '6.1': 593, '6.12': 524, '6.18': 630 },
    'Sets SECTION_IS_ONLINE for the sections of an onlined range.',
  ),
  fn(
    'offline_mem_sections',
    'mm/sparse.c',
    { '6.1': 611, '6.12': 542, '6.18': 648 },
    'Clears SECTION_IS_ONLINE for the sections of an offlined range.',
  ),
];

export const STRUCT_ENTRIES: KnowledgeEntry[] = [
  {
    name: 'struct page',
    kind: 'struct',
    versions: 'all (64 bytes on x86_64)',
    meaning:
      'One per page frame (the memmap). flags at 0, compound_head/lru at 8, mapping at 24, index at 32, private at 40, _mapcount/page_type at 48, _refcount at 52, memcg_data at 56. 6.18 wraps flags as memdesc_flags_t (.f).',
    aliases: ['page'],
    appearance: { crash: 'struct page <addr>', drgn: '*(struct page *)0x… = { .flags = …, … }' },
    source: [{ file: 'include/linux/mm_types.h', symbol: 'struct page', lines: { '6.1': 73, '6.12': 72, '6.18': 78 } }],
  },
  {
    name: 'struct mem_section',
    kind: 'struct',
    versions: 'all',
    meaning:
      'One per 128 MiB section: section_mem_map (encoded memmap pointer | SECTION_* flags), usage (subsection map, pageblock flags), page_ext. Reached through the two-level mem_section[root][idx] array.',
    aliases: ['mem_section'],
    appearance: { crash: 'kmem -n section table (SECTION, CODED_MEM_MAP, MEM_MAP, STATE)' },
    source: [
      {
        file: 'include/linux/mmzone.h',
        symbol: 'struct mem_section',
        lines: { '6.1': 1636, '6.12': 1822, '6.18': 1907 },
      },
    ],
  },
  {
    name: 'struct memory_block',
    kind: 'struct',
    versions: 'all',
    meaning:
      'One per memory block (sysfs memoryN): start_section_nr, state (MEM_*), nid, zone (NULL if it spans zones), nr_vmemmap_pages / altmap, nr_hwpoison (6.2+).',
    aliases: ['memory_block'],
    source: [{ file: 'include/linux/memory.h', symbol: 'struct memory_block' }],
  },
  {
    name: 'enum pageflags',
    kind: 'struct',
    versions: 'all',
    meaning: 'The PG_* bit numbers; aliases are extra enum members equal to a base flag.',
    aliases: ['pageflags'],
    source: [
      { file: 'include/linux/page-flags.h', symbol: 'enum pageflags', lines: { '6.1': 100, '6.12': 93, '6.18': 93 } },
    ],
  },
  {
    name: 'enum pagetype',
    kind: 'struct',
    versions: '6.11+ (PGTY_* values from 6.12)',
    meaning: 'Page type values stored in the top byte of page->page_type.',
    aliases: ['pagetype'],
    source: [{ file: 'include/linux/page-flags.h', symbol: 'enum pagetype', lines: { '6.12': 939, '6.18': 925 } }],
  },
];
