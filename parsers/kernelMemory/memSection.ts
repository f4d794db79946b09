// SPARSEMEM_EXTREME mem_section roots and the vmemmap base (docs/kernel/sections-and-blocks.md).
// SYMBOL(mem_section) is the root array (printed with VMCOREINFO_SYMBOL_ARRAY); LENGTH(mem_section)
// roots, each NULL or pointing at PAGE_SIZE/SIZE(mem_section) sections.
import { sectionFlagBits } from '../../kernel/sections';
import { parseRelease } from '../../kernel/version';
import { VmcoreInfo } from '../vmcoreinfo';
import type { KernelTranslator } from './translator';

export interface MemSectionEntry {
  nr: number;
  /** Raw section_mem_map. */
  word: bigint;
  /** mem_section.usage pointer (offset 8), 0 when absent. */
  usage: bigint;
}

export interface MemSectionTable {
  sectionSizeBits: number;
  pfnsPerSection: number;
  sections: MemSectionEntry[];
  vmemmapBase: bigint;
  /** Flag bits below the pointer (SECTION_MAP_LAST_BIT). */
  flagBits: number;
  warnings: string[];
  notes: string[];
}

export class MemSectionError extends Error {}

/**
 * The mem_section table of a dump. pageSize and defaultSectionBits come from the dump's Geometry
 * (SECTION_SIZE_BITS when VMCOREINFO does not say: 27 on x86_64, 29 on arm64 with 64 KiB pages).
 */
export function readMemSections(
  vi: VmcoreInfo,
  vm: KernelTranslator,
  pageSize: number,
  defaultSectionBits = 27,
): MemSectionTable {
  const root = vi.symbols.get('mem_section');
  const nRoots = vi.lengths.get('mem_section');
  const secSize = vi.sizes.get('mem_section');
  const mapOff = vi.offsets.get('mem_section.section_mem_map') ?? 0;
  const sectionSizeBits = Number(vi.numbers.get('SECTION_SIZE_BITS') ?? defaultSectionBits);
  if (root === undefined || !secSize)
    throw new MemSectionError(
      'VMCOREINFO lacks SYMBOL(mem_section) or SIZE(mem_section): not a SPARSEMEM kernel this reader understands',
    );
  const warnings: string[] = [];
  const { perRoot, roots } = rootGeometry(vi, pageSize, secSize, sectionSizeBits, nRoots, warnings);
  const rootBuf = vm.read(root, roots * 8);
  if (!rootBuf)
    throw new MemSectionError(
      `cannot read the mem_section root array at 0x${root.toString(16)} (not mapped or not in the dump)`,
    );
  const notes: string[] = [];
  const sections: MemSectionEntry[] = [];
  for (let r = 0; r < roots; r++) {
    const p = rootBuf.readBigUInt64LE(r * 8);
    if (p === 0n) continue;
    const page = vm.read(p, perRoot * secSize);
    if (!page) {
      warnings.push(
        `mem_section root ${r} at 0x${p.toString(16)} is not readable; its ${perRoot} sections are shown as unknown`,
      );
      continue;
    }
    for (let i = 0; i < perRoot; i++) {
      const word = page.readBigUInt64LE(i * secSize + mapOff);
      if (word === 0n) continue;
      const usage = secSize >= 16 ? page.readBigUInt64LE(i * secSize + 8) : 0n;
      sections.push({ nr: r * perRoot + i, word, usage });
    }
  }
  const release = vi.osrelease ? parseRelease(vi.osrelease) : undefined;
  let flagBits = sectionFlagBits(release);
  const symVmemmap = vi.symbols.get('vmemmap');
  const withMap = sections.filter((s) => s.word & 2n);
  const decode = (s: MemSectionEntry, bits: number) => s.word & ~((1n << BigInt(bits)) - 1n);
  let base = symVmemmap ?? (withMap.length ? decode(withMap[0], flagBits) : 0n);
  // Self-check: with SPARSEMEM_VMEMMAP every present section decodes to the same vmemmap base.
  const bad = withMap.filter((s) => decode(s, flagBits) !== base);
  if (bad.length) {
    const other = flagBits === 5 ? 6 : 5;
    const badOther = withMap.filter((s) => decode(s, other) !== (symVmemmap ?? decode(withMap[0], other)));
    if (badOther.length === 0) {
      warnings.push(
        `section flag mask ~0x${((1 << flagBits) - 1).toString(16)} did not decode consistently; using ~0x${((1 << other) - 1).toString(16)} (${other} flag bits) instead`,
      );
      flagBits = other;
      base = symVmemmap ?? decode(withMap[0], other);
    } else {
      warnings.push(
        `${bad.length} sections decode to a vmemmap base other than 0x${base.toString(16)} (first: section ${bad[0].nr}, 0x${decode(bad[0], flagBits).toString(16)}); their memmap is not trusted`,
      );
    }
  }
  notes.push(
    `vmemmap base 0x${base.toString(16)} (${symVmemmap !== undefined ? 'SYMBOL(vmemmap)' : 'decoded from section_mem_map'}); ${sections.length} sections registered; section flag bits ${flagBits}`,
  );
  return {
    sectionSizeBits,
    pfnsPerSection: 2 ** sectionSizeBits / pageSize,
    sections,
    vmemmapBase: base,
    flagBits,
    warnings,
    notes,
  };
}

