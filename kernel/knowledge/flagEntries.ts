// PG_* flags and their aliases: meaning, versions, appearance, offlining behaviour.
// Bit numbers per release come from ../pageflags.ts (LAYOUT_FAMILIES), never from here.

import type { KnowledgeEntry } from './types';

const PF_H = 'include/linux/page-flags.h';
const ENUM_LINES = { '6.1': 100, '6.12': 93, '6.18': 93 } as const;

interface FlagText {
  meaning: string;
  versions?: string;
  offlining?: string;
  details?: string[];
  crash?: string;
  kpageflags?: string;
  related?: string[];
  extraSource?: KnowledgeEntry['source'];
}

function flagEntry(name: string, t: FlagText, kind: 'page-flag' | 'flag-alias' = 'page-flag'): KnowledgeEntry {
  return {
    name: `PG_${name}`,
    kind,
    meaning: t.meaning,
    details: t.details,
    versions: t.versions ?? 'all (5.15 … 6.18)',
    appearance: {
      kpageflags: t.kpageflags,
      crash: t.crash ?? `kmem -p FLAGS column and dump_page() "flags: 0x…(…)" print it as "${name}"`,
      drgn: `decode_page_flags() prints "PG_${name}"; test with Page${camel(name)}(page) where drgn generates it`,
    },
    offlining: t.offlining,
    source: [{ file: PF_H, symbol: `PG_${name}`, lines: ENUM_LINES, why: 'enum pageflags' }, ...(t.extraSource ?? [])],
    related: t.related,
  };
}

