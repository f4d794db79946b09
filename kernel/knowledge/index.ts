// Symbol → knowledge entries. Resolves the many spellings a kernel developer reads:
// PG_x, PageX/SetPageX/ClearPageX/__SetPageX, folio_test_x/folio_set_x, KPF_X, PGTY_x,
// PAGE_X_MAPCOUNT_VALUE, SECTION_X(_BIT), PAGE_MAPPING_*/FOLIO_MAPPING_*, function and struct names.

import { FLAG_ENTRIES } from './flagEntries';
import { PAGE_TYPE_CONCEPTS, PAGE_TYPE_ENTRIES } from './pageTypeEntries';
import { KPF_ENTRIES } from './kpfBits';
import { BLOCK_STATE_ENTRIES, MAPPING_ENTRIES, SECTION_ENTRIES } from './sectionsBlocksMapping';
import { FUNCTION_ENTRIES, STRUCT_ENTRIES } from './functions';
import { CLASS_ENTRIES, OFFLINE_CONCEPTS } from './offlineFamily';
import type { KnowledgeEntry } from './types';

export type { KnowledgeEntry } from './types';

export const ALL_ENTRIES: readonly KnowledgeEntry[] = [
  ...FLAG_ENTRIES,
  ...PAGE_TYPE_ENTRIES,
  ...PAGE_TYPE_CONCEPTS,
  ...KPF_ENTRIES,
  ...SECTION_ENTRIES,
  ...BLOCK_STATE_ENTRIES,
  ...MAPPING_ENTRIES,
  ...FUNCTION_ENTRIES,
  ...STRUCT_ENTRIES,
  ...OFFLINE_CONCEPTS,
  ...CLASS_ENTRIES,
];

const byName = new Map<string, KnowledgeEntry>();
/** Accessor stem ("offlineskippable", "hwpoison", "huge") → entries it tests. */
const byStem = new Map<string, KnowledgeEntry[]>();

const stem = (s: string) => s.toLowerCase().replace(/_/g, '');
function addStem(key: string, e: KnowledgeEntry) {
  const list = byStem.get(key) ?? [];
  if (!list.includes(e)) list.push(e);
  byStem.set(key, list);
}

for (const e of ALL_ENTRIES) {
  byName.set(e.name, e);
  if (e.kind === 'page-flag' || e.kind === 'flag-alias') addStem(stem(e.name.slice(3)), e);
  if (e.kind === 'page-type') addStem(stem(e.name.slice(5)), e);
}
for (const e of ALL_ENTRIES) {
  for (const a of e.aliases ?? []) {
    // Only identifier-like aliases with an underscore: plain words ("online") are too common; PageX goes through the accessor rules.
    if (/^[A-Za-z_]\w*$/.test(a) && a.includes('_') && !byName.has(a)) byName.set(a, e);
  }
}
addStem('huge', byName.get('PGTY_hugetlb')!);
addStem('compound', byName.get('PG_head')!);
addStem('tail', byName.get('PG_head')!);

const SPECIAL: Record<string, string> = {
  KPF_OWNER_2: 'KPF_MAPPEDTODISK',
  KPF_BALLOON: 'KPF_OFFLINE',
  PageAnon: 'PAGE_MAPPING_ANON',
  folio_test_anon: 'PAGE_MAPPING_ANON',
  PageMovable: 'PAGE_MAPPING_MOVABLE',
  __PageMovable: 'PAGE_MAPPING_MOVABLE',
  page_has_movable_ops: 'PG_movable_ops',
  PageKsm: 'PAGE_MAPPING_KSM',
  folio_test_ksm: 'PAGE_MAPPING_KSM',
  SECTION_MAP_MASK: 'SECTION_MAP_LAST_BIT',
  SECTION_NID_SHIFT: 'SECTION_MAP_LAST_BIT',
  mem_section: 'struct mem_section',
  memory_block: 'struct memory_block',
  pageflags: 'enum pageflags',
  pagetype: 'enum pagetype',
  PagePoisoned: 'page_init_poison',
  PAGE_POISON_PATTERN: 'page_init_poison',
  pfn_to_page: 'struct page',
  virtio_mem_fake_offline_cancel_offline: 'virtio_mem_fake_offline_going_offline',
  dissolve_free_huge_pages: 'offline_pages',
  start_isolate_page_range: 'set_migratetype_isolate',
};

const ACCESSOR = /^(?:__)?(?:Page|SetPage|ClearPage|TestSetPage|TestClearPage)([A-Z]\w*)$/;
const FOLIO_ACCESSOR = /^(?:__)?folio_(?:test_set|test_clear|test|set|clear)_(\w+)$/;

/** Entries describing `symbol` (most specific first); [] when unknown. */
export function lookupSymbol(symbol: string): KnowledgeEntry[] {
  const s = symbol.trim().replace(/^struct\s+/, (m) => (byName.has(symbol.trim()) ? m : ''));
  if (byName.has(symbol.trim())) return [byName.get(symbol.trim())!];
  if (byName.has(s)) return [byName.get(s)!];
  // own keys only: a word like `constructor` or `valueOf` in a hovered line is not a special name
  if (Object.hasOwn(SPECIAL, s)) return [byName.get(SPECIAL[s])!];
  let m: RegExpExecArray | null;
  if ((m = /^PG_(\w+)$/.exec(s))) {
    // ≤6.10 page types were #defines named PG_buddy, PG_offline … (values in page_type).
    return byStem.get(stem(m[1])) ?? [];
  }
  if ((m = /^PAGE_(\w+)_MAPCOUNT_VALUE$/.exec(s))) return byStem.get(stem(m[1])) ?? [];
  if ((m = /^(SECTION_\w+)_BIT$/.exec(s)) && byName.has(m[1])) return [byName.get(m[1])!];
  if ((m = ACCESSOR.exec(s)) || (m = FOLIO_ACCESSOR.exec(s))) {
    const list = byStem.get(stem(m[1]));
    if (list) return list;
  }
  const lower = s.toLowerCase();
  if (byName.has(lower)) return [byName.get(lower)!];
  return [];
}

/** True when hovering `symbol` has something to say (cheap check for the hover fast path). */
export function isKnownSymbol(symbol: string): boolean {
  return lookupSymbol(symbol).length > 0;
}

export function entryByName(name: string): KnowledgeEntry | undefined {
  return byName.get(name);
}
