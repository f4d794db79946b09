// /proc/iomem as captured by root (real addresses): a tree of [start, end] ranges with names.

import type { PfnRange } from '../../kernel/pfnRange';
import type { IomemRange } from '../iomemRanges';

export { isSystemRam, isVirtioMemRam } from '../iomemRanges';

/** Parses /proc/iomem text; lines that do not look like "start-end : name" are skipped. */
export function parseIomem(text: string): IomemRange[] {
  const out: IomemRange[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\s*)([0-9a-fA-F]+)-([0-9a-fA-F]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: parseInt(m[2], 16),
      end: parseInt(m[3], 16),
      name: m[4].trim(),
      depth: Math.floor(m[1].length / 2),
    });
  }
  return out;
}

/** True when every address of a capture was printed as 0 (read without CAP_SYS_ADMIN). */
export function iomemIsCensored(ranges: IomemRange[]): boolean {
  return ranges.length > 0 && ranges.every((r) => r.start === 0 && r.end === 0);
}

/**
 * Ranges at any depth whose name matches, as PFN ranges (pages fully inside the range).
 * "System RAM (virtio_mem)" sits below its device ("virtio0"); System RAM never nests in System RAM.
 */
export function pfnRangesNamed(ranges: IomemRange[], match: (name: string) => boolean, pageSize: number): PfnRange[] {
  return ranges
    .filter((r) => match(r.name))
    .map((r): PfnRange => [Math.ceil(r.start / pageSize), Math.floor((r.end + 1) / pageSize)])
    .filter((r) => r[1] > r[0])
    .sort((a, b) => a[0] - b[0]);
}
