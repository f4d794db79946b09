// /proc/iomem as captured by root (real addresses): a tree of [start, end] ranges with names.

export interface IomemRange {
  start: bigint;
  /** Inclusive, as the kernel prints it. */
  end: bigint;
  name: string;
  depth: number;
}

/** Parses /proc/iomem text; lines that do not look like "start-end : name" are skipped. */
export function parseIomem(text: string): IomemRange[] {
  const out: IomemRange[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\s*)([0-9a-fA-F]+)-([0-9a-fA-F]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ start: BigInt('0x' + m[2]), end: BigInt('0x' + m[3]), name: m[4].trim(), depth: Math.floor(m[1].length / 2) });
  }
  return out;
}

/** True when every address of a capture was printed as 0 (read without CAP_SYS_ADMIN). */
export function iomemIsCensored(ranges: IomemRange[]): boolean {
  return ranges.length > 0 && ranges.every((r) => r.start === 0n && r.end === 0n);
}

export interface PfnRange {
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * Ranges at any depth whose name matches, as PFN ranges (pages fully inside the range).
 * "System RAM (virtio_mem)" sits below its device ("virtio0"); System RAM never nests in System RAM.
 */
export function pfnRangesNamed(ranges: IomemRange[], match: (name: string) => boolean, pageSize: number): PfnRange[] {
  const ps = BigInt(pageSize);
  return ranges
    .filter((r) => match(r.name))
    .map((r) => ({ start: Number((r.start + ps - 1n) / ps), end: Number((r.end + 1n) / ps) }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
}

export const isSystemRam = (name: string) => name.startsWith('System RAM');
export const isVirtioMemRam = (name: string) => name === 'System RAM (virtio_mem)';

/** Binary search in sorted, non-overlapping ranges. */
export function inRanges(ranges: PfnRange[], pfn: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (pfn < r.start) hi = mid - 1;
    else if (pfn >= r.end) lo = mid + 1;
    else return true;
  }
  return false;
}
