// What a vmcore says through kallsyms beyond the memmap: balloon_mops, the iomem_resource tree (System
// RAM ranges for the memory-hole check, virtio-mem device ranges for the PageOffline kinds) and the
// memory block size. Anything it cannot read is left unknown (undefined), with the reason, never
// guessed: a tree with unreadable nodes (e.g. slab pages a makedumpfile -d 31 dump filtered out) may
// miss exactly the virtio-mem device and its hot-added System RAM.
import type { ClassifyContext } from './classifyPage';
import { lookupKallsyms } from '../parsers/kernelMemory/kallsyms';
import { IomemStats, readIomem } from '../parsers/kernelMemory/iomem';
import { systemRamPfnRanges, virtioMemPfnRanges } from '../parsers/iomemRanges';
import type { PfnRange } from '../kernel/pfnRange';
import { scanForIomemResource } from '../parsers/kernelMemory/iomemScan';
import type { MemSectionTable } from '../parsers/kernelMemory/memSection';
import type { KernelTranslator } from '../parsers/kernelMemory/translator';
import type { VmcoreInfo } from '../parsers/vmcoreinfo';

export interface VmcoreResources {
  blockBytes?: number;
  blockSource: string;
  /** System RAM PFN ranges (undefined: unknown, the tree could not be read whole). */
  systemRam?: PfnRange[];
  /** Byte ranges [start, end) of driver-managed hot-added RAM ("System RAM (virtio_mem)", "System RAM (kmem)"). */
  hotplugRam?: [number, number][];
  /** Why ctx.virtioMem is unknown, for the warning after classification. */
  virtioWhy: string;
  notes: string[];
}

const HOLES_FROM_MEMMAP = 'memory holes are judged from the memmap alone';

/** Reads the resources and sets ctx.balloonMops, ctx.systemRam and ctx.virtioMem where known. */
export function readVmcoreResources(
  vi: VmcoreInfo,
  vm: KernelTranslator,
  table: MemSectionTable,
  ctx: ClassifyContext | undefined,
  pageSize: number,
): VmcoreResources {
  const r: VmcoreResources = { blockSource: '', virtioWhy: 'kallsyms not usable', notes: [] };
  const ks = lookupKallsyms(vi, vm, [
    'balloon_mops',
    'iomem_resource',
    'memory_block_size_probed',
    'sections_per_block',
  ]);
  if ('error' in ks) {
    r.virtioWhy = `kallsyms not usable: ${ks.error}`;
    r.notes.push(`kallsyms not used: ${ks.error}`);
    // the resource tree is still in the dump: find its root by its shape, keep it only if it passes the check
    const stext = vi.symbols.get('_stext');
    const io = stext !== undefined ? scanForIomemResource(vm, stext) : undefined;
    if (io !== undefined && treeHasKernelCode(vm, io, stext!, vi)) {
      r.notes.push(
        `iomem_resource found without kallsyms at 0x${io.toString(16)}: the only "PCI mem" root resource in the kernel image; its tree holds "Kernel code" at _stext`,
      );
      readResourceTree(vm, io, ctx, pageSize, r);
    } else
      r.notes.push(
        `System RAM ranges unknown (no iomem_resource${io !== undefined ? ': the scanned candidate failed its check' : ''}): ${HOLES_FROM_MEMMAP}`,
      );
    blockSizeFromHotplug(table, pageSize, r);
    return r;
  }
  r.notes.push(...ks.notes);
  if (ctx) ctx.balloonMops = ks.found.get('balloon_mops');
  const io = ks.found.get('iomem_resource');
  if (io !== undefined) readResourceTree(vm, io, ctx, pageSize, r);
  else {
    r.notes.push(`iomem_resource not found in kallsyms: ${HOLES_FROM_MEMMAP}`);
    r.virtioWhy = 'iomem_resource not found in kallsyms';
  }
  readBlockSize(vm, ks.found, table, pageSize, r);
  blockSizeFromHotplug(table, pageSize, r);
  if (ctx && ctx.balloonMops === undefined && !ctx.is.balloonByMovableOps)
    r.notes.push('balloon_mops not found in kallsyms: movable balloon pages are recognised by the mapping tag alone');
  return r;
}

