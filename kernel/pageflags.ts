// x86_64 `enum pageflags` bit numbers per layout family, with aliases and second-page-only flags.
// Source: include/linux/page-flags.h (5.10.262:100, 6.1:100, 6.12:93, 6.18:93, 7.3.4:93), compiled per tree
// with the x86_64 config switches; summarised in docs/kernel/struct-page-and-flags.md (5.10 … 7.3).
// This is plain data reused by hovers (issue 5): keep it declarative.
import { inVersionRange, parseRelease, type KernelVersion, type VersionRange } from './version';

export type LayoutFamilyId = '5.10' | '5.15-6.1' | '6.6-6.9' | '6.10-6.11' | '6.12-6.13' | '6.14-6.18' | '7.2-7.3';

export interface FlagAlias {
  /** Alias name without the PG_ prefix, e.g. "swapcache". */
  name: string;
  /** Base flag it shares its bit with. */
  of: string;
  /** Kernel versions where the alias exists (inclusive "major.minor"), when narrower than the family. */
  since?: string;
  until?: string;
  /** Only meaningful on the second page (page[1]) of a compound page. */
  secondPageOnly?: boolean;
  /** Only meaningful when the page has this state (e.g. "buddy", "offline"). */
  onlyOn?: string;
  note?: string;
}

export interface LayoutFamily {
  id: LayoutFamilyId;
  /** Kernel versions covered, inclusive. */
  first: string;
  last: string;
  /** Base flag name (without PG_) by bit number, up to and including PG_hwpoison. */
  bits: readonly string[];
  /** Config-dependent flags above PG_hwpoison, in order (young/idle need CONFIG_PAGE_IDLE_FLAG). */
  above: readonly string[];
  aliases: readonly FlagAlias[];
  /**
   * VMCOREINFO fingerprint (docs/kernel/struct-page-and-flags.md, "Recognising the family").
   * slab undefined means NUMBER(PG_slab) is absent. compoundInfo: the tail word is exported as
   * OFFSET(page.compound_info) (7.x) instead of OFFSET(page.compound_head).
   * Families with equal numbers (5.10 and 5.15-6.1) are told apart by OSRELEASE (releaseOnly).
   */
  fingerprint: {
    lru: number;
    private: number;
    swapcache: number;
    swapbacked: number;
    slab?: number;
    hwpoison: number;
    headMask: number;
    compoundInfo?: boolean;
  };
  /** Chosen from the numbers only when OSRELEASE names one of its releases (its numbers equal another family's). */
  releaseOnly?: boolean;
  source: string;
}

const COMMON_ALIASES: FlagAlias[] = [
  { name: 'swapcache', of: 'owner_priv_1', note: 'only with PG_swapbacked' },
  { name: 'checked', of: 'owner_priv_1', note: 'filesystem use' },
  { name: 'pinned', of: 'owner_priv_1', note: 'XEN page-table pages' },
  { name: 'foreign', of: 'owner_priv_1', note: 'XEN' },
  { name: 'xen_remapped', of: 'owner_priv_1', note: 'XEN' },
  { name: 'vmemmap_self_hosted', of: 'owner_priv_1', since: '6.1', note: 'memmap_on_memory struct pages' },
  { name: 'savepinned', of: 'dirty', note: 'XEN' },
  { name: 'fscache', of: 'private_2' },
  { name: 'readahead', of: 'reclaim', note: 'without PG_writeback' },
  { name: 'reported', of: 'uptodate', onlyOn: 'buddy', note: 'free page reporting' },
];

const ISOLATED_OLD: FlagAlias = {
  name: 'isolated',
  of: 'reclaim',
  until: '6.16',
  note: 'movable (non-LRU) page isolated for migration',
};

