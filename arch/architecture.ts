// One interface for everything that depends on the machine a dump came from: how kernel virtual
// addresses translate, the page size, the sizes of sections, subsections, pageblocks and memory
// blocks, and the field layout of page->flags in distribution builds. The core asks the dump's
// Architecture instead of assuming x86_64's 4 KiB pages, 128 MiB sections and 512-page pageblocks.
import type { PhysicalMemory } from '../parsers/dump/physmem';
import type { KernelTranslator } from '../parsers/kernelMemory/translator';
import type { VmcoreInfo } from '../parsers/vmcoreinfo';
import type { FlagFields } from '../kernel/pageflags';

/** Page-size-dependent quantities of one dump (read from VMCOREINFO where it says, else the architecture's). */
export interface Geometry {
  pageSize: number;
  pageShift: number;
  /** SECTION_SIZE_BITS: a memory section covers 2^sectionSizeBits bytes. */
  sectionSizeBits: number;
  /** SUBSECTION_SHIFT: the granularity of ZONE_DEVICE/hot-add memmaps inside a section. */
  subsectionShift: number;
  /** pageblock_nr_pages: the unit offline_pages() isolates and migrates by. */
  pageblockPfns: number;
  /** The memory block size a kernel of this architecture uses unless it probed another. */
  defaultBlockBytes: number;
  /** Where each value came from, for the snapshot's notes (e.g. "SECTION_SIZE_BITS 27 (VMCOREINFO)"). */
  sources: string[];
}

export interface Architecture {
  /** `uname -m` of the machine, e.g. "x86_64". */
  readonly name: string;
  /** ELF e_machine of its vmcores. */
  readonly elfMachine: number;
  /** Why a VMCOREINFO is not this architecture's (undefined when it is). */
  vmcoreinfoMismatch(vi: VmcoreInfo): string | undefined;
  /** The geometry of a dump whose VMCOREINFO is `vi` and whose format says pages are `dumpPageSize` bytes. */
  geometry(vi: VmcoreInfo | undefined, dumpPageSize?: number): Geometry;
  /** Kernel virtual → physical translation of a dump. Throws TranslationError when VMCOREINFO lacks what it needs. */
  translator(mem: PhysicalMemory, vi: VmcoreInfo): KernelTranslator;
  /** Why the architecture refuses to offline boot memory, when it does (arm64): blocks of early sections fail with EPERM. */
  readonly bootMemoryOfflineRefusal?: string;
  /** page->flags node and zone fields in distribution builds, used when nothing else says. */
  readonly flagFields: FlagFields;
}
