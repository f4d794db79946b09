// After the vmcore memmap pass: the sections with their states (decoded from section_mem_map's flag
// bits), zones and class counts, the memory block size, and the memory blocks with their offline
// verdicts. Pure core, no vscode.
import { newCounts, MemoryBlock, Section, SectionState } from './snapshot';
import { rangeCounts, sumCounts } from './aggregate';
import type { OfflineRuleSet } from './offlineRules';
import type { KernelVersion } from '../kernel/version';
import { blockVerdicts } from './offlineVerdict';
import type { ClassifyContext } from './classifyPage';
import { inRanges, type PfnRange } from '../kernel/pfnRange';
import type { VmcoreMemmap } from './vmcoreMemmap';
import type { MemmapPass } from './vmcorePass';
import type { VmcoreResources } from './vmcoreResources';
import type { Architecture, Geometry } from '../arch';
import { ZONE_NAMES } from '../kernel/pageflags';
import {
  SECTION_DEVICE,
  SECTION_HAS_MEM_MAP,
  SECTION_ONLINE,
  SECTION_PRESENT,
  sectionLetters,
} from '../kernel/sections';

/** A section's state from its section_mem_map word (undefined: no mem_section entry). */
export function sectionStateOf(word: bigint | undefined): SectionState {
  const w = word === undefined ? 0 : Number(BigInt.asUintN(8, word));
  if (!(w & SECTION_PRESENT)) return 'absent';
  if (!(w & SECTION_HAS_MEM_MAP)) return 'present';
  if (w & SECTION_ONLINE) return 'online';
  return w & SECTION_DEVICE ? 'device' : 'offline';
}

function filledCounts(cls: number, n: number): Uint32Array {
  const c = newCounts();
  c[cls] = n;
  return c;
}

/** Every section below endPfn, with its state, flag letters, zones and class counts. */
export function buildSections(memmap: VmcoreMemmap, pass: MemmapPass, endPfn: number): Section[] {
  const pps = memmap.pfnsPerSection;
  const nSections = Math.ceil(endPfn / pps);
  const sections: Section[] = [];
  for (let nr = 0; nr < nSections; nr++) {
    const e = memmap.entry(nr);
    const w = e?.word ?? 0n;
    const start = nr * pps;
    const zones = [...ZONE_NAMES].filter((_, z) => pass.zoneMask[nr] & (1 << z));
    const filled = pass.filledWith[nr];
    sections.push({
      nr,
      startPfn: start,
      nrPfns: Math.min(pps, endPfn - start),
      state: sectionStateOf(e?.word),
      flags: e ? sectionLetters(w, memmap.table.flagBits) : undefined,
      zone: zones.length ? zones.join(',') : undefined,
      counts:
        filled >= 0 ? filledCounts(filled, Math.min(pps, endPfn - start)) : rangeCounts(pass.classes, 0, start, pps),
    });
  }
  return sections;
}

/**
 * The memory block size: what kallsyms said, else the architecture's default on machines small enough
 * that the kernel would not have probed a larger one; undefined (no blocks shown) otherwise.
 */
export function memoryBlockSize(
  res: VmcoreResources,
  arch: Architecture,
  geometry: Geometry,
  ramBytes: number,
  warnings: string[],
): { blockBytes?: number; blockSource: string } {
  if (res.blockBytes) return { blockBytes: res.blockBytes, blockSource: res.blockSource };
  // x86_64 probe_memory_block_size keeps the smallest size below 64 GiB of memory
  if (ramBytes < 64 * 2 ** 30) {
    warnings.push(
      `memory block size not found in the dump (no kallsyms memory_block_size_probed/sections_per_block, no hot-added RAM in iomem_resource to bound it); assuming ${geometry.defaultBlockBytes / 2 ** 20} MiB, the ${arch.name} size for machines with less than 64 GiB: the memory blocks and their offline verdicts rest on this assumption`,
    );
    return { blockBytes: geometry.defaultBlockBytes, blockSource: 'assumed' };
  }
  warnings.push('memory block size unknown (no kallsyms, 64 GiB or more of memory): memory blocks are not shown');
  return { blockBytes: res.blockBytes, blockSource: res.blockSource };
}

