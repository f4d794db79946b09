// What every crash/drgn reader produces before classification: a memmap image plus the facts
// (release, flag numbers, sections, zones, blocks) the tool printed.
import type { DrgnExport, ToolBlock, ToolSection, ToolZone } from './drgnExport';
import type { PageImage } from './pageImage';
import type { ListingFlagNames } from './kmemPFlagNames';
import { virtioMemPfnRanges } from '../iomemRanges';
import type { PfnRange } from '../../kernel/pfnRange';
import type { VersionRange } from '../../kernel/version';

export interface ToolFacts {
  release?: string;
  /** enum pageflags as printed by the tool, names without PG_ (e.g. lru → 4). */
  pageflags?: Map<string, number>;
  /** enum pagetype (6.12+): PGTY_buddy → 0xf0 ... */
  pagetype?: Map<string, number>;
  balloonMops?: bigint;
  hugetlbDtor?: number;
  /** MAX_NUMNODES (1 << NODES_SHIFT). */
  maxNumNodes?: number;
  virtioMem?: PfnRange[];
  /** What the flag names beside a kmem -p listing's FLAGS values say (used when the release is unknown). */
  listingNames?: ListingFlagNames;
  /** The output printed _mapcount/page_type (kmem -m, struct page prints, drgn export). */
  mapcountKnown?: boolean;
  /** Kernel versions other evidence in the output allows, and what it was. */
  versionHint?: { range: VersionRange; why: string };
}

export interface ToolMemmap {
  /** Provenance format, e.g. "drgn-export", "crash-log". */
  format: string;
  machine?: string;
  /** Bytes per page of the machine the output came from (a PFN is a physical address / pageSize). */
  pageSize: number;
  /** Why the output cannot be read here (a page size the reader does not take), when it cannot. */
  unreadable?: string;
  facts: ToolFacts;
  image: PageImage;
  /** struct page fields the output actually showed (others are zero / -1 in the image). */
  knownFields: Set<string>;
  sections: ToolSection[];
  zones: ToolZone[];
  /** Blocks with startPfn/endPfn resolved. */
  blocks: ToolBlock[];
  vmemmap?: bigint;
  warnings: string[];
  notes: string[];
  /** A kmem -p listing was read: its row count, and the PFNs whose words came from struct page prints instead. */
  kmemP?: { rows: number; structPagePfns: Set<number> };
}

export const ALL_FIELDS = ['flags', 'compound_head', 'mapping', 'private', '_mapcount', '_refcount'];

export function toolMemmapFromDrgn(x: DrgnExport): ToolMemmap {
  const pps = x.pfnsPerSection;
  const virtioMem = virtioMemPfnRanges(
    x.iomem.map((r) => ({ start: Number(r.start), end: Number(r.end), name: r.name })),
  );
  // memoryN starts at section N * sections_per_block.
  const per = x.blocks.find((b) => b.id > 0 && b.startSection !== undefined);
  const sectionsPerBlock = per ? per.startSection! / per.id : 1;
  const blocks = x.blocks.map((b) => ({
    ...b,
    startPfn: (b.startSection ?? b.id) * pps,
    endPfn: ((b.startSection ?? b.id) + sectionsPerBlock) * pps,
  }));
  const notes = [`drgn ${x.meta.get('drgn') ?? '?'} export of a ${x.meta.get('source') ?? 'vmcore'}`];
  if (x.pageSize === undefined) notes.push('the export names no page size: 4 KiB pages assumed');
  if (virtioMem.length)
    notes.push(
      `virtio-mem device memory (iomem): ${virtioMem.map(([s, e]) => `pfn 0x${s.toString(16)}-0x${e.toString(16)}`).join(', ')}`,
    );
  return {
    format: 'drgn-export',
    machine: x.meta.get('machine'),
    pageSize: x.pageSize ?? 4096,
    facts: {
      release: x.release,
      pageflags: stripPg(x.pageflags),
      pagetype: x.pagetype,
      balloonMops: x.symbols.get('balloon_mops'),
      hugetlbDtor: x.constants.get('HUGETLB_PAGE_DTOR'),
      maxNumNodes: Number(x.meta.get('max_numnodes')) || undefined,
      virtioMem,
    },
    image: x.image,
    knownFields: new Set(ALL_FIELDS),
    sections: x.sections,
    zones: x.zones,
    blocks,
    vmemmap: x.vmemmap,
    warnings: x.warnings,
    notes,
  };
}

/** enum pageflags with the PG_ prefix removed; aliases keep the first value seen for a bit only as extra names. */
export function stripPg(m: Map<string, number> | undefined): Map<string, number> | undefined {
  if (!m) return undefined;
  const out = new Map<string, number>();
  for (const [k, v] of m) if (k.startsWith('PG_')) out.set(k.slice(3), v);
  return out;
}
