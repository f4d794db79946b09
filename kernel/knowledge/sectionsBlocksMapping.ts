// Section flags (mem_section.section_mem_map low bits), memory-block states and page->mapping tags.
// Section bit numbers come from ../sections.ts when decoding; text only here.

import type { KnowledgeEntry } from './types';

const MMZONE = 'include/linux/mmzone.h';
const SECTION_LINES = { '6.1': 1720, '6.12': 1906, '6.18': 1991 } as const;

function section(
  name: string,
  meaning: string,
  versions: string,
  crashLetter: string | undefined,
  offlining?: string,
): KnowledgeEntry {
  return {
    name: `SECTION_${name}`,
    kind: 'section-flag',
    meaning,
    versions,
    aliases: [`SECTION_${name}_BIT`],
    appearance: {
      crash: crashLetter ? `kmem -n STATE letter "${crashLetter}"` : 'not shown by crash 8.0.x',
      drgn: 'drgn 0.0.33+: decode_section_flags(section)',
      kpageflags: 'not visible directly; PFNs of sections that are not online read NOPAGE (≤6.15) or 0 (6.16+)',
    },
    offlining,
    source: [
      {
        file: MMZONE,
        symbol: `SECTION_${name}_BIT`,
        lines: SECTION_LINES,
        why: 'section flag enum (6.1+); #define in 5.15',
      },
      { file: 'mm/sparse.c', symbol: 'offline_mem_sections', lines: { '6.1': 611, '6.12': 542, '6.18': 648 } },
    ],
  };
}

export const SECTION_ENTRIES: KnowledgeEntry[] = [
  section(
    'MARKED_PRESENT',
    'Memory was registered for this 128 MiB section (at boot or by hot-add).',
    'all (bit 0)',
    'P',
  ),
  section(
    'HAS_MEM_MAP',
    'A memmap (struct page array) is allocated for the section; section_mem_map holds its encoded address.',
    'all (bit 1)',
    'M',
  ),
  section(
    'IS_ONLINE',
    'Section is online: its memmap is initialised and may be trusted (pfn_to_online_page() checks this).',
    'all (bit 2)',
    'O',
    'Cleared by offline_mem_sections() when offline_pages() succeeds; the memmap then holds stale values (poisoned 0xff only with CONFIG_DEBUG_VM).',
  ),
  section('IS_EARLY', 'Boot-time section: memmap fully populated, subsection map not consulted.', 'all (bit 3)', 'E'),
  section(
    'TAINT_ZONE_DEVICE',
    'Some subsection belongs to ZONE_DEVICE (pmem/DAX/HMM): pfn_to_online_page() must also check the dev_pagemap.',
    '5.12+ with CONFIG_ZONE_DEVICE (bit 4)',
    'D',
  ),
  section(
    'IS_VMEMMAP_PREINIT',
    'memmap pre-initialised for hugetlb boot pages with vmemmap optimisation (HVO); moves SECTION_MAP_LAST_BIT from 5 to 6.',
    '6.15+ (CONFIG_SPARSEMEM_VMEMMAP_PREINIT; bit 5 with ZONE_DEVICE)',
    undefined,
  ),
  {
    name: 'SECTION_MAP_LAST_BIT',
    kind: 'section-flag',
    versions: 'all; value 4, 5 or 6 depending on version/config',
    meaning:
      'First bit of the encoded memmap pointer in section_mem_map: flag bits sit below it. SECTION_MAP_MASK = ~((1 << SECTION_MAP_LAST_BIT) - 1). A decoder that hard-codes ~0x1f is 32 bytes off on 6.15+ sections with IS_VMEMMAP_PREINIT.',
    aliases: ['SECTION_MAP_MASK', 'SECTION_NID_SHIFT'],
    source: [{ file: MMZONE, symbol: 'SECTION_MAP_LAST_BIT', lines: SECTION_LINES }],
  },
  {
    name: 'SECTION_CANNOT_OPTIMIZE_VMEMMAP',
    kind: 'section-flag',
    versions: 'never released (proposed May 2022, replaced by PG_vmemmap_self_hosted)',
    meaning: 'Proposed section flag for memmap_on_memory sections; not in any tree 5.15 … 6.18.',
    source: [{ file: 'include/linux/page-flags.h', symbol: 'PG_vmemmap_self_hosted' }],
    related: ['PG_vmemmap_self_hosted'],
  },
];

const MEMORY_C = 'drivers/base/memory.c';
function blockState(name: string, sysfs: string, meaning: string, offlining?: string): KnowledgeEntry {
  return {
    name,
    kind: 'block-state',
    meaning,
    versions: 'all',
    aliases: [sysfs, name.replace(/^MEM_/, '')],
    appearance: {
      crash: `kmem -n memory-block table STATE "${name.replace(/^MEM_/, '')}"`,
      drgn: 'drgn 0.0.33+: decode_memory_block_state()',
      kpageflags: `sysfs /sys/devices/system/memory/memoryN/state "${sysfs}"`,
    },
    offlining,
    source: [
      { file: 'include/linux/memory.h', symbol: name },
      { file: MEMORY_C, symbol: 'state_show', lines: { '6.1': 145, '6.12': 141, '6.18': 179 } },
    ],
  };
}