/** First PFN of [from, to) outside every range (to when the ranges cover it all). */
function firstNonRam(ranges: PfnRange[], from: number, to: number): number {
  let cur = from;
  for (let moved = true; moved && cur < to;) {
    moved = false;
    for (const [s, e] of ranges)
      if (s <= cur && cur < e) {
        cur = e;
        moved = true;
      }
  }
  return Math.min(cur, to);
}

/** Block state from its sections' states. */
function blockState(secs: Section[]): MemoryBlock['state'] {
  if (secs.every((s) => s.state === 'online')) return 'online';
  if (secs.every((s) => s.state === 'offline')) return 'offline';
  return secs.every((s) => s.state === 'absent' || s.state === 'present') ? 'absent' : 'unknown';
}

export interface BlockInput {
  sections: Section[];
  pass: MemmapPass;
  endPfn: number;
  pfnsPerSection: number;
  pfnsPerBlock: number;
  pageblockPfns: number;
  /** System RAM PFN ranges (undefined: unknown). */
  systemRam?: PfnRange[];
  ctx?: ClassifyContext;
  /** Further offlining rule sets (patch review). */
  ruleSets?: readonly OfflineRuleSet[];
  /** The kernel's version, for checks whose order changed between releases. */
  kernelVersion?: KernelVersion;
  /** The architecture's words when it refuses to offline boot memory (arm64), and which sections are boot memory. */
  bootMemoryRefused?: string;
  isEarlySection?: (nr: number) => boolean;
}

/** The memory blocks holding any present section, with their counts and offline verdicts. */
export function buildBlocks(input: BlockInput): MemoryBlock[] {
  const { sections, pass, endPfn, pfnsPerBlock, systemRam, ctx } = input;
  const blocks: MemoryBlock[] = [];
  // compound pages known to be on the LRU (THP): the verdicts' isolation scan skips them in one pass
  const compoundMovable = pass.compound.movableBits();
  if (!pfnsPerBlock) return blocks;
  const spb = pfnsPerBlock / input.pfnsPerSection;
  for (let id = 0; id * pfnsPerBlock < endPfn; id++) {
    const secs = sections.slice(id * spb, (id + 1) * spb);
    if (secs.every((s) => s.state === 'absent')) continue;
    const zones = [...new Set(secs.flatMap((s) => (s.zone ? s.zone.split(',') : [])))];
    // block counts = sum of its sections' counts (sections tile the PFN range; both clamp at endPfn)
    const block: MemoryBlock = {
      id,
      startPfn: id * pfnsPerBlock,
      nrPfns: pfnsPerBlock,
      state: blockState(secs),
      zones: zones.length ? zones : undefined,
      counts: sumCounts(secs.map((s) => s.counts)),
    };
    // A block inside one System RAM range needs no per-PFN check (undefined and "always RAM" judge alike).
    const bStart = id * pfnsPerBlock,
      bEnd = bStart + pfnsPerBlock;
    const allRam = systemRam?.some(([s, e]) => s <= bStart && bEnd <= e);
    // PFNs below the block's first hole are RAM without a range search (the verdict scans upwards)
    const hole = systemRam && !allRam ? firstNonRam(systemRam, bStart, bEnd) : bEnd;
    block.verdict = blockVerdicts(
      {
        block,
        classes: pass.classes,
        classesStartPfn: 0,
        counts: block.counts,
        pageblockPfns: input.pageblockPfns,
        isSystemRam: systemRam && !allRam ? (pfn) => pfn < hole || inRanges(systemRam, pfn) : undefined,
        systemRamUnknown: systemRam === undefined,
        compoundIsMovable: ctx ? (pfn) => pass.compound.isMovable(pfn) : undefined,
        compoundMovableBits: ctx ? compoundMovable : undefined,
        kernelVersion: input.kernelVersion,
        bootMemoryRefused:
          input.bootMemoryRefused && secs.some((sec) => input.isEarlySection?.(sec.nr))
            ? input.bootMemoryRefused
            : undefined,
      },
      input.ruleSets,
    );
    blocks.push(block);
  }
  return blocks;
}
