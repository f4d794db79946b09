// A hot-added section's subsection_map: one bit per SUBSECTION_SIZE (2 MiB on every architecture and
// page size, include/linux/mmzone.h SUBSECTION_SHIFT 21) of its PFNs. How many PFNs a bit covers
// depends on the page size (512 with 4 KiB pages, 128 with 16 KiB, 32 with 64 KiB) and how many bits
// a section has on SECTION_SIZE_BITS (64 for 128 MiB sections, 256 for arm64's 512 MiB ones with 64
// KiB pages), so both come from the dump's Geometry.
import type { SectionFacts } from './classifyPage';

/** log2 PFNs per subsection with 4 KiB pages (x86_64; what tool outputs without a page size assume). */
export const SUBSECTION_PFN_SHIFT_4K = 9;

/** The subsection layout of a section: log2 PFNs per subsection and subsections per section. */
export interface SubsectionLayout {
  pfnShift: number;
  count: number;
}

/** The layout for sections of pfnsPerSection pages with 2^subsectionShift-byte subsections and 2^pageShift-byte pages. */
export function subsectionLayout(pfnsPerSection: number, subsectionShift: number, pageShift: number): SubsectionLayout {
  const pfnShift = Math.max(0, subsectionShift - pageShift);
  return { pfnShift, count: Math.max(1, Math.floor(pfnsPerSection / 2 ** pfnShift)) };
}

/** Sets subsectionMap and its hot-path copies (32-bit words, PFN shift) on facts. */
export function setSubsectionMap(facts: SectionFacts, map: bigint, layout: SubsectionLayout): void {
  const words: number[] = [];
  for (let i = 0; i < Math.ceil(layout.count / 32); i++) words.push(Number((map >> BigInt(32 * i)) & 0xffffffffn));
  facts.subsectionMap = map;
  facts.subsectionWords = words;
  facts.subsectionPfnShift = layout.pfnShift;
  facts.subsectionCount = layout.count;
}

/** The subsection index of pfn in its section. */
export function subsectionIndex(pfn: number, sec: SectionFacts): number {
  const count = sec.subsectionCount ?? 64;
  return Math.floor(pfn / 2 ** (sec.subsectionPfnShift ?? SUBSECTION_PFN_SHIFT_4K)) % count;
}

/** The first PFN of the subsection after pfn's. */
export function nextSubsectionPfn(pfn: number, sec: SectionFacts): number {
  const n = 2 ** (sec.subsectionPfnShift ?? SUBSECTION_PFN_SHIFT_4K);
  return (Math.floor(pfn / n) + 1) * n;
}

/** Whether pfn's subsection is populated (bit set); true when the section has no map (early sections). */
export function subsectionPopulated(pfn: number, sec: SectionFacts): boolean {
  if (sec.subsectionMap === undefined) return true;
  const idx = subsectionIndex(pfn, sec);
  const w = sec.subsectionWords;
  if (w) return (((w[idx >>> 5] ?? 0) >>> (idx & 31)) & 1) === 1;
  return ((sec.subsectionMap >> BigInt(idx)) & 1n) === 1n;
}

/** Whether every subsection of the section is populated (or it has no map). */
export function subsectionsAllPopulated(sec: SectionFacts): boolean {
  if (sec.subsectionMap === undefined) return true;
  const count = sec.subsectionCount ?? 64;
  const all = (1n << BigInt(count)) - 1n;
  return (sec.subsectionMap & all) === all;
}