export const LAYOUT_FAMILIES: readonly LayoutFamily[] = [
  {
    id: '5.10',
    first: '5.10',
    last: '5.10',
    bits: [
      'locked',
      'referenced',
      'uptodate',
      'dirty',
      'lru',
      'active',
      'workingset',
      'waiters',
      'error',
      'slab',
      'owner_priv_1',
      'arch_1',
      'reserved',
      'private',
      'private_2',
      'writeback',
      'head',
      'mappedtodisk',
      'reclaim',
      'swapbacked',
      'unevictable',
      'mlocked',
      'uncached',
      'hwpoison',
    ],
    above: ['young', 'idle', 'arch_2'],
    aliases: [
      ...COMMON_ALIASES.filter((a) => a.name !== 'vmemmap_self_hosted'),
      ISOLATED_OLD,
      { name: 'slob_free', of: 'private', note: 'SLOB allocator free list' },
      { name: 'double_map', of: 'workingset', secondPageOnly: true },
    ],
    fingerprint: { lru: 4, private: 13, swapcache: 10, swapbacked: 19, slab: 9, hwpoison: 23, headMask: 0x10000 },
    releaseOnly: true,
    source: 'include/linux/page-flags.h enum pageflags: 5.10.262:100 (docs/kernel/struct-page-and-flags.md)',
  },
  {
    id: '5.15-6.1',
    first: '5.15',
    last: '6.5',
    bits: [
      'locked',
      'referenced',
      'uptodate',
      'dirty',
      'lru',
      'active',
      'workingset',
      'waiters',
      'error',
      'slab',
      'owner_priv_1',
      'arch_1',
      'reserved',
      'private',
      'private_2',
      'writeback',
      'head',
      'mappedtodisk',
      'reclaim',
      'swapbacked',
      'unevictable',
      'mlocked',
      'uncached',
      'hwpoison',
    ],
    above: ['young', 'idle', 'arch_2'],
    aliases: [
      ...COMMON_ALIASES,
      ISOLATED_OLD,
      { name: 'anon_exclusive', of: 'mappedtodisk', since: '6.1' },
      { name: 'slob_free', of: 'private', until: '6.3', note: 'SLOB allocator free list (SLOB removed in 6.4)' },
      { name: 'double_map', of: 'workingset', secondPageOnly: true, until: '6.1' },
      { name: 'has_hwpoisoned', of: 'mappedtodisk', secondPageOnly: true, until: '5.19' },
      { name: 'has_hwpoisoned', of: 'error', secondPageOnly: true, since: '6.0' },
    ],
    fingerprint: { lru: 4, private: 13, swapcache: 10, swapbacked: 19, slab: 9, hwpoison: 23, headMask: 0x10000 },
    source: 'include/linux/page-flags.h enum pageflags: 5.15.100, 6.1.192:100',
  },
  {
    id: '6.6-6.9',
    first: '6.6',
    last: '6.9',
    bits: [
      'locked',
      'writeback',
      'referenced',
      'uptodate',
      'dirty',
      'lru',
      'head',
      'waiters',
      'active',
      'workingset',
      'error',
      'slab',
      'owner_priv_1',
      'arch_1',
      'reserved',
      'private',
      'private_2',
      'mappedtodisk',
      'reclaim',
      'swapbacked',
      'unevictable',
      'mlocked',
      'uncached',
      'hwpoison',
    ],
    above: ['young', 'idle'],
    aliases: [
      ...COMMON_ALIASES,
      ISOLATED_OLD,
      { name: 'anon_exclusive', of: 'mappedtodisk' },
      { name: 'has_hwpoisoned', of: 'error', secondPageOnly: true },
      { name: 'large_rmappable', of: 'workingset', secondPageOnly: true },
      {
        name: 'hugetlb',
        of: 'active',
        secondPageOnly: true,
        until: '6.8',
        note: 'replaced by the hugetlb page type in 6.9 (and 6.6.y/6.8.y backports)',
      },
    ],
    fingerprint: { lru: 5, private: 15, swapcache: 12, swapbacked: 19, slab: 11, hwpoison: 23, headMask: 0x40 },
    source: 'include/linux/page-flags.h enum pageflags: 6.6.87',
  },
  {
    id: '6.10-6.11',
    first: '6.10',
    last: '6.11',
    bits: [
      'locked',
      'writeback',
      'referenced',
      'uptodate',
      'dirty',
      'lru',
      'head',
      'waiters',
      'active',
      'workingset',
      'error',
      'owner_priv_1',
      'arch_1',
      'reserved',
      'private',
      'private_2',
      'mappedtodisk',
      'reclaim',
      'swapbacked',
      'unevictable',
      'mlocked',
      'uncached',
      'hwpoison',
    ],
    above: ['young', 'idle'],
    aliases: [
      ...COMMON_ALIASES,
      ISOLATED_OLD,
      { name: 'anon_exclusive', of: 'mappedtodisk' },
      { name: 'has_hwpoisoned', of: 'error', secondPageOnly: true },
      { name: 'large_rmappable', of: 'workingset', secondPageOnly: true },
    ],
    fingerprint: { lru: 5, private: 14, swapcache: 11, swapbacked: 18, hwpoison: 22, headMask: 0x40 },
    source: 'derived: 6.9 enum minus PG_slab (commit 46df8e73a4a3 "mm: free up PG_slab")',
  },
  {
    id: '6.12-6.13',
    first: '6.12',
    last: '6.13',
    bits: [
      'locked',
      'writeback',
      'referenced',
      'uptodate',
      'dirty',
      'lru',
      'head',
      'waiters',
      'active',
      'workingset',
      'owner_priv_1',
      'owner_2',
      'arch_1',
      'reserved',
      'private',
      'private_2',
      'reclaim',
      'swapbacked',
      'unevictable',
      'mlocked',
      'hwpoison',
    ],
    above: ['young', 'idle', 'arch_2'],
    aliases: [
      ...COMMON_ALIASES,
      ISOLATED_OLD,
      { name: 'mappedtodisk', of: 'owner_2' },
      { name: 'anon_exclusive', of: 'owner_2' },
      {
        name: 'offline_skippable',
        of: 'owner_2',
        onlyOn: 'offline',
        note: 'unmerged PG_offline_skippable series (May 2025); assumption',
      },
      { name: 'has_hwpoisoned', of: 'active', secondPageOnly: true },
      { name: 'large_rmappable', of: 'workingset', secondPageOnly: true },
      { name: 'partially_mapped', of: 'reclaim', secondPageOnly: true },
    ],
    fingerprint: { lru: 5, private: 14, swapcache: 10, swapbacked: 17, hwpoison: 20, headMask: 0x40 },
    source: 'include/linux/page-flags.h enum pageflags: 6.12.117:93',
  },
  {
    id: '6.14-6.18',
    first: '6.14',
    last: '6.18',
    bits: [
      'locked',
      'writeback',
      'referenced',
      'uptodate',
      'dirty',
      'lru',
      'head',
      'waiters',
      'active',
      'workingset',
      'owner_priv_1',
      'owner_2',
      'arch_1',
      'reserved',
      'private',
      'private_2',
      'reclaim',
      'swapbacked',
      'unevictable',
      'dropbehind',
      'mlocked',
      'hwpoison',
    ],
    above: ['young', 'idle', 'arch_2'],
    aliases: [
      ...COMMON_ALIASES,
      ISOLATED_OLD,
      { name: 'movable_ops_isolated', of: 'reclaim', since: '6.17' },
      { name: 'movable_ops', of: 'uptodate', since: '6.17', note: 'balloon/zsmalloc pages with movable_ops' },
      { name: 'mappedtodisk', of: 'owner_2' },
      { name: 'anon_exclusive', of: 'owner_2' },
      {
        name: 'offline_skippable',
        of: 'owner_2',
        onlyOn: 'offline',
        note: 'unmerged PG_offline_skippable series (May 2025); assumption',
      },
      { name: 'has_hwpoisoned', of: 'active', secondPageOnly: true },
      { name: 'large_rmappable', of: 'workingset', secondPageOnly: true },
      { name: 'partially_mapped', of: 'reclaim', secondPageOnly: true },
    ],
    fingerprint: { lru: 5, private: 14, swapcache: 10, swapbacked: 17, hwpoison: 21, headMask: 0x40 },
    source: 'include/linux/page-flags.h enum pageflags: 6.17.0, 6.18.2:93',
  },
  {
    id: '7.2-7.3',
    first: '7.2',
    last: '7.3',
    bits: [
      'locked',
      'writeback',
      'referenced',
      'uptodate',
      'dirty',
      'lru',
      'head',
      'waiters',
      'active',
      'workingset',
      'owner_priv_1',
      'owner_2',
      'arch_1',
      'reserved',
      'private',
      'private_2',
      'reclaim',
      'swapbacked',
      'unevictable',
      'dropbehind',
      'mlocked',
      'hwpoison',
    ],
    above: ['young', 'idle', 'arch_2'],
    aliases: [
      ...COMMON_ALIASES,
      { name: 'movable_ops_isolated', of: 'reclaim' },
      {
        name: 'movable_ops',
        of: 'uptodate',
        note: 'balloon (with private = balloon_dev_info) and zsmalloc pages with movable_ops',
      },
      { name: 'mappedtodisk', of: 'owner_2' },
      { name: 'anon_exclusive', of: 'owner_2' },
      { name: 'has_hwpoisoned', of: 'active', secondPageOnly: true },
      { name: 'large_rmappable', of: 'workingset', secondPageOnly: true },
      { name: 'partially_mapped', of: 'reclaim', secondPageOnly: true },
    ],
    fingerprint: {
      lru: 5,
      private: 14,
      swapcache: 10,
      swapbacked: 17,
      hwpoison: 21,
      headMask: 0x40,
      compoundInfo: true,
    },
    source: 'include/linux/page-flags.h enum pageflags: 7.2.13, 7.3.4:93 (docs/kernel/struct-page-and-flags.md)',
  },
];

