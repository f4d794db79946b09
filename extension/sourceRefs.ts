// Kernel source worth reading for each page class (opened through the kmemmap.openKernelSource command).

import type { SourceRef } from '../shared/protocol';

const PAGE_FLAGS: SourceRef = { label: 'enum pageflags', path: 'include/linux/page-flags.h', symbol: 'pageflags' };
const KPF: SourceRef = {
  label: 'KPF_* bits (/proc/kpageflags ABI)',
  path: 'include/uapi/linux/kernel-page-flags.h',
  symbol: 'KPF_NOPAGE',
};
const STABLE_FLAGS: SourceRef = { label: 'stable_page_flags()', path: 'fs/proc/page.c', symbol: 'stable_page_flags' };

const BY_CLASS: Record<string, SourceRef[]> = {
  'no-memmap': [
    { label: 'struct mem_section', path: 'include/linux/mmzone.h', symbol: 'mem_section' },
    { label: 'pfn_to_online_page()', path: 'mm/memory_hotplug.c', symbol: 'pfn_to_online_page' },
  ],
  'section-offline': [
    { label: 'SECTION_IS_ONLINE', path: 'include/linux/mmzone.h', symbol: 'SECTION_IS_ONLINE' },
    { label: 'offline_pages()', path: 'mm/memory_hotplug.c', symbol: 'offline_pages' },
  ],
  free: [{ label: 'PageBuddy / __free_one_page()', path: 'mm/page_alloc.c', symbol: '__free_one_page' }],
  reserved: [
    { label: 'PG_reserved', path: 'include/linux/page-flags.h', symbol: 'PG_reserved' },
    { label: 'memblock_free_all()', path: 'mm/memblock.c', symbol: 'memblock_free_all' },
  ],
  slab: [{ label: 'struct slab', path: 'mm/slab.h', symbol: 'slab' }],
  pagetable: [{ label: 'PageTable / pagetable_alloc()', path: 'include/linux/mm.h', symbol: 'pagetable_alloc' }],
  'lru-anon': [{ label: 'PageAnon()', path: 'include/linux/page-flags.h', symbol: 'PageAnon' }],
  'lru-file': [{ label: 'struct address_space', path: 'include/linux/fs.h', symbol: 'address_space' }],
  'compound-head': [{ label: 'PG_head / compound pages', path: 'include/linux/page-flags.h', symbol: 'PageHead' }],
  'compound-tail': [{ label: 'PageTail()', path: 'include/linux/page-flags.h', symbol: 'PageTail' }],
  hugetlb: [{ label: 'hugetlb folios', path: 'mm/hugetlb.c', symbol: 'folio_test_hugetlb' }],
  hwpoison: [{ label: 'memory_failure()', path: 'mm/memory-failure.c', symbol: 'memory_failure' }],
  'offline-movable': [
    { label: 'balloon_page_insert()', path: 'include/linux/balloon_compaction.h', symbol: 'balloon_page_insert' },
  ],
  'offline-unmovable': [
    { label: 'PageOffline()', path: 'include/linux/page-flags.h', symbol: 'PageOffline' },
    { label: 'offline_pages()', path: 'mm/memory_hotplug.c', symbol: 'offline_pages' },
  ],
  'offline-skippable': [
    { label: 'virtio_mem_fake_offline()', path: 'drivers/virtio/virtio_mem.c', symbol: 'virtio_mem_fake_offline' },
    { label: 'PageOffline()', path: 'include/linux/page-flags.h', symbol: 'PageOffline' },
  ],
  offline: [{ label: 'PageOffline()', path: 'include/linux/page-flags.h', symbol: 'PageOffline' }],
  unaccepted: [{ label: 'accept_memory()', path: 'mm/page_alloc.c', symbol: 'accept_memory' }],
  'zone-device': [{ label: 'memmap_init_zone_device()', path: 'mm/mm_init.c', symbol: 'memmap_init_zone_device' }],
  vmemmap: [{ label: 'memmap_on_memory', path: 'mm/memory_hotplug.c', symbol: 'mhp_supports_memmap_on_memory' }],
  excluded: [],
  'not-in-listing': [],
  'kernel-other': [],
  unknown: [],
};

export function sourceRefsFor(cls: string, fromKpageflags: boolean): SourceRef[] {
  return [...(BY_CLASS[cls] ?? []), PAGE_FLAGS, ...(fromKpageflags ? [KPF, STABLE_FLAGS] : [])];
}
