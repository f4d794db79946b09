// /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h 0-26 and
// include/linux/kernel-page-flags.h 32-42). One little-endian u64 per PFN.
// Version notes are in docs/kernel/kpageflags.md.

export interface KpfBit {
  bit: number;
  name: string;
  /** Kernel versions where the bit means something different or nothing. */
  note?: string;
}

export const KPF = {
  LOCKED: 0,
  ERROR: 1,
  REFERENCED: 2,
  UPTODATE: 3,
  DIRTY: 4,
  LRU: 5,
  ACTIVE: 6,
  SLAB: 7,
  WRITEBACK: 8,
  RECLAIM: 9,
  BUDDY: 10,
  MMAP: 11,
  ANON: 12,
  SWAPCACHE: 13,
  SWAPBACKED: 14,
  COMPOUND_HEAD: 15,
  COMPOUND_TAIL: 16,
  HUGE: 17,
  UNEVICTABLE: 18,
  HWPOISON: 19,
  NOPAGE: 20,
  KSM: 21,
  THP: 22,
  OFFLINE: 23,
  ZERO_PAGE: 24,
  IDLE: 25,
  PGTABLE: 26,
  RESERVED: 32,
  MLOCKED: 33,
  MAPPEDTODISK: 34, // PG_owner_2 from 6.12
  PRIVATE: 35,
  PRIVATE_2: 36,
  OWNER_PRIVATE: 37,
  ARCH: 38,
  UNCACHED: 39,
  SOFTDIRTY: 40,
  ARCH_2: 41,
  ARCH_3: 42,
} as const;

export type KpfName = keyof typeof KPF;

const KPF_NOTES: Partial<Record<KpfName, string>> = {
  ERROR: 'always 0 from 6.12 (PG_error removed)',
  UPTODATE: '6.17+: on movable_ops pages (balloon, zsmalloc) this is PG_movable_ops',
  NOPAGE: 'emitted up to 6.15 for PFNs without an online memmap; from 6.16 such PFNs read as 0',
  OFFLINE: 'PageOffline (was KPF_BALLOON before 5.0)',
  MAPPEDTODISK: 'PG_mappedtodisk up to 6.11, PG_owner_2 from 6.12 (PG_offline_skippable with the unmerged series)',
  UNCACHED: 'removed in 6.12',
  SOFTDIRTY: 'never set in kpageflags itself',
};

export const KPF_BITS: readonly KpfBit[] = (Object.entries(KPF) as [KpfName, number][]).map(([name, bit]) => ({
  bit,
  name,
  note: KPF_NOTES[name],
}));

/** Names of the bits set in a kpageflags word (lowest bit first). */
export function kpfNames(word: bigint): string[] {
  const out: string[] = [];
  for (const b of KPF_BITS) if ((word >> BigInt(b.bit)) & 1n) out.push(b.name);
  const known = KPF_BITS.reduce((m, b) => m | (1n << BigInt(b.bit)), 0n);
  const unknown = word & ~known;
  if (unknown) out.push(`unknown(0x${unknown.toString(16)})`);
  return out;
}
