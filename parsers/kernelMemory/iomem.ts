// Walk the iomem_resource tree (struct resource: start 0, end 8, name 16, flags 24, desc 32,
// parent 40, sibling 48, child 56 on x86_64 — include/linux/ioport.h) into iomem records (parsers/iomemRanges.ts).
import type { IomemRange } from '../iomemRanges';
import type { KernelTranslator } from './translator';

/** What a walk could not read: resource nodes (child/sibling pointers into missing pages) and names. */
export interface IomemStats {
  unreadable: number;
  unnamed: number;
}

export function readIomem(
  vm: KernelTranslator,
  iomemResource: bigint,
  limit = 20000,
  stats?: IomemStats,
): IomemRange[] | undefined {
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
    if (!r) {
      if (stats) stats.unreadable++;
      continue;
    }
    const namePtr = r.readBigUInt64LE(16);
    const nameRead = namePtr ? vm.readCString(namePtr, 64) : '';
    if (nameRead === undefined && stats) stats.unnamed++;
    const name = nameRead ?? '?';
    out.push({ start: Number(r.readBigUInt64LE(0)), end: Number(r.readBigUInt64LE(8)), name, depth });
    const sib = r.readBigUInt64LE(48),
      ch = r.readBigUInt64LE(56);
    if (sib) stack.push({ p: sib, depth });
    if (ch && depth < 8) stack.push({ p: ch, depth: depth + 1 });
  }
  return out;
}
