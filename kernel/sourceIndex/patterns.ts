// What the indexer looks for: the definitions a memmap reader wants to jump to.
// Each rule is a ripgrep regex (Rust syntax) plus a JS regex that extracts the symbol(s) from a hit.

import { ALL_ENTRIES } from '../knowledge/index';

/** Functions worth indexing: every function the knowledge base mentions. */
export const INDEXED_FUNCTIONS: readonly string[] = [
  ...new Set(ALL_ENTRIES.flatMap((e) => e.source.map((r) => r.symbol)).filter((s) => /^[a-z_][a-z0-9_]*$/.test(s))),
];

const FUNCTION_DEF = new RegExp(`^[a-z][\\w \\*]*\\b(${INDEXED_FUNCTIONS.join('|')})\\([^;]*$`);

export interface IndexRule {
  /** Rust regex for `rg -e`. */
  rg: string;
  /** When set, ripgrep searches these fixed strings over the whole scope; otherwise `rg` runs on include/ only. */
  fixed?: string[];
  /** Symbols defined by a matching line (may return several, e.g. PageX, SetPageX … for PAGEFLAG()). */
  extract: (line: string) => string[];
}

const ACCESSOR_MACROS =
  'PAGEFLAG|__PAGEFLAG|TESTPAGEFLAG|SETPAGEFLAG|CLEARPAGEFLAG|__SETPAGEFLAG|__CLEARPAGEFLAG|TESTSETFLAG|TESTCLEARFLAG|TESTSCFLAG|PAGEFLAG_FALSE|TESTPAGEFLAG_FALSE|PAGE_TYPE_OPS|FOLIO_TYPE_OPS|FOLIO_FLAG|FOLIO_FLAG_FALSE|FOLIO_TEST_FLAG|FOLIO_SET_FLAG|FOLIO_CLEAR_FLAG|__FOLIO_SET_FLAG|__FOLIO_CLEAR_FLAG|FOLIO_TEST_FLAG_FALSE';

/** PAGEFLAG(Offline, offline, …) → PageOffline, SetPageOffline, __SetPageOffline, folio_test_offline … */
function accessorNames(camel: string, lower: string | undefined): string[] {
  const out = [
    `Page${camel}`,
    `SetPage${camel}`,
    `ClearPage${camel}`,
    `__SetPage${camel}`,
    `__ClearPage${camel}`,
    `TestSetPage${camel}`,
    `TestClearPage${camel}`,
  ];
  if (lower)
    out.push(
      `folio_test_${lower}`,
      `folio_set_${lower}`,
      `folio_clear_${lower}`,
      `__folio_set_${lower}`,
      `__folio_clear_${lower}`,
    );
  return out;
}

export const INDEX_RULES: readonly IndexRule[] = [
  {
    // enum members: PG_*, PGTY_*, SECTION_*_BIT, MEM_* (flags, page types, section flags, block states)
    rg: '^\\s*(PG_\\w+|PGTY_\\w+|SECTION_\\w+_BIT|SECTION_MAP_LAST_BIT)\\s*(=[^;]*)?,',
    extract: (l) => [/^\s*(\w+)/.exec(l)![1]],
  },
  {
    rg: '^#define\\s+(KPF_\\w+|PAGE_MAPPING_\\w+|FOLIO_MAPPING_\\w+|PAGE_TYPE_BASE|PAGE_MAPCOUNT_RESERVE|PG_\\w+|SECTION_\\w+|PAGE_POISON_PATTERN|MEM_(ONLINE|GOING_OFFLINE|OFFLINE|GOING_ONLINE|CANCEL_ONLINE|CANCEL_OFFLINE))\\b',
    extract: (l) => [/^#define\s+(\w+)/.exec(l)![1]],
  },
  {
    rg: '^(struct (page|mem_section|memory_block|folio)|enum (pageflags|pagetype)) \\{',
    extract: (l) => [/^((?:struct|enum) \w+)/.exec(l)![1]],
  },
  {
    rg: `^\\s*(${ACCESSOR_MACROS})\\(\\w+`,
    extract: (l) => {
      const m = /\(\s*(\w+)\s*(?:,\s*(\w+))?/.exec(l);
      if (!m) return [];
      const isFolio = /^\s*_*FOLIO_/.test(l);
      // FOLIO_* macros take only the lower-case name; PAGEFLAG-style take (Camel, lower, policy).
      if (isFolio)
        return [
          `folio_test_${m[1]}`,
          `folio_set_${m[1]}`,
          `folio_clear_${m[1]}`,
          `__folio_set_${m[1]}`,
          `__folio_clear_${m[1]}`,
        ];
      return accessorNames(m[1], m[2]);
    },
  },
  {
    // Function definitions (kernel style: return type and name on one line, not a prototype).
    // Searched with fixed strings "name(" (fast multi-literal search); the exact shape is checked in JS below.
    rg: `\\b(${INDEXED_FUNCTIONS.join('|')})\\([^;]*$`,
    fixed: INDEXED_FUNCTIONS.map((n) => `${n}(`),
    extract: (l) => {
      const m = FUNCTION_DEF.exec(l);
      return m && !/^\s*(return|if|else|while|for)\b/.test(l) ? [m[1]] : [];
    },
  },
];