function readResourceTree(
  vm: KernelTranslator,
  io: bigint,
  ctx: ClassifyContext | undefined,
  pageSize: number,
  r: VmcoreResources,
): void {
  const stats: IomemStats = { unreadable: 0, unnamed: 0 };
  const tree = readIomem(vm, io, undefined, stats);
  if (!tree) {
    r.notes.push(`iomem_resource not readable: ${HOLES_FROM_MEMMAP}`);
    r.virtioWhy = 'the iomem_resource tree is not readable (its pages were filtered out of the dump)';
    return;
  }
  r.hotplugRam = tree.filter((t) => /^System RAM \(.+\)$/.test(t.name)).map((t) => [t.start, t.end + 1]);
  const missing = stats.unreadable + stats.unnamed;
  const incomplete =
    missing > 0
      ? `${stats.unreadable} resource nodes and ${stats.unnamed} names of the iomem_resource tree were filtered out of the dump`
      : undefined;
  const ram = systemRamPfnRanges(tree, pageSize);
  if (incomplete)
    r.notes.push(
      `${incomplete}: System RAM ranges unknown (hot-added RAM may be among the missing nodes), ${HOLES_FROM_MEMMAP}`,
    );
  else if (ram.length) {
    r.systemRam = ram;
    if (ctx) ctx.systemRam = ram;
    r.notes.push(
      `System RAM (iomem_resource): ${ram.length} ranges, ${ram.reduce((a, [s, e]) => a + e - s, 0)} pages; PFNs outside them are memory holes for the offline verdicts`,
    );
  } else r.notes.push(`iomem_resource lists no System RAM: ${HOLES_FROM_MEMMAP}`);
  if (!ctx) return;
  const vr = virtioMemPfnRanges(tree, pageSize);
  const list = vr.map(([s, e]) => `PFN 0x${s.toString(16)}-0x${e.toString(16)}`).join(', ');
  if (incomplete) {
    // ranges found are virtio-mem for sure, but a missing node may hide another device: no "not virtio-mem" answer
    ctx.virtioMem = vr;
    ctx.virtioMemIncomplete = true;
    r.virtioWhy = incomplete;
    r.notes.push(`virtio-mem device ranges (iomem, incomplete tree): ${list || 'none found'}`);
  } else {
    ctx.virtioMem = vr;
    r.notes.push(vr.length ? `virtio-mem device ranges (iomem): ${list}` : 'no virtio-mem device in iomem_resource');
  }
}

/** Self-check of a scanned root: a "Kernel code" resource starts at _stext's physical address. */
function treeHasKernelCode(vm: KernelTranslator, io: bigint, stext: bigint, vi: VmcoreInfo): boolean {
  const tree = readIomem(vm, io);
  const pa = vm.translate(stext)?.pa;
  const code = tree?.filter((t) => t.name === 'Kernel code') ?? [];
  return vi.symbols.has('_stext') && pa !== undefined && code.length === 1 && code[0].start === pa;
}

function readBlockSize(
  vm: KernelTranslator,
  found: Map<string, bigint>,
  table: MemSectionTable,
  pageSize: number,
  r: VmcoreResources,
): void {
  const probed = found.get('memory_block_size_probed');
  const spb = found.get('sections_per_block');
  const pv = probed !== undefined ? vm.readU64(probed) : undefined;
  if (pv && pv > 0n && (pv & (pv - 1n)) === 0n) {
    r.blockBytes = Number(pv);
    r.blockSource = 'memory_block_size_probed (kallsyms)';
    return;
  }
  if (spb === undefined) return;
  const n = vm.read(spb, 4)?.readUInt32LE(0);
  if (n && n > 0 && n <= 1 << 16) {
    r.blockBytes = n * table.pfnsPerSection * pageSize;
    r.blockSource = 'sections_per_block (kallsyms)';
  }
}

/**
 * Without a block size from kallsyms (5.10 exports no kallsyms keys), the hot-added RAM in the resource
 * tree bounds it: add_memory_driver_managed() refuses a range whose start or size is not a multiple of
 * memory_block_size_bytes(), and a memory block is whole sections. So the block size divides the gcd of
 * those starts and sizes and is a multiple of the section size: when the gcd is one section, that is
 * the block size. (A subset of the resources, e.g. from a filtered tree, only makes the gcd larger.)
 */
function blockSizeFromHotplug(table: MemSectionTable, pageSize: number, r: VmcoreResources): void {
  if (r.blockBytes || !r.hotplugRam?.length) return;
  const gcd = (a: number, b: number): number => {
    while (b) [a, b] = [b, a % b];
    return a;
  };
  const g = r.hotplugRam.reduce((acc, [s, e]) => gcd(gcd(acc, s), e - s), 0);
  const section = table.pfnsPerSection * pageSize;
  const what = `${r.hotplugRam.length} hot-added System RAM resource${r.hotplugRam.length > 1 ? 's' : ''} of iomem_resource`;
  if (g === section) {
    r.blockBytes = section;
    r.blockSource = `${what}: added in whole memory blocks, aligned to one ${section / 2 ** 20} MiB section only`;
  } else if (g > section && g % section === 0)
    r.notes.push(
      `memory block size: ${what} bound it to at most ${g / 2 ** 20} MiB (their alignment), at least one ${section / 2 ** 20} MiB section`,
    );
}