export const BLOCK_STATE_ENTRIES: KnowledgeEntry[] = [
  blockState(
    'MEM_ONLINE',
    'online',
    'Memory block is online: its pages belong to a zone and the buddy allocator; memmap valid.',
    'echo offline > state calls memory_block_offline() → offline_pages().',
  ),
  blockState(
    'MEM_GOING_OFFLINE',
    'going-offline',
    'offline_pages() is running: pages are isolated and being migrated; MEM_GOING_OFFLINE notifiers ran (virtio-mem dropped its references to fake-offline pages).',
    'Transient. A dump taken now can show PageOffline pages with refcount 0.',
  ),
  blockState(
    'MEM_OFFLINE',
    'offline',
    'Memory block is offline: sections lost SECTION_IS_ONLINE, the memmap is stale (or poisoned with DEBUG_VM) and must not be interpreted.',
    'Done; next step for virtio-mem/ACPI is remove_memory(), after which the sections are gone (hot-unplugged).',
  ),
  blockState('MEM_GOING_ONLINE', 'going-online', 'online_pages() is running.'),
  blockState('MEM_CANCEL_ONLINE', 'cancel-online', 'Onlining failed and is being rolled back (notifier event).'),
  blockState(
    'MEM_CANCEL_OFFLINE',
    'cancel-offline',
    'Offlining failed and is being rolled back; virtio-mem re-takes the references it dropped in MEM_GOING_OFFLINE.',
  ),
];

const PF_H = 'include/linux/page-flags.h';
function mapping(name: string, versions: string, meaning: string, aliases: string[] = []): KnowledgeEntry {
  return {
    name,
    kind: 'mapping-tag',
    meaning,
    versions,
    aliases,
    appearance: {
      crash:
        'kmem -p MAPPING column shows the raw tagged pointer (e.g. …c2 = balloon_mops+2); struct page symbolises it',
      drgn: 'page.mapping prints as (struct address_space *)symbol+0x2',
      kpageflags: 'KPF_ANON (12) for bit 0, KPF_KSM (21) for 0x3',
    },
    source: [{ file: PF_H, symbol: name, lines: { '6.1': 641, '6.12': 673, '6.18': 717 } }],
  };
}

export const MAPPING_ENTRIES: KnowledgeEntry[] = [
  mapping(
    'PAGE_MAPPING_ANON',
    '≤6.16 (FOLIO_MAPPING_ANON from 6.17)',
    'Bit 0 of page->mapping: the page is anonymous and mapping points to an anon_vma.',
    ['FOLIO_MAPPING_ANON'],
  ),
  mapping(
    'PAGE_MAPPING_MOVABLE',
    '≤6.16 (gone in 6.17: PG_movable_ops replaces it)',
    'Bit 1 of page->mapping without bit 0: a non-LRU movable page (balloon, zsmalloc ≤6.10); mapping & ~3 = movable_operations (balloon_mops on 6.0–6.16).',
    ['PAGE_MAPPING_ANON_KSM (6.17 rename)'],
  ),
  mapping(
    'PAGE_MAPPING_KSM',
    '≤6.16 (FOLIO_MAPPING_KSM from 6.17)',
    'mapping & 3 == 3: a KSM page, mapping points to a ksm stable node.',
    ['FOLIO_MAPPING_KSM'],
  ),
  mapping(
    'PAGE_MAPPING_FLAGS',
    '≤6.16 (FOLIO_MAPPING_FLAGS from 6.17)',
    'Mask of the tag bits (0x3) of page->mapping.',
    ['FOLIO_MAPPING_FLAGS'],
  ),
  mapping('FOLIO_MAPPING_ANON', '6.17+', 'Bit 0 of folio->mapping: anonymous folio (renamed from PAGE_MAPPING_ANON).', [
    'PAGE_MAPPING_ANON',
  ]),
  mapping(
    'FOLIO_MAPPING_ANON_KSM',
    '6.17+',
    'Bit 1 of folio->mapping (only meaningful with bit 0): KSM; the former PAGE_MAPPING_MOVABLE bit.',
    ['PAGE_MAPPING_MOVABLE'],
  ),
  mapping('FOLIO_MAPPING_KSM', '6.17+', 'mapping & 3 == 3: KSM folio.', ['PAGE_MAPPING_KSM']),
  mapping('FOLIO_MAPPING_FLAGS', '6.17+', 'Mask of the tag bits (0x3) of folio->mapping.', ['PAGE_MAPPING_FLAGS']),
];
