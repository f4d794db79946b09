// page->page_type / _mapcount (u32 at offset 48) encodings on x86_64.
// Source: include/linux/page-flags.h — ≤6.10 PAGE_TYPE_BASE 0xf0000000 with cleared low bits (6.1:943),
// 6.11 PAGE_TYPE_BASE 0x80000000 with cleared top-byte bits, 6.12+ `enum pagetype` PGTY_* in the top
// byte (6.12:939, 6.18:925, 7.3.4 unchanged). 5.10 has its own bits, which combine (5.10.262:718):
// PG_buddy 0x80, PG_offline 0x100, PG_kmemcg 0x200, PG_table 0x400, PG_guard 0x800.
// Summary: docs/kernel/page-types.md.

export type PageTypeEncodingId = '5.10' | '<=6.10' | '6.11' | '>=6.12';

/** kmemcg (5.10 only) is not a page kind but a memcg-charge mark that combines with table or stands alone. */
export type PageTypeName =
  'buddy' | 'offline' | 'table' | 'guard' | 'hugetlb' | 'slab' | 'zsmalloc' | 'unaccepted' | 'large_kmalloc' | 'kmemcg';

export interface PageTypeEncoding {
  id: PageTypeEncodingId;
  /** NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) that identifies this encoding. */
  buddyValue: number;
  /** Raw u32 value of page_type for each type (low owner bits zero). */
  values: Partial<Record<PageTypeName, number>>;
  /** Versions in which each type exists, when narrower than the encoding. */
  notes: Partial<Record<PageTypeName, string>>;
  source: string;
  /** Types are bits cleared in PAGE_TYPE_BASE and may combine (5.10): decoded bit by bit. */
  bitwise?: boolean;
}

export const PAGE_TYPE_ENCODINGS: readonly PageTypeEncoding[] = [
  {
    id: '<=6.10',
    buddyValue: -129,
    values: {
      buddy: 0xffffff7f,
      offline: 0xfffffeff,
      table: 0xfffffdff,
      guard: 0xfffffbff,
      hugetlb: 0xfffff7ff,
      slab: 0xffffefff,
    },
    notes: { hugetlb: '6.9-6.10 and 6.6.y/6.8.y backports', slab: '6.10 only' },
    source: 'include/linux/page-flags.h PAGE_TYPE_BASE/PG_buddy…: 5.15:721, 6.1:943, 6.6.87:902',
  },
  {
    // after '<=6.10' (same buddy value): chosen for 5.10 by the layout family, never by the buddy value
    id: '5.10',
    buddyValue: -129,
    bitwise: true,
    values: { buddy: 0xffffff7f, offline: 0xfffffeff, kmemcg: 0xfffffdff, table: 0xfffffbff, guard: 0xfffff7ff },
    notes: {
      kmemcg:
        'combines with table (0xfffff9ff: a page table charged to a memcg); alone on other memcg-charged kernel pages',
      table: '0xfffffbff is guard on 5.15-6.10',
      guard: '0xfffff7ff is hugetlb on 6.9-6.10',
    },
    source: 'include/linux/page-flags.h PAGE_TYPE_BASE 0xf0000000, PG_buddy 0x80 … PG_guard 0x800: 5.10.262:718',
  },
  {
    id: '6.11',
    buddyValue: -1073741825,
    values: {
      buddy: 0xbfffffff,
      offline: 0xdfffffff,
      table: 0xefffffff,
      guard: 0xf7ffffff,
      hugetlb: 0xfbffffff,
      slab: 0xfdffffff,
      zsmalloc: 0xfeffffff,
    },
    notes: {},
    source: 'include/linux/page-flags.h 6.11 (PAGE_TYPE_BASE 0x80000000, types count down from bit 30)',
  },
  {
    id: '>=6.12',
    buddyValue: -268435456,
    values: {
      buddy: 0xf0000000,
      offline: 0xf1000000,
      table: 0xf2000000,
      guard: 0xf3000000,
      hugetlb: 0xf4000000,
      slab: 0xf5000000,
      zsmalloc: 0xf6000000,
      unaccepted: 0xf7000000,
      large_kmalloc: 0xf8000000,
    },
    notes: { large_kmalloc: '6.15+', zsmalloc: 'low 24 bits = first object offset' },
    source: 'include/linux/page-flags.h enum pagetype: 6.12:939, 6.18:925',
  },
];

/** The encoding of a buddy value (5.10's, which shares -129 with 5.15-6.10, only by its id). */
export function encodingFromBuddyValue(v: number | undefined): PageTypeEncoding | undefined {
  return v === undefined ? undefined : PAGE_TYPE_ENCODINGS.find((e) => e.buddyValue === v);
}

export const pageTypeEncoding = (id: PageTypeEncodingId): PageTypeEncoding =>
  PAGE_TYPE_ENCODINGS.find((e) => e.id === id)!;

