// The one PFN range type, [start, end) as a pair, and the one membership test over sorted ranges.

/** Page frames start … end - 1. */
export type PfnRange = [start: number, end: number];

/**
 * Sorted by start, with overlapping ranges merged (ranges that merely touch stay apart): what
 * inRanges() needs. Returns a new array; the input is not changed.
 */
export function sortedRanges(ranges: readonly PfnRange[]): PfnRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: PfnRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] < last[1]) last[1] = Math.max(last[1], r[1]);
    else if (!last || r[0] !== last[0] || r[1] !== last[1]) out.push([r[0], r[1]]);
  }
  return out;
}

/** pfn lies in one of the ranges (sorted by start, not overlapping: see sortedRanges); binary search. */
export function inRanges(ranges: readonly PfnRange[] | undefined, pfn: number): boolean {
  if (!ranges) return false;
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (pfn < r[0]) hi = mid - 1;
    else if (pfn >= r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}