/** Bit number for a flag a kernel (or a listing) does not have: set in no page (above the 64 flag bits). */
export const NO_BIT = 64;

export function layoutFamily(id: LayoutFamilyId): LayoutFamily {
  return LAYOUT_FAMILIES.find((f) => f.id === id)!;
}

/** Bit number of a base flag in a family, or undefined when the family has no such flag. */
export function flagBit(family: LayoutFamily, name: string): number | undefined {
  const i = family.bits.indexOf(name);
  return i >= 0 ? i : undefined;
}

/** The numbers VMCOREINFO exports about page flags (NUMBER(PG_*)), and whether it names page.compound_info. */
export interface PageFlagNumbers {
  lru?: number;
  private?: number;
  swapcache?: number;
  swapbacked?: number;
  slab?: number;
  hwpoison?: number;
  headMask?: number;
  compoundInfo?: boolean;
}

/**
 * Family whose fingerprint equals the exported numbers exactly, or undefined (explicit unknown, never a guess).
 * All of lru, private, swapcache, swapbacked, hwpoison and headMask are required. A releaseOnly family
 * (5.10) is chosen only when `release` is one of its releases; otherwise the family it shares numbers with.
 */
export function familyFromNumbers(n: PageFlagNumbers, release?: string): LayoutFamily | undefined {
  if ([n.lru, n.private, n.swapcache, n.swapbacked, n.hwpoison, n.headMask].some((v) => v === undefined))
    return undefined;
  const v = release ? parseRelease(release) : undefined;
  const matches = LAYOUT_FAMILIES.filter((f) => {
    const p = f.fingerprint;
    return (
      p.lru === n.lru &&
      p.private === n.private &&
      p.swapcache === n.swapcache &&
      p.swapbacked === n.swapbacked &&
      p.hwpoison === n.hwpoison &&
      p.headMask === n.headMask &&
      p.slab === n.slab &&
      (p.compoundInfo ?? false) === (n.compoundInfo ?? false)
    );
  });
  return (
    matches.find((f) => f.releaseOnly && v !== undefined && inFamilyRange(v, f)) ?? matches.find((f) => !f.releaseOnly)
  );
}

