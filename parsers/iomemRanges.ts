// The one record of an iomem resource, whoever read it (/proc/iomem, the dump's iomem_resource tree,
// crash `dev -i`, our drgn export), and the PFN ranges the readers take from a list of them.
import { sortedRanges, type PfnRange } from '../kernel/pfnRange';

export interface IomemRange {
  /** Physical address of the first byte. */
  start: number;
  /** Physical address of the last byte (inclusive, as the kernel prints it). */
  end: number;
  name: string;
  /** Nesting depth in the resource tree (0 = below the root), when the reader knows it. */
  depth?: number;
}

export const isSystemRam = (name: string) => name.startsWith('System RAM');
export const isVirtioMemRam = (name: string) => name === 'System RAM (virtio_mem)';

/**
 * PFN ranges of virtio-mem devices, sorted (kernel/pfnRange.ts): each "System RAM (virtio_mem)" resource,
 * or its enclosing "virtioN" device resource when the depths say which that is (the dump's tree).
 * pageSize: 4 KiB unless the reader knows better (crash and drgn outputs of x86_64).
 */
export function virtioMemPfnRanges(ranges: IomemRange[], pageSize = 4096): PfnRange[] {
  const res: PfnRange[] = [];
  for (const r of ranges.filter((x) => isVirtioMemRam(x.name))) {
    const parent =
      r.depth === undefined
        ? undefined
        : ranges.find(
            (p) => p.depth === r.depth! - 1 && p.start <= r.start && p.end >= r.end && /^virtio\d+$/.test(p.name),
          );
    const s = parent ?? r;
    res.push([Math.floor(s.start / pageSize), Math.floor((s.end + 1) / pageSize)]);
  }
  return sortedRanges(res);
}

/**
 * PFN ranges of "System RAM" resources at any depth (pages fully inside), sorted and merged: what
 * walk_system_ram_range() lets offline_pages() see.
 */
export function systemRamPfnRanges(ranges: IomemRange[], pageSize: number): PfnRange[] {
  const res: PfnRange[] = [];
  for (const r of ranges) {
    if (!isSystemRam(r.name) || !(r.end >= r.start)) continue;
    const s = Math.ceil(r.start / pageSize),
      e = Math.floor((r.end + 1) / pageSize);
    if (e > s) res.push([s, e]);
  }
  res.sort((a, b) => a[0] - b[0]);
  const merged: PfnRange[] = [];
  for (const r of res) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}
