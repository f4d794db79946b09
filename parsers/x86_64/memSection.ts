// SPARSEMEM_EXTREME mem_section roots and the vmemmap base (kernel-page-state.md §3, dump-formats §2.3).
// SYMBOL(mem_section) is the root array (printed with VMCOREINFO_SYMBOL_ARRAY); LENGTH(mem_section)
// roots, each NULL or pointing at PAGE_SIZE/SIZE(mem_section) sections.
import { sectionFlagBits } from '../../kernel/sections';
import { parseRelease } from '../../kernel/pageflags';
import { VmcoreInfo } from '../vmcoreinfo';
import { X86Paging } from './paging';

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

export function readMemSections(vi: VmcoreInfo, vm: X86Paging, pageSize: number): MemSectionTable {
  const root = vi.symbols.get('mem_section');
  const nRoots = vi.lengths.get('mem_section');
  const secSize = vi.sizes.get('mem_section');
  const mapOff = vi.offsets.get('mem_section.section_mem_map') ?? 0;
  const sectionSizeBits = Number(vi.numbers.get('SECTION_SIZE_BITS') ?? 27n);
  if (root === undefined || !secSize) throw new MemSectionError('VMCOREINFO lacks SYMBOL(mem_section) or SIZE(mem_section): not a SPARSEMEM kernel this reader understands');
  const maxPhysBits = Number(vi.numbers.get('MAX_PHYSMEM_BITS') ?? 46n);
  const perRoot = Math.floor(pageSize / secSize);
  const roots = nRoots ?? Math.ceil(2 ** (maxPhysBits - sectionSizeBits) / perRoot);
  const rootBuf = vm.read(root, roots * 8);
  if (!rootBuf) throw new MemSectionError(`cannot read the mem_section root array at 0x${root.toString(16)} (not mapped or not in the dump)`);
  const warnings: string[] = [];
  const notes: string[] = [];
  const sections: MemSectionEntry[] = [];
  for (let r = 0; r < roots; r++) {
    const p = rootBuf.readBigUInt64LE(r * 8);
    if (p === 0n) continue;
    const page = vm.read(p, perRoot * secSize);
    if (!page) { warnings.push(`mem_section root ${r} at 0x${p.toString(16)} is not readable; its ${perRoot} sections are shown as unknown`); continue; }
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
      warnings.push(`section flag mask ~0x${((1 << flagBits) - 1).toString(16)} did not decode consistently; using ~0x${((1 << other) - 1).toString(16)} (${other} flag bits) instead`);
      flagBits = other;
      base = symVmemmap ?? decode(withMap[0], other);
    } else {
      warnings.push(`${bad.length} sections decode to a vmemmap base other than 0x${base.toString(16)} (first: section ${bad[0].nr}, 0x${decode(bad[0], flagBits).toString(16)}); their memmap is not trusted`);
    }
  }
  notes.push(`vmemmap base 0x${base.toString(16)} (${symVmemmap !== undefined ? 'SYMBOL(vmemmap)' : 'decoded from section_mem_map'}); ${sections.length} sections registered; section flag bits ${flagBits}`);
  return { sectionSizeBits, pfnsPerSection: 2 ** (sectionSizeBits - 12), sections, vmemmapBase: base, flagBits, warnings, notes };
}

/** True when the section's word decodes to the vmemmap base (its memmap can be located). */
export function sectionDecodesToBase(t: MemSectionTable, s: MemSectionEntry): boolean {
  return (s.word & ~((1n << BigInt(t.flagBits)) - 1n)) === t.vmemmapBase;
}