const inFamilyRange = (v: KernelVersion, f: LayoutFamily): boolean => inVersionRange(v, familyVersions(f));

/** Where a release stands against the families: inside one, between two, older or newer than all. */
export type ReleaseCoverage =
  { kind: 'family'; family: LayoutFamily } | { kind: 'older' | 'newer' | 'gap' | 'unparsable'; nearest?: LayoutFamily };

export function releaseCoverage(release: string): ReleaseCoverage {
  const v = parseRelease(release);
  if (v === undefined) return { kind: 'unparsable' };
  const f = LAYOUT_FAMILIES.find((x) => inFamilyRange(v, x));
  if (f) return { kind: 'family', family: f };
  const first = LAYOUT_FAMILIES[0],
    last = LAYOUT_FAMILIES[LAYOUT_FAMILIES.length - 1];
  if (v < ver(first.first)) return { kind: 'older', nearest: first };
  if (v > ver(last.last)) return { kind: 'newer', nearest: last };
  return { kind: 'gap', nearest: [...LAYOUT_FAMILIES].reverse().find((x) => v > ver(x.last)) };
}

/** Releases the tables cover, for messages ("5.10, 5.15-6.18, 7.2-7.3"). */
export const COVERED_RELEASES = '5.10, 5.15-6.18 and 7.2-7.3';

