// Which page-state symbols each hunk of a patch touches: PG_*, PGTY_*, KPF_*, SECTION_*, the page
// accessors (PageX, SetPageX, folio_test_x, …), page-type and offlining functions — resolved with
// the knowledge base the hovers use (kernel/knowledge), so every symbol links to the same
// explanation and source reference. Pure.

import { lookupSymbol, type KnowledgeEntry } from '../kernel/knowledge/index';
import type { Hunk, PatchSeries } from './patchSeries';
import { filePath } from './patchSeries';

export interface TouchedSymbol {
  /** As written in the patch (untrusted, but an identifier: [A-Za-z_]\w*). */
  name: string;
  /** Knowledge entries it resolves to (empty: a page-state name the knowledge base does not know, e.g. one the patch adds). */
  entries: KnowledgeEntry[];
  /** Lines of the hunk that add / remove / keep it. */
  added: number;
  removed: number;
  context: number;
  /** First line (in the patch source) of a changed line mentioning it, else of any line. */
  at: number;
}

export interface HunkSymbols {
  patch: number;
  file: string;
  hunk: Hunk;
  symbols: TouchedSymbol[];
}

/** Names shaped like page state even when the knowledge base lacks them (new flags and types). */
const PAGE_STATE_SHAPE =
  /^(?:PG_\w+|PGTY_\w+|KPF_[A-Z0-9_]+|SECTION_[A-Z0-9_]+|PAGE_TYPE_\w+|(?:__)?(?:Page|SetPage|ClearPage|TestSetPage|TestClearPage)[A-Z]\w*|(?:__)?folio_(?:test|set|clear)_\w+)$/;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;
/** Identifiers that resolve to something general but say nothing about page state in a patch line. */
const NOISE = new Set(['page', 'folio', 'flags', 'pfn', 'online', 'offline']);

export function symbolsOfHunk(h: Hunk): TouchedSymbol[] {
  const out = new Map<string, TouchedSymbol>();
  const see = (name: string, kind: '+' | '-' | ' ', at: number) => {
    if (NOISE.has(name) || name.length > 80) return;
    let s = out.get(name);
    if (!s) {
      const entries = lookupSymbol(name);
      if (!entries.length && !PAGE_STATE_SHAPE.test(name)) return;
      out.set(name, (s = { name, entries, added: 0, removed: 0, context: 0, at }));
    }
    if (kind === '+') s.added++;
    else if (kind === '-') s.removed++;
    else s.context++;
    if (kind !== ' ' && s.added + s.removed === 1) s.at = at;
  };
  for (const l of h.lines) {
    const seen = new Set<string>();
    for (const m of l.text.matchAll(IDENT))
      if (!seen.has(m[0])) {
        seen.add(m[0]);
        see(m[0], l.kind, l.at);
      }
  }
  // The function git names after @@ is where the hunk sits (scan_movable_pages, has_unmovable_pages…).
  const fn = /([A-Za-z_]\w*)\s*\(/.exec(h.section)?.[1];
  if (fn && !out.has(fn) && lookupSymbol(fn).length)
    out.set(fn, { name: fn, entries: lookupSymbol(fn), added: 0, removed: 0, context: 1, at: h.at });
  // Changed symbols first, then the ones only in context; stable by first appearance otherwise.
  return [...out.values()].sort((a, b) => Number(b.added + b.removed > 0) - Number(a.added + a.removed > 0));
}

/** Symbols of every hunk that touches at least one (changed or context). */
export function seriesSymbols(series: PatchSeries): HunkSymbols[] {
  const out: HunkSymbols[] = [];
  series.patches.forEach((p, i) => {
    for (const f of p.files)
      for (const h of f.hunks) {
        const symbols = symbolsOfHunk(h);
        if (symbols.length) out.push({ patch: i, file: filePath(f), hunk: h, symbols });
      }
  });
  return out;
}

/** One entry per symbol over the whole series: how often added/removed, which files. */
export function symbolTotals(
  hs: HunkSymbols[],
): { name: string; entries: KnowledgeEntry[]; added: number; removed: number; files: string[] }[] {
  const m = new Map<
    string,
    { name: string; entries: KnowledgeEntry[]; added: number; removed: number; files: string[] }
  >();
  for (const h of hs)
    for (const s of h.symbols) {
      const t = m.get(s.name) ?? { name: s.name, entries: s.entries, added: 0, removed: 0, files: [] };
      t.added += s.added;
      t.removed += s.removed;
      if (!t.files.includes(h.file)) t.files.push(h.file);
      m.set(s.name, t);
    }
  return [...m.values()].sort(
    (a, b) => Number(b.added + b.removed > 0) - Number(a.added + a.removed > 0) || a.name.localeCompare(b.name),
  );
}
