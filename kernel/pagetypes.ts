// page->page_type / _mapcount (u32 at offset 48) encodings on x86_64.
// Source: include/linux/page-flags.h — ≤6.10 PAGE_TYPE_BASE 0xf0000000 with cleared low bits (6.1:943),
// 6.11 PAGE_TYPE_BASE 0x80000000 with cleared top-byte bits, 6.12+ `enum pagetype` PGTY_* in the top
// byte (6.12:939, 6.18:925). Summary: shared/reference/kernel-page-state.md §2.

export type PageTypeEncodingId = '<=6.10' | '6.11' | '>=6.12';

export type PageTypeName = 'buddy' | 'offline' | 'table' | 'guard' | 'hugetlb' | 'slab' | 'zsmalloc' | 'unaccepted' | 'large_kmalloc';

export interface PageTypeEncoding {
  id: PageTypeEncodingId;
  /** NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) that identifies this encoding. */
  buddyValue: number;
  /** Raw u32 value of page_type for each type (low owner bits zero). */
  values: Partial<Record<PageTypeName, number>>;
  /** Versions in which each type exists, when narrower than the encoding. */
  notes: Partial<Record<PageTypeName, string>>;
  source: string;
}

export const PAGE_TYPE_ENCODINGS: readonly PageTypeEncoding[] = [
  {
    id: '<=6.10', buddyValue: -129,
    values: { buddy: 0xffffff7f, offline: 0xfffffeff, table: 0xfffffdff, guard: 0xfffffbff, hugetlb: 0xfffff7ff, slab: 0xffffefff },
    notes: { hugetlb: '6.9-6.10 and 6.6.y/6.8.y backports', slab: '6.10 only' },
    source: 'include/linux/page-flags.h PAGE_TYPE_BASE/PG_buddy…: 5.15:721, 6.1:943, 6.6.87:902',
  },
  {
    id: '6.11', buddyValue: -1073741825,
    values: { buddy: 0xbfffffff, offline: 0xdfffffff, table: 0xefffffff, guard: 0xf7ffffff, hugetlb: 0xfbffffff, slab: 0xfdffffff, zsmalloc: 0xfeffffff },
    notes: {},
    source: 'include/linux/page-flags.h 6.11 (PAGE_TYPE_BASE 0x80000000, types count down from bit 30)',
  },
  {
    id: '>=6.12', buddyValue: -268435456,
    values: { buddy: 0xf0000000, offline: 0xf1000000, table: 0xf2000000, guard: 0xf3000000, hugetlb: 0xf4000000,
      slab: 0xf5000000, zsmalloc: 0xf6000000, unaccepted: 0xf7000000, large_kmalloc: 0xf8000000 },
    notes: { large_kmalloc: '6.15+', zsmalloc: 'low 24 bits = first object offset' },
    source: 'include/linux/page-flags.h enum pagetype: 6.12:939, 6.18:925',
  },
];

export function encodingFromBuddyValue(v: number | undefined): PageTypeEncoding | undefined {
  return v === undefined ? undefined : PAGE_TYPE_ENCODINGS.find((e) => e.buddyValue === v);
}

export type DecodedPageType =
  | { kind: 'type'; name: PageTypeName; raw: number }
  | { kind: 'unknown-type'; raw: number }
  | { kind: 'mapcount'; mapcount: number; raw: number };

/** Per-dump decoder: the encoding plus exact values exported in VMCOREINFO (which win over the table). */
export class PageTypeDecoder {
  private readonly exact = new Map<number, PageTypeName>();
  constructor(readonly encoding: PageTypeEncoding, exported: Partial<Record<PageTypeName, number>> = {}) {
    for (const [name, v] of Object.entries(encoding.values) as [PageTypeName, number][]) this.exact.set(v >>> 0, name);
    for (const [name, v] of Object.entries(exported) as [PageTypeName, number][]) if (v !== undefined) this.exact.set(v >>> 0, name);
  }

  /** Like decode(), without allocating: the type name, 'unknown' for an unknown type value, undefined for a mapcount. */
  typeOf(u32: number): PageTypeName | 'unknown' | undefined {
    const s = u32 | 0;
    if (s >= -128) return undefined; // a mapcount in every encoding (the common case)
    const u = u32 >>> 0;
    switch (this.encoding.id) {
      case '>=6.12':
        if (s >= -16777216) return undefined;
        return this.exact.get((u >>> 24) << 24 >>> 0) ?? 'unknown';
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
        const top = (u >>> 24) << 24 >>> 0;
        const name = this.exact.get(top);
        return name ? { kind: 'type', name, raw: u } : { kind: 'unknown-type', raw: u };
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
  if (d.kind === 'type') return d.name;
  if (d.kind === 'mapcount') return `mapcount ${d.mapcount}`;
  return `unknown page type 0x${d.raw.toString(16)}`;
}