/** 5.10: the page kinds and the kmemcg mark, bit by bit. */
const BITWISE_KINDS: [PageTypeName, number][] = [
  ['buddy', 0x80],
  ['offline', 0x100],
  ['table', 0x400],
  ['guard', 0x800],
];
const KMEMCG_BIT = 0x200;
const BITWISE_ALL = 0xf80;

/** A 5.10 page_type word (< -128): its kind and whether kmemcg is set; 'unknown' for bits outside the known ones or two kinds at once. */
function decodeBitwise(u: number): { name: PageTypeName | 'unknown' | undefined; kmemcg: boolean } {
  const cleared = ~u & 0xfffffff; // PAGE_TYPE_BASE 0xf0000000 must stay set: checked by the caller (s < -128)
  const kmemcg = (cleared & KMEMCG_BIT) !== 0;
  if ((u & 0xf0000000) >>> 0 !== 0xf0000000 || (cleared & ~BITWISE_ALL & 0xfffffff) !== 0)
    return { name: 'unknown', kmemcg };
  const kinds = BITWISE_KINDS.filter(([, bit]) => (cleared & bit) !== 0);
  if (kinds.length > 1) return { name: 'unknown', kmemcg };
  return { name: kinds.length ? kinds[0][0] : undefined, kmemcg };
}

export type DecodedPageType =
  | { kind: 'type'; name: PageTypeName; raw: number; kmemcg?: boolean }
  | { kind: 'unknown-type'; raw: number }
  | { kind: 'mapcount'; mapcount: number; raw: number };

/** Per-dump decoder: the encoding plus exact values exported in VMCOREINFO (which win over the table). */
export class PageTypeDecoder {
  private readonly exact = new Map<number, PageTypeName>();
  constructor(
    readonly encoding: PageTypeEncoding,
    exported: Partial<Record<PageTypeName, number>> = {},
  ) {
    for (const [name, v] of Object.entries(encoding.values) as [PageTypeName, number][]) this.exact.set(v >>> 0, name);
    for (const [name, v] of Object.entries(exported) as [PageTypeName, number][])
      if (v !== undefined) this.exact.set(v >>> 0, name);
  }

  /** Like decode(), without allocating: the type name, 'unknown' for an unknown type value, undefined for a mapcount. */
  typeOf(u32: number): PageTypeName | 'unknown' | undefined {
    const s = u32 | 0;
    if (s >= -128) return undefined; // a mapcount in every encoding (the common case)
    const u = u32 >>> 0;
    switch (this.encoding.id) {
      case '5.10': // kmemcg alone is a memcg-charged kernel page, not a kind: no type for the rules
        return decodeBitwise(u).name;
      case '>=6.12':
        if (s >= -16777216) return undefined;
        return this.exact.get(((u >>> 24) << 24) >>> 0) ?? 'unknown';
      case '6.11':
        if (s >= -65536) return undefined;
        return this.exact.get((u | 0xffff) >>> 0) ?? 'unknown';
      default:
        if (s >= -128) return undefined;
        return this.exact.get(u) ?? 'unknown';
    }
  }

  decode(u32: number): DecodedPageType {
    const u = u32 >>> 0;
    const s = u | 0;
    switch (this.encoding.id) {
      case '>=6.12': {
        if (s >= -16777216) return { kind: 'mapcount', mapcount: s + 1, raw: u };
        const top = ((u >>> 24) << 24) >>> 0;
        const name = this.exact.get(top);
        return name ? { kind: 'type', name, raw: u } : { kind: 'unknown-type', raw: u };
      }
      case '5.10': {
        if (s >= -128) return { kind: 'mapcount', mapcount: s + 1, raw: u };
        const { name, kmemcg } = decodeBitwise(u);
        if (name === 'unknown') return { kind: 'unknown-type', raw: u };
        return {
          kind: 'type',
          name: name ?? 'kmemcg',
          raw: u,
          kmemcg: name !== undefined && kmemcg ? true : undefined,
        };
      }
      case '6.11': {
        if (s >= -65536) return { kind: 'mapcount', mapcount: s + 1, raw: u };
        const name = this.exact.get((u | 0xffff) >>> 0);
        return name ? { kind: 'type', name, raw: u } : { kind: 'unknown-type', raw: u };
      }
      default: {
        if (s >= -128) return { kind: 'mapcount', mapcount: s + 1, raw: u };
        const name = this.exact.get(u);
        return name ? { kind: 'type', name, raw: u } : { kind: 'unknown-type', raw: u };
      }
    }
  }
}

/** Human-readable form of a decoded page_type word. */
export function describePageType(d: DecodedPageType): string {
  if (d.kind === 'type') return d.kmemcg ? `${d.name}+kmemcg` : d.name;
  if (d.kind === 'mapcount') return `mapcount ${d.mapcount}`;
  return `unknown page type 0x${d.raw.toString(16)}`;
}
