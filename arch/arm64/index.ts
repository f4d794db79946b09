// arm64 (AArch64): 4, 16 or 64 KiB pages (VMCOREINFO PAGESIZE), SECTION_SIZE_BITS from VMCOREINFO
// (27 for 4K/16K and 29 for 64K since 6.x; 30 on 5.10), 2 MiB subsections, pageblocks of
// min(PMD order, MAX_PAGE_ORDER) pages, memory blocks of one section (arm64 does not probe a larger
// size), page tables walked from swapper_pg_dir (docs/kernel/arm64.md). Dumps are recognised by ELF
// e_machine 183 / kdump utsname "aarch64", or by VMCOREINFO's arm64 keys (NUMBER(kimage_voffset),
// NUMBER(PHYS_OFFSET), NUMBER(VA_BITS)).
import type { Architecture, Geometry } from '../architecture';
import type { VmcoreInfo } from '../../parsers/vmcoreinfo';
import { DEBIAN_ARM64_FIELDS } from '../../kernel/archFlags';
import { Arm64Paging } from './paging';

export const EM_AARCH64 = 183;
const SUBSECTION_SHIFT = 21;

/** SECTION_SIZE_BITS when VMCOREINFO does not say: 27 for 4K and 16K pages, 29 for 64K (arch/arm64/include/asm/sparsemem.h, 5.12+). */
const defaultSectionBits = (pageShift: number): number => (pageShift === 16 ? 29 : 27);

export const ARM64_KEYS = ['kimage_voffset', 'PHYS_OFFSET', 'VA_BITS'] as const;

export const ARM64: Architecture = {
  name: 'aarch64',
  elfMachine: EM_AARCH64,
  vmcoreinfoMismatch(vi: VmcoreInfo) {
    const missing = ARM64_KEYS.filter((k) => !vi.numbers.has(k));
    return missing.length === 0
      ? undefined
      : `VMCOREINFO has no ${missing.map((k) => `NUMBER(${k})`).join(', ')}: not an arm64 (aarch64) kernel (release ${vi.osrelease ?? 'unknown'})`;
  },
  geometry(vi: VmcoreInfo | undefined, dumpPageSize?: number): Geometry {
    const pageSize = vi?.pageSize ?? dumpPageSize ?? 4096;
    const pageShift = Math.log2(pageSize);
    const sbits = vi?.numbers.get('SECTION_SIZE_BITS');
    const sectionSizeBits = sbits !== undefined ? Number(sbits) : defaultSectionBits(pageShift);
    // pageblock_order = min(HUGETLB_PAGE_ORDER = PMD_SHIFT - PAGE_SHIFT, MAX_PAGE_ORDER); NR_PAGE_ORDERS is LENGTH(zone.free_area)
    const orders = vi?.lengths.get('zone.free_area');
    const pmdOrder = pageShift - 3;
    const pageblockOrder = orders !== undefined ? Math.min(pmdOrder, Number(orders) - 1) : pmdOrder;
    return {
      pageSize,
      pageShift,
      sectionSizeBits,
      subsectionShift: SUBSECTION_SHIFT,
      pageblockPfns: 2 ** pageblockOrder,
      defaultBlockBytes: 2 ** sectionSizeBits,
      sources: [
        `page size ${pageSize} (${vi?.pageSize !== undefined ? 'VMCOREINFO PAGESIZE' : dumpPageSize !== undefined ? 'dump header' : 'arm64 default'})`,
        `SECTION_SIZE_BITS ${sectionSizeBits} (${sbits !== undefined ? 'VMCOREINFO' : `arm64 ${pageSize / 1024} KiB pages`})`,
        `pageblock order ${pageblockOrder} (min(PMD order ${pmdOrder}, ${orders !== undefined ? `MAX_PAGE_ORDER ${Number(orders) - 1} from LENGTH(zone.free_area)` : 'MAX_PAGE_ORDER unknown'}))`,
      ],
    };
  },
  translator: (mem, vi) => new Arm64Paging(mem, vi),
  // arch/arm64/mm/mmu.c prevent_bootmem_remove_notifier (5.11+): NOTIFY_BAD on MEM_GOING_OFFLINE of an early section
  bootMemoryOfflineRefusal:
    'the block is boot memory, which arm64 never offlines: its memory notifier (prevent_bootmem_remove_notifier) refuses MEM_GOING_OFFLINE with NOTIFY_BAD, "notifier failure", after the pages were isolated',
  flagFields: DEBIAN_ARM64_FIELDS,
};
