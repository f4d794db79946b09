// Walk the iomem_resource tree (struct resource: start 0, end 8, name 16, flags 24, desc 32,
// parent 40, sibling 48, child 56 on x86_64 — include/linux/ioport.h) to find virtio-mem ranges.
import type { KernelTranslator } from './translator';

export interface IomemRange { start: number; end: number; name: string; depth: number }

/** What a walk could not read: resource nodes (child/sibling pointers into missing pages) and names. */
export interface IomemStats { unreadable: number; unnamed: number }

export function readIomem(vm: KernelTranslator, iomemResource: bigint, limit = 20000, stats?: IomemStats): IomemRange[] | undefined {
  const out: IomemRange[] = [];
  const root = vm.read(iomemResource, 64);
  if (!root) return undefined;
  const stack: { p: bigint; depth: number }[] = [];
  const child = root.readBigUInt64LE(56);
  if (child) stack.push({ p: child, depth: 0 });
  const seen = new Set<bigint>();
  while (stack.length && out.length < limit) {
    const { p, depth } = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const r = vm.read(p, 64);
    if (!r) { if (stats) stats.unreadable++; continue; }
    const namePtr = r.readBigUInt64LE(16);
    const nameRead = namePtr ? vm.readCString(namePtr, 64) : '';
    if (nameRead === undefined && stats) stats.unnamed++;
    const name = nameRead ?? '?';
    out.push({ start: Number(r.readBigUInt64LE(0)), end: Number(r.readBigUInt64LE(8)), name, depth });
    const sib = r.readBigUInt64LE(48), ch = r.readBigUInt64LE(56);
    if (sib) stack.push({ p: sib, depth });
    if (ch && depth < 8) stack.push({ p: ch, depth: depth + 1 });
  }
  return out;
}

/** PFN ranges [start, end) of virtio-mem devices: "System RAM (virtio_mem)" resources and their "virtioN" parents. */
export function virtioMemPfnRanges(ranges: IomemRange[], pageSize: number): [number, number][] {
  const res: [number, number][] = [];
  const ram = ranges.filter((r) => r.name === 'System RAM (virtio_mem)');
  for (const r of ram) {
    // enclosing device resource (name virtioN), if any
    const parent = ranges.find((p) => p.depth === r.depth - 1 && p.start <= r.start && p.end >= r.end && /^virtio\d+$/.test(p.name));
    const s = parent ?? r;
    res.push([Math.floor(s.start / pageSize), Math.floor((s.end + 1) / pageSize)]);
  }
  res.sort((a, b) => a[0] - b[0]);
  return res.filter((r, i) => i === 0 || r[0] !== res[i - 1][0] || r[1] !== res[i - 1][1]);
}

/**
 * PFN ranges [start, end) of "System RAM" resources at any depth (pages fully inside), sorted and merged:
 * what walk_system_ram_range() lets offline_pages() see. Same rule as the /proc/iomem reader.
 */
export function systemRamPfnRanges(ranges: IomemRange[], pageSize: number): [number, number][] {
  const res: [number, number][] = [];
  for (const r of ranges) {
    if (!r.name.startsWith('System RAM') || !(r.end >= r.start)) continue;
    const s = Math.ceil(r.start / pageSize), e = Math.floor((r.end + 1) / pageSize);
    if (e > s) res.push([s, e]);
  }
  res.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of res) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]); else merged.push([r[0], r[1]]);
  }
  return merged;
}
