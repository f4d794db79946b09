// KPF_* bits of /proc/kpageflags: meaning and version notes. Bit numbers come from ../kpf.ts.

import { KPF, KPF_BITS, type KpfName } from '../kpf';
import type { KnowledgeEntry } from './types';

const MEANING: Record<KpfName, string> = {
  LOCKED: 'PG_locked',
  ERROR: 'PG_error (always 0 from 6.12)',
  REFERENCED: 'PG_referenced',
  UPTODATE: 'PG_uptodate (6.17+: also PG_movable_ops)',
  DIRTY: 'PG_dirty',
  LRU: 'PG_lru',
  ACTIVE: 'PG_active',
  SLAB: 'slab page (PG_slab ≤6.9, page type 6.10+; tails via head)',
  WRITEBACK: 'PG_writeback',
  RECLAIM: 'PG_reclaim (also readahead)',
  BUDDY: 'free page: PageBuddy head, or refcount 0 inside a free buddy block',
  MMAP: 'mapped into some process',
  ANON: 'anonymous page (mapping & 1)',
  SWAPCACHE: 'in the swap cache (swapbacked && swapcache)',
  SWAPBACKED: 'PG_swapbacked',
  COMPOUND_HEAD: 'PG_head',
  COMPOUND_TAIL: 'tail of a compound page',
  HUGE: 'hugetlb folio',
  UNEVICTABLE: 'PG_unevictable',
  HWPOISON: 'PG_hwpoison',
  NOPAGE: 'no online memmap for this PFN (only up to 6.15; from 6.16 such PFNs read 0)',
  KSM: 'KSM page (mapping & 3 == 3)',
  THP: 'transparent huge page (any mTHP size on 6.18) or huge zero page',
  OFFLINE: 'PageOffline: logically offline (balloon, virtio-mem, XEN, Hyper-V …); was KPF_BALLOON before 5.0',
  ZERO_PAGE: 'the zero page or huge zero page',
  IDLE: 'PG_idle / page_ext idle',
  PGTABLE: 'page-table page type',
  RESERVED: 'PG_reserved',
  MLOCKED: 'PG_mlocked',
  MAPPEDTODISK: 'PG_mappedtodisk ≤6.11, PG_owner_2 6.12+ (PG_offline_skippable with the unmerged series)',
  PRIVATE: 'PG_private',
  PRIVATE_2: 'PG_private_2',
  OWNER_PRIVATE: 'PG_owner_priv_1',
  ARCH: 'PG_arch_1',
  UNCACHED: 'PG_uncached (removed 6.12)',
  SOFTDIRTY: 'soft-dirty (never set by kpageflags; page-types synthesises it from pagemap)',
  ARCH_2: 'PG_arch_2',
  ARCH_3: 'PG_arch_3 (6.12+)',
};

const PAGE_TYPES_LETTER: Partial<Record<KpfName, string>> = {
  LOCKED: 'L',
  ERROR: 'E',
  REFERENCED: 'R',
  UPTODATE: 'U',
  DIRTY: 'D',
  LRU: 'l',
  ACTIVE: 'A',
  SLAB: 'S',
  WRITEBACK: 'W',
  RECLAIM: 'I',
  BUDDY: 'B',
  MMAP: 'M',
  ANON: 'a',
  SWAPCACHE: 's',
  SWAPBACKED: 'b',
  COMPOUND_HEAD: 'H',
  COMPOUND_TAIL: 'T',
  HUGE: 'G',
  UNEVICTABLE: 'u',
  HWPOISON: 'X',
  NOPAGE: 'n',
  KSM: 'x',
  THP: 't',
  OFFLINE: 'o',
  ZERO_PAGE: 'z',
  IDLE: 'i',
  PGTABLE: 'g',
  RESERVED: 'r',
  MLOCKED: 'm',
  MAPPEDTODISK: 'd',
  PRIVATE: 'P',
  PRIVATE_2: 'p',
  OWNER_PRIVATE: 'O',
  ARCH: 'h',
  UNCACHED: 'c',
  SOFTDIRTY: 'f',
  ARCH_2: 'H',
};

export const KPF_ENTRIES: KnowledgeEntry[] = KPF_BITS.map((b) => {
  const name = b.name as KpfName;
  const raw = KPF[name] >= 32;
  return {
    name: `KPF_${name}`,
    kind: 'kpf-bit' as const,
    meaning: `/proc/kpageflags bit ${KPF[name]}: ${MEANING[name]}.`,
    details: b.note ? [b.note] : undefined,
    versions:
      name === 'ARCH_3'
        ? '6.12+'
        : name === 'OWNER_PRIVATE' || raw
          ? 'all (kernel-internal bit, include/linux/kernel-page-flags.h)'
          : 'all (uapi)',
    appearance: {
      kpageflags: `bit ${KPF[name]}${raw ? ' — hidden by page-types unless -r' : ''}`,
      crash: 'not shown by crash (kpageflags is a /proc interface)',
      drgn: 'not applicable; drgn reads struct page directly',
      dumpPage: PAGE_TYPES_LETTER[name]
        ? `page-types letter "${PAGE_TYPES_LETTER[name]}", long name "${name.toLowerCase()}"`
        : undefined,
    },
    offlining:
      name === 'OFFLINE'
        ? 'See PGTY_offline: which kind (movable/unmovable/skippable) cannot be told from kpageflags alone.'
        : name === 'NOPAGE'
          ? 'Offlined blocks read as NOPAGE (≤6.15) or 0 (6.16+).'
          : undefined,
    source: [
      {
        file: raw ? 'include/linux/kernel-page-flags.h' : 'include/uapi/linux/kernel-page-flags.h',
        symbol: `KPF_${name}`,
      },
      {
        file: 'fs/proc/page.c',
        symbol: 'stable_page_flags',
        lines: { '6.1': 110, '6.12': 109, '6.18': 147 },
        why: 'how the bit is computed',
      },
    ],
  };
});