/** "owner_priv_1" → "OwnerPriv1" (the PageX spelling). */
export function camel(snake: string): string {
  const special: Record<string, string> = {
    lru: 'LRU',
    hwpoison: 'HWPoison',
    swapcache: 'SwapCache',
    swapbacked: 'SwapBacked',
    mappedtodisk: 'MappedToDisk',
    uptodate: 'Uptodate',
  };
  if (special[snake]) return special[snake];
  return snake
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

const MIGRATED =
  'LRU pages are isolated and migrated by do_migrate_range(); the page itself does not block offlining unless it is pinned.';

export const BASE_FLAGS: KnowledgeEntry[] = [
  flagEntry('locked', {
    meaning: 'Page is locked (I/O in flight or someone holds lock_page()/folio_lock()).',
    kpageflags: 'KPF_LOCKED (bit 0)',
    offlining:
      'Migration waits for or skips locked pages and retries; a page that stays locked makes offlining loop until a signal ("signal backoff").',
  }),
  flagEntry('writeback', {
    meaning: 'Page is being written back to storage.',
    versions: 'all; bit 15 up to 6.5, bit 1 from 6.6 (moved into the low byte)',
    kpageflags: 'KPF_WRITEBACK (bit 8)',
    offlining: 'Migration waits for writeback to finish; long writeback delays offlining.',
  }),
  flagEntry('referenced', {
    meaning: 'Page was accessed recently (LRU aging hint).',
    kpageflags: 'KPF_REFERENCED (bit 2)',
    offlining: MIGRATED,
  }),
  flagEntry('uptodate', {
    meaning:
      'Page contents are valid (read from disk / fully initialised). Aliased as PG_reported on free pages and, from 6.17, as PG_movable_ops on balloon/zsmalloc pages.',
    kpageflags: 'KPF_UPTODATE (bit 3); from 6.17 also set for movable_ops pages',
    related: ['PG_reported', 'PG_movable_ops'],
  }),
  flagEntry('dirty', {
    meaning:
      'Page contents differ from storage and must be written back. virtio-mem also sets it on fake-offline pages that were never handed to the buddy allocator.',
    kpageflags: 'KPF_DIRTY (bit 4)',
    offlining:
      'Dirty page-cache pages are written back or migrated. On a PageOffline page, PG_dirty hints at virtio-mem (skippable kind).',
    related: ['PGTY_offline'],
  }),
  flagEntry('lru', {
    meaning: 'Page is on an LRU list (page cache or anonymous memory), i.e. reclaimable and migratable.',
    kpageflags: 'KPF_LRU (bit 5)',
    offlining: MIGRATED,
  }),
  flagEntry('head', {
    meaning:
      'First page of a compound page / large folio (THP, hugetlb, slab, large kmalloc …). Tail pages are recognised by bit 0 of compound_head, not by a flag.',
    versions:
      'all; bit 16 up to 6.5, bit 6 from 6.6 (so that the folio order in the low byte of page[1].flags never sets it)',
    kpageflags: 'KPF_COMPOUND_HEAD (bit 15)',
    offlining:
      'THP/LRU compound pages are migrated; non-LRU compound pages in a non-MOVABLE zone make has_unmovable_pages() fail ("unmovable page" dump).',
    related: ['struct page'],
  }),
  flagEntry('waiters', {
    meaning: 'Somebody waits on the page lock or writeback bit (wake-up needed).',
    versions: 'all; bit 7 from 5.15 on',
  }),
  flagEntry('active', {
    meaning:
      'Page is on the active LRU list. On page[1] of a folio it is PG_hugetlb (6.6–6.8) or PG_has_hwpoisoned (6.12+).',
    kpageflags: 'KPF_ACTIVE (bit 6)',
    offlining: MIGRATED,
  }),
  flagEntry('workingset', {
    meaning:
      'Page belongs to the working set (refault detection). On page[1] it is PG_large_rmappable (6.6+) or PG_double_map (≤6.1).',
  }),
  flagEntry('error', {
    meaning: 'An I/O error happened on this page. On page[1] it was PG_has_hwpoisoned (6.0–6.11).',
    versions: '≤6.11 (removed in 6.12, "mm: remove PG_error")',
    kpageflags: 'KPF_ERROR (bit 1); always 0 from 6.12',
  }),
  flagEntry('slab', {
    meaning: 'Page belongs to the slab allocator.',
    versions: '≤6.9 as a flag; from 6.10 slab is a page type (PGTY_slab / PG_slab define in page_type)',
    kpageflags: 'KPF_SLAB (bit 7)',
    offlining:
      'Slab pages cannot be migrated: in a non-MOVABLE zone has_unmovable_pages() reports them ("failure to isolate range" + dump_page "unmovable page").',
    related: ['PGTY_slab'],
  }),
  flagEntry('owner_priv_1', {
    meaning:
      'Owner-private flag: PG_swapcache for anonymous pages, PG_checked for filesystems, PG_pinned/PG_foreign/PG_xen_remapped for XEN, PG_vmemmap_self_hosted for memmap_on_memory pages.',
    kpageflags: 'KPF_OWNER_PRIVATE (bit 37, raw)',
  }),
  flagEntry('owner_2', {
    meaning:
      'Second owner flag (renamed from PG_mappedtodisk in 6.12). Aliases: PG_mappedtodisk (page cache), PG_anon_exclusive (anonymous), and — only with the unmerged May 2025 series — PG_offline_skippable on PageOffline pages.',
    versions: '6.12+ (bit 11)',
    kpageflags: 'KPF_OWNER_2 / KPF_MAPPEDTODISK (bit 34, raw)',
    offlining:
      'With the PG_offline_skippable series applied, a PageOffline page with this bit set is skipped by memory offlining (virtio-mem).',
    related: ['PG_offline_skippable', 'PGTY_offline'],
  }),
  flagEntry('arch_1', {
    meaning: 'Architecture-private flag (x86: unused by core; arm64: dcache clean).',
    kpageflags: 'KPF_ARCH (bit 38, raw)',
  }),
  flagEntry('reserved', {
    meaning:
      'Page is reserved: kernel image, memblock/firmware allocation, a hole inside boot memory, ZONE_DEVICE, or (≤6.10) a hot-added page not handed to the buddy.',
    kpageflags: 'KPF_RESERVED (bit 32, raw)',
    offlining:
      'Always unmovable, even in ZONE_MOVABLE: has_unmovable_pages() fails with "failure to isolate range" and dump_page(page, "unmovable page").',
    related: ['reserved'],
    extraSource: [{ file: 'mm/page_isolation.c', symbol: 'has_unmovable_pages', why: 'PageReserved check' }],
  }),
  flagEntry('private', {
    meaning: 'page->private holds filesystem data (buffer heads …).',
    kpageflags: 'KPF_PRIVATE (bit 35, raw)',
    offlining: "Migrated with the filesystem's migrate_folio(); may need the private data released first.",
  }),
  flagEntry('private_2', { meaning: 'Second private flag (PG_fscache).', kpageflags: 'KPF_PRIVATE_2 (bit 36, raw)' }),
  flagEntry('mappedtodisk', {
    meaning:
      'Page has blocks allocated on disk. Alias PG_anon_exclusive for anonymous pages (6.1+). Became an alias of PG_owner_2 in 6.12.',
    versions: 'base flag ≤6.11; alias of PG_owner_2 from 6.12',
    kpageflags: 'KPF_MAPPEDTODISK (bit 34, raw)',
  }),
  flagEntry('reclaim', {
    meaning:
      'Page is to be reclaimed after writeback (PG_readahead on page-cache pages, PG_isolated / PG_movable_ops_isolated on movable_ops pages, PG_partially_mapped on page[1]).',
    kpageflags: 'KPF_RECLAIM (bit 9)',
  }),
  flagEntry('swapbacked', {
    meaning: 'Page is backed by swap/RAM (anonymous or shmem), not by a file.',
    kpageflags: 'KPF_SWAPBACKED (bit 14)',
    offlining: MIGRATED,
  }),
  flagEntry('unevictable', {
    meaning: 'Page is on the unevictable LRU (mlocked, ramfs, SHM_LOCK).',
    kpageflags: 'KPF_UNEVICTABLE (bit 18)',
    offlining: 'Unevictable is not unmovable: such LRU pages are still migrated.',
  }),
  flagEntry('dropbehind', {
    meaning: 'Drop the page from the page cache once I/O completes (RWF_DONTCACHE uncached buffered I/O).',
    versions: '6.14+ (inserted after PG_unevictable: shifts mlocked and all higher bits by one)',
  }),
  flagEntry('mlocked', {
    meaning: 'Page is mlock()ed by a VMA.',
    kpageflags: 'KPF_MLOCKED (bit 33, raw)',
    offlining: 'mlocked pages are migratable (mlock pins residency, not the physical address).',
  }),
  flagEntry('uncached', {
    meaning: 'x86 PAT: page is mapped uncached.',
    versions: '≤6.11 (x86 moved to PG_arch_2 in 6.12, "x86: remove PG_uncached")',
    kpageflags: 'KPF_UNCACHED (bit 39, raw)',
  }),
  flagEntry('hwpoison', {
    meaning: 'Hardware memory error: the page content is lost and must never be touched.',
    versions: 'all (CONFIG_MEMORY_FAILURE)',
    kpageflags: 'KPF_HWPOISON (bit 19)',
    offlining:
      "Skipped at every stage, so a block with poisoned pages can be offlined; from 6.2 the block's nr_hwpoison counter then refuses re-onlining (-EHWPOISON).",
    extraSource: [
      { file: 'mm/memory-failure.c', symbol: 'memory_failure', lines: { '6.1': 2017, '6.12': 2254, '6.18': 2172 } },
    ],
  }),
  flagEntry('young', {
    meaning: 'Idle page tracking: page was accessed since marked idle (64-bit with CONFIG_PAGE_IDLE_FLAG).',
    versions: 'config-dependent (CONFIG_PAGE_IDLE_FLAG; Debian 6.1 off, Debian 6.12 on)',
  }),
  flagEntry('idle', {
    meaning: 'Idle page tracking: page not accessed since marked idle.',
    versions: 'config-dependent (CONFIG_PAGE_IDLE_FLAG)',
    kpageflags: 'KPF_IDLE (bit 25)',
  }),
  flagEntry('arch_2', {
    meaning: 'Second architecture flag (x86 PAT memtype from 6.12, arm64 MTE).',
    versions: '5.15/6.1: every 64-bit build; 6.6–6.11: arm64 only; 6.12+: ARCH_USES_PG_ARCH_2 (x86 PAT)',
    kpageflags: 'KPF_ARCH_2 (bit 41, raw)',
  }),
  flagEntry('arch_3', {
    meaning: 'Third architecture flag (arm64 MTE).',
    versions: '6.12+ on arm64 only',
    kpageflags: 'KPF_ARCH_3 (bit 42, raw)',
  }),
];

function alias(
  name: string,
  of: string,
  meaning: string,
  versions: string,
  extra: Partial<FlagText> = {},
): KnowledgeEntry {
  const e = flagEntry(name, { meaning: `${meaning} Alias of PG_${of}.`, versions, ...extra }, 'flag-alias');
  e.aliases = [`PG_${of}`];
  // pageflag_names[] (crash, dump_page's %pGp) lists base flags only: an alias shows under its base name.
  e.appearance = {
    ...e.appearance,
    crash: `kmem -p and dump_page() "flags: 0x…(…)" print the base name "${of}"`,
    drgn: `decode_page_flags() prints "PG_${of}" (enum aliases are not listed)`,
  };
  return e;
}

export const ALIAS_FLAGS: KnowledgeEntry[] = [
  alias(
    'swapcache',
    'owner_priv_1',
    'Anonymous/shmem page is in the swap cache (only meaningful together with PG_swapbacked).',
    'all',
    { kpageflags: 'KPF_SWAPCACHE (bit 13) = swapbacked && swapcache' },
  ),
  alias('checked', 'owner_priv_1', 'Filesystem-private "checked" state.', 'all'),
  alias('pinned', 'owner_priv_1', 'XEN: page-table page pinned by the hypervisor.', 'all'),
  alias('foreign', 'owner_priv_1', 'XEN: page belongs to another domain.', 'all'),
  alias('xen_remapped', 'owner_priv_1', 'XEN: remapped page.', 'all'),
  alias(
    'vmemmap_self_hosted',
    'owner_priv_1',
    'Struct pages of a memmap_on_memory block hosted inside that block (replaced the never-merged SECTION_CANNOT_OPTIMIZE_VMEMMAP).',
    '6.1+',
    {
      offlining:
        'These PFNs are excluded from offline_pages() and torn down by mhp_deinit_memmap_on_memory() afterwards.',
      extraSource: [
        {
          file: 'mm/memory_hotplug.c',
          symbol: 'mhp_init_memmap_on_memory',
          lines: { '6.1': 1026, '6.12': 1104, '6.18': 1090 },
        },
      ],
    },
  ),
  alias('savepinned', 'dirty', 'XEN: saved pinned state.', 'all'),
  alias('fscache', 'private_2', 'Page is being written to fscache.', 'all'),
  alias('readahead', 'reclaim', 'Page-cache readahead marker (when not under writeback).', 'all'),
  alias(
    'reported',
    'uptodate',
    'Free page already reported to the hypervisor (free page reporting); only meaningful on buddy pages.',
    'all',
  ),
  alias(
    'isolated',
    'reclaim',
    'A movable (non-LRU, e.g. balloon) page is isolated for migration.',
    '≤6.16 (renamed PG_movable_ops_isolated in 6.17)',
  ),
  alias(
    'movable_ops_isolated',
    'reclaim',
    'A movable_ops page (balloon, zsmalloc) is isolated for migration.',
    '6.17+',
  ),
  alias(
    'movable_ops',
    'uptodate',
    'Page is migrated through movable_ops (balloon compaction or zsmalloc); replaced the PAGE_MAPPING_MOVABLE tag in page->mapping.',
    '6.17+',
    {
      offlining: 'A PageOffline page with PG_movable_ops is a migratable balloon page: offlining migrates it.',
      related: ['PAGE_MAPPING_MOVABLE', 'PGTY_offline'],
    },
  ),
  alias(
    'anon_exclusive',
    'mappedtodisk',
    'Anonymous page is exclusive to one process (may be pinned/written without COW). From 6.12 an alias of PG_owner_2.',
    '6.1+',
  ),
  alias('slob_free', 'private', 'SLOB allocator: page is on the SLOB free list.', '≤6.3 (SLOB removed in 6.4)'),
  alias('double_map', 'workingset', 'page[1] of a THP: mapped by PMD and PTEs.', '≤6.1'),
  alias(
    'has_hwpoisoned',
    'error',
    'page[1] of a large folio: some subpage is hwpoisoned (PG_mappedtodisk in 5.15, PG_error 6.0–6.11, PG_active 6.12+).',
    'all, bit varies',
  ),
  alias('large_rmappable', 'workingset', 'page[1]: folio is a large rmappable folio (THP/mTHP).', '6.6+'),
  alias('partially_mapped', 'reclaim', 'page[1]: large folio is partially mapped (deferred split).', '6.12+'),
  alias(
    'hugetlb',
    'active',
    'page[1] of a hugetlb folio (replaced HUGETLB_PAGE_DTOR; became a page type in 6.9).',
    '6.6–6.8 only',
    { related: ['PGTY_hugetlb'] },
  ),
  alias(
    'offline_skippable',
    'owner_2',
    'On a PageOffline page: memory offlining may skip it (virtio-mem fake-offline pages). Proposed by the PG_offline_skippable series (v1 14 May 2025, v2 20 May 2025, David Hildenbrand); NOT merged in mainline through 6.18.',
    'not in any release through 6.18 (unmerged series; would be bit 11 = PG_owner_2 on 6.12+ layouts)',
    {
      offlining:
        'With the series: has_unmovable_pages() skips only skippable PageOffline pages, scan_movable_pages() returns -EBUSY for PageOffline && !PageOfflineSkippable, do_migrate_range() skips them, __test_page_isolated_in_pageblock() accepts PageOffline && skippable (refcount stays 1, no MEM_GOING_OFFLINE refcount trick), __offline_isolated_pages() WARNs if the flag is missing or refcount != 1.',
      details: [
        'Without the series, a bit-11 flag on an offline page means nothing; always report "kernel built with the unmerged PG_offline_skippable patch" as an assumption.',
      ],
      kpageflags: 'KPF_OFFLINE (23) + KPF_OWNER_2/MAPPEDTODISK (34, raw; page-types -r)',
      related: ['PGTY_offline', 'offline-skippable', 'virtio_mem_fake_offline', 'offline_pages'],
      extraSource: [
        {
          file: 'drivers/virtio/virtio_mem.c',
          symbol: 'virtio_mem_set_fake_offline',
          lines: { '6.1': 1084, '6.12': 1142, '6.18': 1144 },
        },
      ],
    },
  ),
];

export const FLAG_ENTRIES: KnowledgeEntry[] = [...BASE_FLAGS, ...ALIAS_FLAGS];
