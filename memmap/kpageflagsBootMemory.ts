// Which memory of a kpageflags capture is boot memory, for architectures that refuse to offline it
// (arm64: prevent_bootmem_remove_notifier answers MEM_GOING_OFFLINE of an early section with NOTIFY_BAD,
// EPERM). A vmcore says it per section (SECTION_IS_EARLY in mem_section); a capture has no mem_section,
// so the boot memory comes from what the guest printed at boot, else from /proc/iomem.
//
// Early sections are the sections sparse_init() found present at boot: those memblock.memory covers,
// which the kernel prints under "Early memory node ranges" (free_area_init(), every kernel since 4.x):
//   [    0.000000] Early memory node ranges
//   [    0.000000]   node   0: [mem 0x0000000040000000-0x000000007fffffff]
// Hot-added memory (virtio-mem, DIMMs, dax kmem) never appears there.

import type { PfnRange } from '../kernel/pfnRange';
import type { IomemRange } from '../parsers/iomemRanges';

export interface BootMemory {
  /** PFN ranges of boot memory (end exclusive), sorted. */
  ranges: PfnRange[];
  /** Where they came from, for the snapshot's notes. */
  source: string;
}

/** The "Early memory node ranges" block of a dmesg, as PFN ranges; undefined when the log lacks it (ring buffer wrapped). */
export function earlyMemoryFromDmesg(dmesg: string, pageSize: number): PfnRange[] | undefined {
  const lines = dmesg.split('\n');
  const at = lines.findIndex((l) => /Early memory node ranges\s*$/.test(l));
  if (at < 0) return undefined;
  const ranges: PfnRange[] = [];
  for (const line of lines.slice(at + 1)) {
    const m = /\bnode\s+\d+:\s+\[mem\s+0x([0-9a-f]+)-0x([0-9a-f]+)\]/i.exec(line);
    if (!m) break;
    const s = Math.ceil(parseInt(m[1], 16) / pageSize),
      e = Math.floor((parseInt(m[2], 16) + 1) / pageSize);
    if (e > s) ranges.push([s, e]);
  }
  return ranges.length ? ranges.sort((a, b) => a[0] - b[0]) : undefined;
}

/**
 * Boot memory of a capture: dmesg's early memory ranges, else the top-level "System RAM" of /proc/iomem
 * (not "System RAM (virtio_mem)", "(kmem)"... which drivers add), which also holds memory an ACPI DIMM
 * hot-added: the source says so. Undefined when neither file tells.
 */
export function bootMemoryOfCapture(dmesg: string, iomem: IomemRange[], pageSize: number): BootMemory | undefined {
  const early = earlyMemoryFromDmesg(dmesg, pageSize);
  if (early) return { ranges: early, source: 'dmesg "Early memory node ranges"' };
  const top = iomem
    .filter((r) => (r.depth ?? 0) === 0 && r.name === 'System RAM' && r.end > r.start)
    .map((r): PfnRange => [Math.ceil(r.start / pageSize), Math.floor((r.end + 1) / pageSize)])
    .filter((r) => r[1] > r[0])
    .sort((a, b) => a[0] - b[0]);
  if (!top.length) return undefined;
  return {
    ranges: top,
    source:
      'top-level "System RAM" of /proc/iomem (dmesg has no "Early memory node ranges"; memory an ACPI DIMM hot-added would be taken for boot memory)',
  };
}

/** Whether [startPfn, startPfn + nrPfns) has a PFN in an early section, sections of pfnsPerSection PFNs. */
export function hasEarlySection(boot: BootMemory, startPfn: number, nrPfns: number, pfnsPerSection: number): boolean {
  for (let s = startPfn - (startPfn % pfnsPerSection); s < startPfn + nrPfns; s += pfnsPerSection)
    if (boot.ranges.some(([a, b]) => a < s + pfnsPerSection && b > s)) return true;
  return false;
}
