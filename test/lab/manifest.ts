// The manifest.json of one lab set: what kernel, what was done to the guest, what to expect.
import type { KernelShort } from './kernels';
export interface VirtioMemExpect {
  /** requested-size at snapshot time */
  requestedBytes: number;
  /** plugged "size" (qom-get) read while the guest was stopped for the snapshot */
  pluggedBytes: number;
  /** size of the device's memory region (memdev) */
  regionBytes: number;
  /** virtio-mem device block size (2 MiB sub-blocks) */
  blockSize: number;
  /** guest-physical start of the region */
  addr: number;
}

export interface BalloonExpect {
  /** `balloon` target (guest memory size QEMU asked for) */
  targetBytes: number;
  /** query-balloon "actual" at snapshot time */
  actualBytes: number;
  /** guest base RAM minus actual: the memory held by the balloon */
  inflatedBytes: number;
}

export interface OfflineAttempt {
  block: number;
  ok: boolean;
  error?: string;
  /** valid_zones before the attempt, and why this block was picked */
  zone?: string;
  why?: string;
  /** sysfs state after the attempt */
  stateAfter?: string;
}

export interface Expected {
  virtioMem?: VirtioMemExpect;
  balloon?: BalloonExpect;
  offline?: OfflineAttempt[];
  hugetlbPages?: number;
  thpBytes?: number;
  anonBytes?: number;
  tmpfsFiles?: number;
  pageCacheBytes?: number;
  [k: string]: unknown;
}

/** Figures the lab computed itself from the capture and dumps (for quick sanity checks). */
export interface Observed {
  kpageflagsPfns: number;
  /** PFNs with KPF_OFFLINE (bit 23) */
  kpfOffline: number;
  /** PFNs with KPF_NOPAGE (bit 20) */
  kpfNopage: number;
  kpfBuddy: number;
  kpfHuge: number;
  kpfThp: number;
  kpfSlab: number;
  kpfReserved: number;
  /** memory blocks by sysfs state */
  blocks: Record<string, number[]>;
  /** the ELF dump carries the guest's VMCOREINFO note */
  elfHasVmcoreinfo: boolean;
  elfBytes: number;
  kdumpBytes: number;
}

export interface Manifest {
  name: string;
  /** guest architecture: absent on x86_64 sets (all sets before the arm64 lab), `arm64` on `arm64-*` sets */
  arch?: 'arm64' | 'arm64-16k';
  kernel: { release: string; package: string; version: string; short: KernelShort };
  scenario: string;
  kaslr: boolean;
  createdAt: string;
  qemu: { version: string; args: string[] };
  cmdline: string;
  actions: string[];
  expected: Expected;
  observed?: Observed;
  /** dumpSec: the two dump-guest-memory calls (ELF + kdump-zlib), recorded since the arm64 lab */
  timing?: { bootSec: number; snapshotSec: number; sinceBootSec: number; dumpSec?: number };
  files: { capture: string; elf?: string; kdump?: string; derived?: string[] };
  /** an opt-in big set (`lab --big`, e.g. 6.1-big: 16 GiB guest, sparse ELF): only for benchmarks; absent
   *  on the other sets. listSets() leaves big sets out unless asked (see sets.ts). */
  big?: boolean;
}

/** `6.12-virtio-mem`, `6.1-load-nokaslr`; arm64 sets carry the architecture first: `arm64-6.12-baseline`, `arm64-16k-6.12-baseline`. */
export const setName = (
  short: string,
  scenario: string,
  kaslr: boolean,
  arch: 'x86_64' | 'arm64' | 'arm64-16k' = 'x86_64',
): string => `${arch === 'x86_64' ? '' : `${arch}-`}${short}-${scenario}${kaslr ? '' : '-nokaslr'}`;
