// The snapshot model: what every input (vmcore, kdump file, kpageflags capture, crash or drgn
// output) becomes. Per-PFN state is one class byte (see kernel/pageClasses.ts); everything else is small.

import { NR_CLASSES, PageClass } from '../kernel/pageClasses';
import type { BlockState } from '../kernel/memoryBlocks';

export interface KernelIdentity {
  /** `uname -r` / VMCOREINFO OSRELEASE, e.g. "6.12.117+deb12-amd64". */
  release?: string;
  /** Full `uname -a` or kernel version string, when known. */
  version?: string;
  machine?: string;
  /** Flag-layout family id from kernel/ (e.g. "6.12"), when identified. */
  layoutFamily?: string;
  pageSize: number;
}

/**
 * State of one memory section (128 MiB on x86_64).
 * - online: memmap initialised and valid
 * - offline: present with a memmap, but not online: the memmap is stale
 * - present: registered, no memmap
 * - absent: nothing registered (hole)
 * - device: ZONE_DEVICE memmap only
 */
export type SectionState = 'online' | 'offline' | 'present' | 'absent' | 'device' | 'unknown';

export interface Section {
  nr: number;
  startPfn: number;
  nrPfns: number;
  state: SectionState;
  /** crash-style letters for the section flags (P present, M mem_map, O online, E early, D device), when known. */
  flags?: string;
  zone?: string;
  node?: number;
  /** PFNs of each class, indexed by class id. */
  counts: Uint32Array;
}

export type { BlockState };

/** What offline_pages() would do with a memory block, predicted from the memmap. */
export interface OfflineVerdict {
  /** true: offlining would succeed; false: it would fail; undefined: cannot tell from this snapshot. */
  ok: boolean | undefined;
  /** The kernel's own reason string when it fails ("unmovable page", "memory holes", ...). */
  reason?: string;
  errno?: 'EBUSY' | 'EINVAL' | 'EINTR' | 'EPERM';
  /** First PFN that stops it. */
  blockingPfn?: number;
  blockingClass?: PageClass;
  /** Plain words for the user. */
  explanation: string;
}

export interface MemoryBlock {
  /** memoryN: N = start section nr / sections per block. */
  id: number;
  startPfn: number;
  nrPfns: number;
  state: BlockState;
  /** Zone of an online block, or candidate zones (sysfs valid_zones) when offline. */
  zones?: string[];
  node?: number;
  /** sysfs "removable", when captured. */
  removable?: boolean;
  counts: Uint32Array;
  /** Offlining verdict under the mainline rules (≤ 6.18) and under the unmerged PG_offline_skippable v2 rules. */
  verdict?: { mainline: OfflineVerdict; skippable: OfflineVerdict; byRuleSet?: Record<string, OfflineVerdict> };
}

export interface Provenance {
  /** Input kind, e.g. "kpageflags-bundle", "elf-vmcore", "kdump-flattened". */
  format: string;
  /** The files read (display names; never written to). */
  files: string[];
  /** Free-form facts about how the snapshot was read (one line each). */
  notes: string[];
}

/** Everything known about one PFN, computed on demand (inputs are re-read for it, not kept in memory). */
export interface PageDetail {
  pfn: number;
  physAddr: bigint;
  class: PageClass;
  /** Id of the classification rule that fired and what it means. */
  rule: string;
  why: string;
  section: number;
  block?: number;
  /** Raw values as read (hex strings for words), e.g. { kpageflags: '0x...', kpagecount: 1 }. */
  raw: Record<string, string | number>;
  /** Decoded flag names for this kernel, when known. */
  flags?: string[];
  pageType?: string;
  refcount?: number;
  mapcount?: number;
  zone?: string;
  node?: number;
  /** Extra remarks (assumptions, caveats). */
  notes?: string[];
}

export interface Snapshot {
  kernel: KernelIdentity;
  /** PFN range [startPfn, endPfn); classes[i] is the class id of PFN startPfn + i. */
  startPfn: number;
  endPfn: number;
  classes: Uint8Array;
  pfnsPerSection: number;
  sections: Section[];
  /** PFNs per memory block, when known (0 when the block size is unknown). */
  pfnsPerBlock: number;
  blocks: MemoryBlock[];
  /** PFNs per class over the whole range, indexed by class id. */
  counts: Uint32Array;
  warnings: string[];
  provenance: Provenance;
  /** Details of one PFN; undefined when the PFN is outside the snapshot, or the snapshot is closed. */
  pageDetail?(pfn: number): PageDetail | undefined;
  /**
   * Releases the files pageDetail re-reads (a dump's descriptor, a capture's per-PFN files, which
   * keep an unpacked archive's data on disk). A snapshot used in a long-lived process (the
   * extension host, a test run) must be closed; a worker or CLI process closes them as it ends.
   */
  close?(): void;
}

export function newCounts(): Uint32Array {
  return new Uint32Array(NR_CLASSES);
}

/** Adds the class counts of classes[from, to) to counts. */
export function countClasses(classes: Uint8Array, from: number, to: number, counts: Uint32Array): void {
  for (let i = from; i < to; i++) counts[classes[i]]++;
}

export function sectionOfPfn(s: Pick<Snapshot, 'pfnsPerSection'>, pfn: number): number {
  return Math.floor(pfn / s.pfnsPerSection);
}

export function blockOfPfn(s: Pick<Snapshot, 'pfnsPerBlock'>, pfn: number): number | undefined {
  return s.pfnsPerBlock > 0 ? Math.floor(pfn / s.pfnsPerBlock) : undefined;
}
