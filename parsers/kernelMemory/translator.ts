// What a reader of kernel structures in a dump (mem_section, kallsyms, the iomem resource tree)
// needs from an architecture: kernel virtual addresses translated and read. The architectures in
// arch/ implement it; the readers here never know which one they talk to.

export class TranslationError extends Error {}

export interface Mapping {
  /** Physical address of va. */
  pa: number;
  /** Bytes from va to the end of the mapping: the page that maps it, or a linear region's end (kernel image, linear map). */
  span: number;
}

export interface KernelTranslator {
  /** Physical address of va and how far the same mapping goes, or undefined when not mapped / not in the dump. */
  translate(va: bigint): Mapping | undefined;
  /** len bytes at va, or undefined when any of them is unmapped or missing from the dump. */
  read(va: bigint, len: number): Buffer | undefined;
  readU64(va: bigint): bigint | undefined;
  /** A NUL-terminated string at va (at most max bytes), or undefined. */
  readCString(va: bigint, max?: number): string | undefined;
  /** One line for the snapshot's notes: how addresses are translated (bases, levels). */
  describe(): string;
}