/** A "major.minor" of the tables ("6.12") as a version. */
const ver = (s: string): KernelVersion => parseRelease(s)!;

/** The kernels a family covers, as a version range. */
export const familyVersions = (f: LayoutFamily): VersionRange => [ver(f.first), ver(f.last)];

/**
 * Family from an OSRELEASE string by version range, or undefined outside COVERED_RELEASES.
 * Note: 6.6.y/6.8.y stable backports do not change flag bits, so the range is enough for flags.
 */
export function familyFromRelease(release: string): LayoutFamily | undefined {
  const v = parseRelease(release);
  if (v === undefined) return undefined;
  return LAYOUT_FAMILIES.find((f) => inFamilyRange(v, f));
}

function aliasApplies(a: FlagAlias, release: KernelVersion | undefined): boolean {
  if (release === undefined) return !a.since && !a.until;
  if (a.since && release < ver(a.since)) return false;
  if (a.until && release > ver(a.until)) return false;
  return true;
}

/** Layout of the upper "fields" part of flags (node, zone), when derivable. */
export interface FlagFields {
  /** NODES_SHIFT (log2 LENGTH(node_data)); the node field occupies the top bits. */
  nodesShift: number;
  /** ZONES_WIDTH: 3 on x86_64 with ZONE_DEVICE (Debian), 2 without. */
  zonesWidth: number;
}

export const ZONE_NAMES = ['DMA', 'DMA32', 'Normal', 'Movable', 'Device'] as const;

export interface DecodedFlags {
  /** Base flag names set (lowest bit first). */
  names: string[];
  /** Alias names that apply to set bits, as "alias(=base)". */
  aliases: string[];
  /** Bits set between PG_hwpoison+1 and the fields that this table cannot name (config-dependent). */
  unnamedBits: number[];
  node?: number;
  zone?: number;
  zoneName?: string;
}

/**
 * Decodes page->flags. `opts.secondPage` also names second-page-only aliases; `opts.release` narrows
 * version-dependent aliases; `opts.fields` enables node/zone extraction.
 */
export function decodePageFlags(
  flags: bigint,
  family: LayoutFamily,
  opts: { release?: string; secondPage?: boolean; pageState?: string; fields?: FlagFields } = {},
): DecodedFlags {
  const out: DecodedFlags = { names: [], aliases: [], unnamedBits: [] };
  const rel = opts.release ? parseRelease(opts.release) : undefined;
  const lowBits = family.bits.length;
  for (let b = 0; b < lowBits; b++) {
    if (!((flags >> BigInt(b)) & 1n)) continue;
    const base = family.bits[b];
    out.names.push(base);
    for (const a of family.aliases) {
      if (a.of !== base || !aliasApplies(a, rel)) continue;
      if (a.secondPageOnly && !opts.secondPage) continue;
      if (a.onlyOn && a.onlyOn !== opts.pageState) continue;
      out.aliases.push(`${a.name}(=${base})`);
    }
  }
  let fieldsLow = 64;
  if (opts.fields) {
    const { nodesShift, zonesWidth } = opts.fields;
    const nodeShift = 64 - nodesShift;
    const zoneShift = nodeShift - zonesWidth;
    if (nodesShift > 0) out.node = Number((flags >> BigInt(nodeShift)) & ((1n << BigInt(nodesShift)) - 1n));
    out.zone = Number((flags >> BigInt(zoneShift)) & ((1n << BigInt(zonesWidth)) - 1n));
    out.zoneName = ZONE_NAMES[out.zone];
    fieldsLow = zoneShift;
  }
  // Bits just above hwpoison: young/idle/arch_2 depending on config. Name them tentatively.
  for (let b = lowBits; b < Math.min(lowBits + family.above.length, fieldsLow); b++) {
    if ((flags >> BigInt(b)) & 1n) out.unnamedBits.push(b);
  }
  return out;
}

/** Names of flags, aliases and config-dependent bits in one list, for display. */
export function flagNamesForDisplay(d: DecodedFlags, family: LayoutFamily): string[] {
  const above = d.unnamedBits.map((b) => `bit${b}(${family.above.join('/')}?)`);
  return [...d.names, ...d.aliases, ...above];
}
