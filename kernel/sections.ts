// mem_section.section_mem_map flag bits (x86_64, SPARSEMEM_VMEMMAP).
// Source: include/linux/mmzone.h enum of SECTION_*_BIT (6.1:1720, 6.12:1906, 6.18:1991); 5.15 uses
// #defines with the same numbers. Summary: docs/kernel/sections-and-blocks.md.
import { hasSectionPreinitFlag } from './predicates';
import type { KernelVersion } from './version';

export interface SectionFlagBit {
  bit: number;
  name: string;
  /** crash `kmem -n` letter. */
  letter: string;
  meaning: string;
  since?: string;
}

export const SECTION_FLAG_BITS: readonly SectionFlagBit[] = [
  {
    bit: 0,
    name: 'SECTION_MARKED_PRESENT',
    letter: 'P',
    meaning: 'memory registered for this section (boot or hot-add)',
  },
  { bit: 1, name: 'SECTION_HAS_MEM_MAP', letter: 'M', meaning: 'a memmap is allocated' },
  { bit: 2, name: 'SECTION_IS_ONLINE', letter: 'O', meaning: 'online: memmap initialised and valid' },
  { bit: 3, name: 'SECTION_IS_EARLY', letter: 'E', meaning: 'boot-time section, subsection map not consulted' },
  { bit: 4, name: 'SECTION_TAINT_ZONE_DEVICE', letter: 'D', meaning: 'some subsection is ZONE_DEVICE', since: '5.12' },
  {
    bit: 5,
    name: 'SECTION_IS_VMEMMAP_PREINIT',
    letter: 'V',
    meaning: 'memmap pre-initialised for HVO hugetlb boot pages',
    since: '6.15',
  },
];

export const SECTION_PRESENT = 1 << 0;
export const SECTION_HAS_MEM_MAP = 1 << 1;
export const SECTION_ONLINE = 1 << 2;
export const SECTION_EARLY = 1 << 3;
export const SECTION_DEVICE = 1 << 4;
export const SECTION_PREINIT = 1 << 5;

/**
 * Number of flag bits below the encoded pointer (SECTION_MAP_LAST_BIT) for a kernel version:
 * 5 up to 6.14 (with ZONE_DEVICE, as on every x86_64 distro kernel), 6 from 6.15 with
 * CONFIG_SPARSEMEM_VMEMMAP_PREINIT. Callers must self-check (all present sections decode to the same vmemmap base).
 */
export function sectionFlagBits(release: KernelVersion | undefined): number {
  return release !== undefined && hasSectionPreinitFlag(release) ? 6 : 5;
}

/** crash-style letters for the low flag bits, e.g. "PMOE"; unknown set bits below `nbits` as "?N". */
export function sectionLetters(word: bigint, nbits = 6): string {
  let s = '';
  for (const f of SECTION_FLAG_BITS) if (f.bit < nbits && (word >> BigInt(f.bit)) & 1n) s += f.letter;
  return s;
}
