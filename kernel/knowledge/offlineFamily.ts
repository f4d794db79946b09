// The "offline" family in depth, and the page classes of our model (kernel/pageClasses.ts).

import { CLASS_DESCRIPTION, PAGE_CLASSES, type PageClass } from '../pageClasses';
import type { KnowledgeEntry } from './types';

const HP = 'mm/memory_hotplug.c';

export const OFFLINE_CONCEPTS: KnowledgeEntry[] = [
  {
    name: 'logically offline',
    kind: 'concept',
    versions: 'all (PageOffline, 5.0+)',
    meaning:
      "PageOffline: the page's memory block is online and its struct page can be read, but the page content must not be touched (not read, dumped or saved) except by its owner.",
    details: [
      'Kinds: migratable (balloon compaction), unmigratable (XEN, Hyper-V, VMware 2 MiB, memtrace, balloon without compaction, 6.11+ hot-add remainder) and skippable (virtio-mem fake-offline).',
      'Compare: memory-block offline (the whole block is offline, memmap stale) and hot-unplugged (sections removed, no memmap at all).',
    ],
    aliases: ['PageOffline'],
    source: [
      {
        file: 'include/linux/page-flags.h',
        symbol: 'PGTY_offline',
        lines: { '6.1': 1003, '6.12': 1047, '6.18': 1034 },
        why: 'PageOffline comment',
      },
    ],
    related: ['PGTY_offline', 'memory-block offline', 'hot-unplugged'],
  },
  {
    name: 'memory-block offline',
    kind: 'concept',
    versions: 'all',
    meaning:
      'Every page of the memory block was offlined by offline_pages(): sections lack SECTION_IS_ONLINE, the memmap is stale garbage (poisoned 0xff with CONFIG_DEBUG_VM) and pfn_to_online_page() returns NULL. The memory is still present and can be onlined again.',
    aliases: ['MEM_OFFLINE', 'section-offline'],
    source: [
      { file: HP, symbol: 'offline_pages', lines: { '6.1': 1798, '6.12': 1961, '6.18': 1905 } },
      { file: HP, symbol: 'pfn_to_online_page', lines: { '6.1': 259, '6.12': 345, '6.18': 346 } },
    ],
    related: ['MEM_OFFLINE', 'SECTION_IS_ONLINE', 'logically offline'],
  },
  {
    name: 'hot-unplugged',
    kind: 'concept',
    versions: 'all',
    meaning:
      'After offlining, remove_memory()/offline_and_remove_memory() removed the sections: no memmap, no memory block, the PFNs are holes (kpageflags NOPAGE ≤6.15, 0 from 6.16).',
    aliases: ['no-memmap'],
    source: [{ file: HP, symbol: 'offline_and_remove_memory', lines: { '6.1': 2231, '6.12': 2404, '6.18': 2370 } }],
    related: ['memory-block offline', 'virtio_mem_fake_offline'],
  },
  {
    name: 'refcount-0 protocol',
    kind: 'concept',
    versions: 'mainline 5.8 … 6.18 (unchanged)',
    meaning:
      'How mainline lets offline_pages() skip virtio-mem fake-offline pages: they keep refcount 1; in MEM_GOING_OFFLINE virtio-mem drops it to 0; test_pages_isolated() accepts PageOffline pages with refcount 0; __offline_isolated_pages() BUG_ONs if one still has a reference; MEM_CANCEL_OFFLINE re-takes the references.',
    details: [
      'Any other PageOffline page still referenced after the notifiers makes scan_movable_pages() return -EBUSY ("unmovable page").',
      'The PG_offline_skippable series (v1 14 May 2025, v2 20 May 2025, not merged through 6.18) replaces this with an explicit flag (PG_owner_2 alias): refcount stays 1, non-skippable PageOffline pages fail already at isolation with dump_page "unmovable page".',
    ],
    source: [
      {
        file: 'drivers/virtio/virtio_mem.c',
        symbol: 'virtio_mem_fake_offline_going_offline',
        lines: { '6.1': 1193, '6.12': 1266, '6.18': 1268 },
      },
      {
        file: 'mm/page_isolation.c',
        symbol: '__test_page_isolated_in_pageblock',
        lines: { '6.1': 602, '6.12': 559, '6.18': 549 },
      },
    ],
    related: ['PG_offline_skippable', 'virtio_mem_fake_offline', 'scan_movable_pages'],
  },
];

const CLASS_EXTRA: Partial<Record<PageClass, Partial<KnowledgeEntry>>> = {
  'offline-movable': {
    offlining: 'Migrated by offline_pages() (balloon compaction): succeeds if memory for the copy is available.',
    related: ['balloon_page_insert', 'PG_movable_ops', 'PAGE_MAPPING_MOVABLE'],
  },
  'offline-unmovable': {
    offlining:
      'Makes offlining fail: mainline with "unmovable page" from scan_movable_pages() (no dump_page); with the PG_offline_skippable series already at isolation ("failure to isolate range" + dump_page "unmovable page").',
    related: ['balloon_append', 'vmballoon_mark_page_offline', 'scan_movable_pages'],
  },
  'offline-skippable': {
    offlining:
      'Skipped while the virtio-mem driver is bound (mainline: refcount dropped to 0 in MEM_GOING_OFFLINE; series: PG_offline_skippable). After a forced driver unload it blocks offlining like an unmovable page.',
    related: ['virtio_mem_fake_offline', 'PG_offline_skippable', 'refcount-0 protocol'],
  },
  offline: {
    offlining:
      'Depends on the kind (movable/unmovable/skippable), which needs flags, mapping, private and refcount to tell.',
    related: ['PGTY_offline'],
  },
  'section-offline': { offlining: 'Already offline.', related: ['memory-block offline', 'SECTION_IS_ONLINE'] },
  'no-memmap': { related: ['hot-unplugged'] },
  reserved: {
    offlining: 'Blocks offlining: "failure to isolate range" + dump_page "unmovable page".',
    related: ['PG_reserved'],
  },
  slab: { offlining: 'Unmovable in non-MOVABLE zones.', related: ['PGTY_slab', 'PG_slab'] },
  hwpoison: { offlining: 'Skipped; block can be offlined but (6.2+) not onlined again.', related: ['PG_hwpoison'] },
  free: { offlining: 'Taken out of the buddy allocator; never blocks.', related: ['PGTY_buddy'] },
};

export const CLASS_ENTRIES: KnowledgeEntry[] = PAGE_CLASSES.map((c) => ({
  name: c,
  kind: 'page-class' as const,
  versions: 'Kernel Memmap Explorer page class',
  meaning: CLASS_DESCRIPTION[c],
  offlining: CLASS_EXTRA[c]?.offlining,
  related: CLASS_EXTRA[c]?.related,
  source: [],
}));