/** x86_64 physical addresses have at most 52 bits (5-level paging); sections are 2^27 bytes. */
const MAX_PHYS_BITS_LIMIT = 52;

/**
 * Sections per root and how many roots to read, cross-checked: SIZE(mem_section) must fit a page,
 * SECTION_SIZE_BITS and MAX_PHYSMEM_BITS must be possible, and LENGTH(mem_section) cannot exceed
 * what MAX_PHYSMEM_BITS allows (a corrupted LENGTH would otherwise size a read of any length).
 */
function rootGeometry(
  vi: VmcoreInfo,
  pageSize: number,
  secSize: number,
  sectionSizeBits: number,
  nRoots: number | undefined,
  warnings: string[],
): { perRoot: number; roots: number } {
  const perRoot = Math.floor(pageSize / secSize);
  if (perRoot < 1 || secSize < 8)
    throw new MemSectionError(
      `SIZE(mem_section)=${secSize} is impossible with ${pageSize}-byte pages: VMCOREINFO is corrupted`,
    );
  // a section holds at least 256 pages (MAX_PAGE_ORDER fits in it) and at most 16 GiB
  const pageShift = Math.log2(pageSize);
  if (!Number.isInteger(sectionSizeBits) || sectionSizeBits < pageShift + 8 || sectionSizeBits > 34)
    throw new MemSectionError(
      `NUMBER(SECTION_SIZE_BITS)=${sectionSizeBits} is impossible with ${pageSize}-byte pages (x86_64 and arm64 with 4 or 16 KiB pages use 27, 64 KiB pages 29): VMCOREINFO is corrupted`,
    );
  // Kernels that do not export MAX_PHYSMEM_BITS may still have 5-level paging: check LENGTH against 52 bits.
  const declared = vi.numbers.get('MAX_PHYSMEM_BITS');
  let maxPhysBits = declared === undefined ? (nRoots === undefined ? 46 : MAX_PHYS_BITS_LIMIT) : Number(declared);
  if (!Number.isInteger(maxPhysBits) || maxPhysBits < sectionSizeBits || maxPhysBits > MAX_PHYS_BITS_LIMIT) {
    warnings.push(
      `NUMBER(MAX_PHYSMEM_BITS)=${vi.numbers.get('MAX_PHYSMEM_BITS')} is impossible on x86_64; using ${MAX_PHYS_BITS_LIMIT}`,
    );
    maxPhysBits = MAX_PHYS_BITS_LIMIT;
  }
  const rootsMax = Math.ceil(2 ** (maxPhysBits - sectionSizeBits) / perRoot);
  if (nRoots !== undefined && (!Number.isSafeInteger(nRoots) || nRoots < 0 || nRoots > rootsMax)) {
    warnings.push(
      `LENGTH(mem_section)=${nRoots} is more than MAX_PHYSMEM_BITS=${maxPhysBits} allows (${rootsMax} roots): only those are read`,
    );
    return { perRoot, roots: rootsMax };
  }
  return { perRoot, roots: nRoots ?? rootsMax };
}

/** True when the section's word decodes to the vmemmap base (its memmap can be located). */
export function sectionDecodesToBase(t: MemSectionTable, s: MemSectionEntry): boolean {
  return (s.word & ~((1n << BigInt(t.flagBits)) - 1n)) === t.vmemmapBase;
}
