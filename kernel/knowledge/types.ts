// Shape of one knowledge-base entry: what a kernel developer needs to know about one symbol.
// Bit numbers and values are NOT stored here; they come from kernel/pageflags.ts, kernel/kpf.ts,
// kernel/pagetypes.ts and kernel/sections.ts so there is one source of truth for numbers.

export type SymbolKind =
  | 'page-flag'
  | 'flag-alias'
  | 'kpf-bit'
  | 'page-type'
  | 'section-flag'
  | 'block-state'
  | 'mapping-tag'
  | 'page-class'
  | 'function'
  | 'struct'
  | 'concept';

/** A place in the kernel source worth reading; the first one of an entry is its definition. */
export interface SourceRef {
  /** Path relative to the tree root, e.g. "include/linux/page-flags.h". */
  file: string;
  /** Identifier to search for in that file (the indexer resolves it to a line). */
  symbol: string;
  /** Known definition lines per version (from the reference trees), used for Elixir links without a tree. */
  lines?: Partial<Record<'6.1' | '6.12' | '6.18', number>>;
  /** Why it is worth reading. */
  why?: string;
}

export interface Appearance {
  kpageflags?: string;
  crash?: string;
  drgn?: string;
  dumpPage?: string;
}

export interface KnowledgeEntry {
  /** Canonical name as written in the kernel, e.g. "PG_head", "KPF_OFFLINE", "PGTY_offline", "offline_pages". */
  name: string;
  kind: SymbolKind;
  /** What it means, in plain words (one or two sentences). */
  meaning: string;
  /** Longer explanation (markdown-free plain text paragraphs), optional. */
  details?: string[];
  /** Kernel versions where it exists, human readable ("all", "6.12+", "≤6.9"). */
  versions: string;
  /** Other names for the same bit/value/concept. */
  aliases?: string[];
  appearance?: Appearance;
  /** What memory offlining (offline_pages) does with such a page / in this function. */
  offlining?: string;
  source: SourceRef[];
  /** Names of related entries (shown as "see also"). */
  related?: string[];
}
