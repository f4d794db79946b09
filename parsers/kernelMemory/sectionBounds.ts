// Cross-checks of mem_section against what the dump says about itself, before any section is
// trusted to size the machine. A flipped byte in a mem_section root makes a page of garbage look
// like 128 sections of a machine thousands of times larger than the dump: a kdump header's
// max_mapnr, or the end of an ELF dump's PT_LOAD segments, bounds the PFNs the dump describes.
// A section beyond that bound is believed only if it decodes to the vmemmap base and its memmap is
// mapped by the dump's own page tables (ZONE_DEVICE memory, memory added outside the dumped
// ranges); anything else is dropped with a warning that says where the trust ends.
import { formatByteSize } from '../../kernel/byteSize';
import { MemSectionEntry, MemSectionTable, sectionDecodesToBase } from './memSection';

/** The PFN range a dump's own headers describe: [0, endPfn). */
export interface DumpPfnBound {
  endPfn: number;
  /** Where the bound comes from, for messages: "the kdump header's max_mapnr". */
  source: string;
}

export interface TrustedSections {
  sections: MemSectionEntry[];
  warnings: string[];
  notes: string[];
}

export function trustedSections(
  table: MemSectionTable,
  bound: DumpPfnBound,
  memmapMapped: (va: bigint) => boolean,
  structSize: number,
  dataBytes?: number,
): TrustedSections {
  const pps = table.pfnsPerSection;
  const kept: MemSectionEntry[] = [];
  const dropped: MemSectionEntry[] = [];
  let beyondKept = 0;
  for (const s of table.sections) {
    const start = s.nr * pps;
    if (start < bound.endPfn) kept.push(s);
    else if (
      (s.word & 2n) !== 0n &&
      sectionDecodesToBase(table, s) &&
      memmapMapped(table.vmemmapBase + BigInt(start) * BigInt(structSize))
    ) {
      kept.push(s);
      beyondKept++;
    } else dropped.push(s);
  }
  const warnings: string[] = [];
  const notes: string[] = [];
  const range = `PFNs 0x0-0x${bound.endPfn.toString(16)}, ${bound.source}`;
  // struct pages are kernel memory, so in the dump: sections beyond the range are believed, in address
  // order, only while their memmaps fit in the page data the file holds
  const memmapBytes = pps * structSize;
  const fit = dataBytes === undefined ? Infinity : Math.floor(dataBytes / memmapBytes);
  const beyond = kept.filter((s) => s.nr * pps >= bound.endPfn).sort((a, b) => a.nr - b.nr);
  if (beyond.length > fit) {
    const over = new Set(beyond.slice(fit));
    kept.splice(0, kept.length, ...kept.filter((s) => !over.has(s)));
    beyondKept = fit;
    warnings.push(
      `mem_section registers ${beyond.length} sections beyond the dump's own range (${range}) whose memmap the page tables map, ` +
        `but their struct pages would take ${formatByteSize(beyond.length * memmapBytes)} and the dump holds only ${formatByteSize(dataBytes!)} of page data: ` +
        `a corrupted mem_section or page table (or device memory whose memmap lives on the device, which no dump holds); ` +
        `the ${over.size} from section ${beyond[fit].nr} on are not drawn, and the machine is shown as the dump describes it`,
    );
  }
  warnings.push(...dropWarning(dropped, pps, range));
  if (beyondKept)
    notes.push(
      `${beyondKept} section${beyondKept === 1 ? '' : 's'} beyond the dump's range (${range}) kept: their memmap is mapped (device memory, memory outside the dumped ranges, or memory the dump filtered out)`,
    );
  return { sections: kept, warnings, notes };
}

function dropWarning(dropped: MemSectionEntry[], pps: number, range: string): string[] {
  if (!dropped.length) return [];
  const first = dropped[0];
  return [
    `mem_section registers ${dropped.length} section${dropped.length === 1 ? '' : 's'} beyond the dump's own range (${range}) ` +
      `without a memmap the dump maps (first: section ${first.nr}, PFN 0x${(first.nr * pps).toString(16)}, section_mem_map 0x${first.word.toString(16)}): ` +
      'a corrupted mem_section; they are ignored and the machine is shown as the dump describes it',
  ];
}
