// x86_64: 4 KiB pages, 128 MiB sections with 2 MiB subsections, 512-page (2 MiB) pageblocks,
// 128 MiB memory blocks unless the kernel probed a larger size (arch/x86/mm/init_64.c
// probe_memory_block_size: up to 2 GiB on big machines), 4- or 5-level page tables.
import type { Architecture, Geometry } from '../architecture';
import type { VmcoreInfo } from '../../parsers/vmcoreinfo';
import { DEBIAN_X86_64_FIELDS } from '../../kernel/decode';
import { X86Paging } from './paging';

const EM_X86_64 = 62;
const PAGE_SHIFT = 12;
const SECTION_SIZE_BITS = 27;
const SUBSECTION_SHIFT = 21;
const PAGEBLOCK_ORDER = 9;
const MIN_MEMORY_BLOCK_BYTES = 128 * 2 ** 20;

export const X86_64: Architecture = {
  name: 'x86_64',
  elfMachine: EM_X86_64,
  vmcoreinfoMismatch(vi: VmcoreInfo) {
    return vi.symbols.has('init_top_pgt')
      ? undefined
      : `VMCOREINFO has no SYMBOL(init_top_pgt): not an x86_64 kernel (release ${vi.osrelease ?? 'unknown'})`;
  },
  geometry(vi: VmcoreInfo | undefined, dumpPageSize?: number): Geometry {
    const pageSize = vi?.pageSize ?? dumpPageSize ?? 2 ** PAGE_SHIFT;
    const sbits = vi?.numbers.get('SECTION_SIZE_BITS');
    return {
      pageSize,
      pageShift: Math.log2(pageSize),
      sectionSizeBits: sbits !== undefined ? Number(sbits) : SECTION_SIZE_BITS,
      subsectionShift: SUBSECTION_SHIFT,
      pageblockPfns: 2 ** PAGEBLOCK_ORDER,
      defaultBlockBytes: MIN_MEMORY_BLOCK_BYTES,
      sources: [
        `page size ${pageSize} (${vi?.pageSize !== undefined ? 'VMCOREINFO PAGESIZE' : dumpPageSize !== undefined ? 'dump header' : 'x86_64'})`,
        `SECTION_SIZE_BITS ${sbits ?? SECTION_SIZE_BITS} (${sbits !== undefined ? 'VMCOREINFO' : 'x86_64'})`,
      ],
    };
  },
  translator: (mem, vi) => new X86Paging(mem, vi),
  flagFields: DEBIAN_X86_64_FIELDS,
};
