// The one vocabulary of page classes every input is mapped to: the model's words for page states,
// kept beside the kernel knowledge so its explanations (knowledge/offlineFamily.ts) can name them. A Snapshot stores one byte per PFN:
// the index of its class in PAGE_CLASSES. The order is part of the on-wire protocol with the
// webview and of exported files, so append new classes at the end; never reorder.
//
// Compound pages, the same for every reader: a hugetlb page is `hugetlb` head and tails; a slab
// page is `slab` head and tails; any other compound page (THP, large kernel allocation) is
// `compound-head` for its head and `compound-tail` for its tails.

export const PAGE_CLASSES = [
  'unknown',
  'no-memmap',
  'section-offline',
  'free',
  'reserved',
  'slab',
  'pagetable',
  'lru-anon',
  'lru-file',
  'compound-head',
  'compound-tail',
  'hugetlb',
  'hwpoison',
  'offline-movable',
  'offline-unmovable',
  'offline-skippable',
  'offline',
  'unaccepted',
  'zone-device',
  'vmemmap',
  'kernel-other',
  'excluded',
  'not-in-listing',
] as const;

export type PageClass = (typeof PAGE_CLASSES)[number];

/** Numeric id of each class (its index in PAGE_CLASSES), for the per-PFN byte arrays. */
export const CLASS_ID: { readonly [K in PageClass]: number } = Object.fromEntries(
  PAGE_CLASSES.map((name, i) => [name, i]),
) as { [K in PageClass]: number };

export const NR_CLASSES = PAGE_CLASSES.length;

export function className(id: number): PageClass {
  return PAGE_CLASSES[id] ?? 'unknown';
}

export function isPageClass(s: string): s is PageClass {
  return (PAGE_CLASSES as readonly string[]).includes(s);
}

/** What each class means, in one line a user reads in a legend or a table header. */
export const CLASS_DESCRIPTION: { readonly [K in PageClass]: string } = {
  unknown: 'state could not be determined (unrecognised layout or unreadable data)',
  'no-memmap': 'no struct page describes this PFN (hole, absent section or subsection)',
  'section-offline': 'memory section is offline: the memmap is stale and must not be interpreted',
  free: 'free page in the buddy allocator (or on a per-CPU free list)',
  reserved: 'PG_reserved: kernel image, memblock allocation, firmware or a hole inside boot memory',
  slab: 'slab allocator page',
  pagetable: 'page-table page',
  'lru-anon': 'anonymous page on an LRU list',
  'lru-file': 'page-cache page on an LRU list',
  'compound-head': 'head of a compound page (THP or other multi-page kernel allocation)',
  'compound-tail': 'tail of a compound page (not hugetlb, not slab)',
  hugetlb: 'hugetlbfs page (head or tail)',
  hwpoison: 'PG_hwpoison: memory failure, contents must not be touched',
  'offline-movable': 'PageOffline, migratable: balloon page with balloon compaction (virtio-balloon, VMware)',
  'offline-unmovable':
    'PageOffline, unmigratable: XEN/Hyper-V balloon, not-onlined hotplug remainder; blocks offlining',
  'offline-skippable': 'PageOffline, skippable: virtio-mem fake-offline (unplugged) subblock; offlining skips it',
  offline: 'PageOffline, kind unknown',
  unaccepted: 'unaccepted memory (TDX/SNP guest), free but not yet accepted',
  'zone-device': 'ZONE_DEVICE memory (pmem, DAX, HMM): memmap valid, not online System RAM',
  vmemmap: 'struct pages of a memmap_on_memory block, hosted at the start of the block itself',
  'kernel-other': 'allocated, in use by the kernel, no more specific state',
  excluded: 'filtered out of the dump (makedumpfile dump level): the data needed to classify it is not in the file',
  'not-in-listing': 'not covered by the tool output this snapshot was read from',
};

/** One row of a reader's rule table: the first rule that matches a page decides its class. */
export interface ClassRule {
  id: string;
  cls: PageClass;
  /** Why a page that matches is in this class, in plain words for the UI. */
  why: string;
  /** An assumption the user should know about when this rule fired. */
  assumption?: string;
}
