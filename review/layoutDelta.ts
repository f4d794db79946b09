// Layout delta of a patch series: when a hunk changes `enum pageflags`, `enum pagetype`, the
// page-type macros or page-flags-layout.h, the series is applied to a Linux tree in memory and the
// patched header is parsed with the parser the tests check our tables with (kernel/headerEnum.ts,
// the tree's .config resolving #ifdefs). The result says bit by bit what moved. Pure apart from the
// `read` callback that returns the tree's files.

import { enumLines, parseEnumText, type ParsedEnum } from '../kernel/headerEnum';
import { applySeries, type AppliedSeries, type HunkResult } from './applyPatch';
import { filePath, type PatchSeries } from './patchSeries';

export const PAGE_FLAGS_H = 'include/linux/page-flags.h';
export const PAGE_FLAGS_LAYOUT_H = 'include/linux/page-flags-layout.h';

export type LayoutTrigger = 'enum pageflags' | 'enum pagetype' | 'page-type macros' | 'page-flags-layout.h';

export interface TriggerHunk {
  patch: number;
  file: string;
  hunk: number;
  what: LayoutTrigger;
}

export interface BitChange {
  bit: number;
  /** Names of the bit (base flag first, then its aliases, with PG_) before and after the series. */
  before: string[];
  after: string[];
  /** What happened to the bit, in words: "new bit", "removed", "now PG_x (was PG_y)", "alias added". */
  what: string;
}

export interface PageTypeChange {
  name: string;
  before?: number;
  after?: number;
}

export interface LayoutDelta {
  triggers: TriggerHunk[];
  /** Why no delta was derived (no tree, hunks that do not apply, a header the parser cannot read). */
  unavailable?: string;
  /** enum pageflags before/after (with the tree's config). */
  pageflags?: {
    before: ParsedEnum;
    after: ParsedEnum;
    bits: BitChange[];
    moved: { name: string; from: number; to: number }[];
  };
  pagetype?: PageTypeChange[];
  /** PAGE_TYPE_OPS / FOLIO_TYPE_OPS accessors the series adds or removes. */
  typeOps?: { added: string[]; removed: string[] };
  /** page-flags-layout.h lines the series changes (field widths come from the preprocessor: not derived). */
  flagsLayoutLines?: { kind: '+' | '-'; text: string }[];
  /** Bits whose names change (for decoding words): bit → names after. */
  changedMask: bigint;
  /** Hunk results of the layout files (applied, offset, failed). */
  apply: HunkResult[];
}

const TYPE_MACRO =
  /\b(?:PAGE_TYPE_OPS|FOLIO_TYPE_OPS|PAGE_MAPCOUNT_OPS|PAGE_TYPE_BASE|PGTY_\w+)\b|^#define PG_(?:buddy|offline|table|guard|kmemcg|hugetlb|slab|zsmalloc|unaccepted)\b/;

/** Hunks of the series that change the page-flag or page-type layout, judged against the tree's original text. */
export function layoutTriggers(series: PatchSeries, originalPageFlags: string | undefined): TriggerHunk[] {
  const out: TriggerHunk[] = [];
  const lines = originalPageFlags?.split('\n');
  const ranges: [LayoutTrigger, [number, number] | undefined][] = lines
    ? [
        ['enum pageflags', enumLines(lines, 'pageflags')],
        ['enum pagetype', enumLines(lines, 'pagetype')],
      ]
    : [];
  series.patches.forEach((p, pi) => {
    for (const f of p.files) {
      const path = filePath(f);
      for (const h of f.hunks) {
        if (path === PAGE_FLAGS_LAYOUT_H) {
          out.push({ patch: pi, file: path, hunk: h.index, what: 'page-flags-layout.h' });
          continue;
        }
        if (path !== PAGE_FLAGS_H) continue;
        const changed = h.lines.filter((l) => l.kind !== ' ');
        // With the tree: the hunk's old lines overlap the enum; without it: git's @@ context names the enum.
        const enumHit =
          ranges.find(([, r]) => r && h.oldStart - 1 <= r[1] && h.oldStart - 1 + h.oldLines >= r[0]) ??
          (lines
            ? undefined
            : (
                [
                  ['enum pageflags', undefined],
                  ['enum pagetype', undefined],
                ] as [LayoutTrigger, undefined][]
              ).find(([w]) => h.section.startsWith(w)));
        const textHit = changed.some((l) => /^\s*enum (?:pageflags|pagetype) \{/.test(l.text))
          ? changed.some((l) => /pagetype/.test(l.text))
            ? 'enum pagetype'
            : 'enum pageflags'
          : undefined;
        if (enumHit || textHit)
          out.push({ patch: pi, file: path, hunk: h.index, what: enumHit?.[0] ?? (textHit as LayoutTrigger) });
        else if (changed.some((l) => TYPE_MACRO.test(l.text)))
          out.push({ patch: pi, file: path, hunk: h.index, what: 'page-type macros' });
      }
    }
  });
  return out;
}

/** Resolves alias chains (PG_anon_exclusive = PG_mappedtodisk = PG_owner_2) to base members. */
function baseOf(e: ParsedEnum, name: string): string | undefined {
  let n = name;
  for (let k = 0; k < 8; k++) {
    if (e.members.includes(n)) return n;
    const next = e.aliases.get(n);
    if (!next) return undefined;
    n = next;
  }
  return undefined;
}

/** Names of every bit: base member first, then the aliases that resolve to it. */
export function bitNames(e: ParsedEnum): string[][] {
  const out = e.members.map((m) => [m]);
  for (const a of e.aliases.keys()) {
    const b = baseOf(e, a);
    if (b !== undefined) out[e.members.indexOf(b)].push(a);
  }
  return out;
}

function compareFlags(before: ParsedEnum, after: ParsedEnum): NonNullable<LayoutDelta['pageflags']> {
  const b = bitNames(before),
    a = bitNames(after);
  const bits: BitChange[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = b[i] ?? [],
      y = a[i] ?? [];
    if (x.join() === y.join()) continue;
    const added = y.filter((n) => !x.includes(n)),
      removed = x.filter((n) => !y.includes(n));
    const what = !x.length
      ? `new bit ${y[0]}`
      : !y.length
        ? `${x[0]} removed`
        : x[0] !== y[0]
          ? `now ${y[0]} (was ${x[0]})`
          : [
              added.length ? `alias ${added.join(', ')} added` : '',
              removed.length ? `alias ${removed.join(', ')} removed` : '',
            ]
              .filter(Boolean)
              .join('; ');
    bits.push({ bit: i, before: x, after: y, what });
  }
  const moved = before.members
    .filter((m) => after.members.includes(m) && after.members.indexOf(m) !== before.members.indexOf(m))
    .map((name) => ({ name, from: before.members.indexOf(name), to: after.members.indexOf(name) }));
  return { before, after, bits, moved };
}

const typeOpsOf = (text: string) =>
  new Set([...text.matchAll(/^(?:PAGE_TYPE_OPS\((\w+),\s*(\w+)|FOLIO_TYPE_OPS\((\w+))/gm)].map((m) => m[2] ?? m[3]));

/**
 * Applies the series' layout files to the tree (in memory) and derives the delta. `config` is the
 * tree's CONFIG_* set (its .config), which resolves the #ifdefs inside the enums.
 */
export function deriveLayoutDelta(
  series: PatchSeries,
  read: (path: string) => Buffer | undefined,
  config: Set<string>,
): LayoutDelta {
  const original = read(PAGE_FLAGS_H)?.toString('utf8');
  const triggers = layoutTriggers(series, original);
  const empty = { triggers, changedMask: 0n, apply: [] as HunkResult[] };
  if (!triggers.length) return empty;
  if (original === undefined) return { ...empty, unavailable: `the tree has no ${PAGE_FLAGS_H}` };
  const applied: AppliedSeries = applySeries(series, read, (p) => p === PAGE_FLAGS_H || p === PAGE_FLAGS_LAYOUT_H);
  const failed = applied.results.filter((r) => r.status === 'failed' || r.status === 'no-file');
  if (failed.length)
    return {
      ...empty,
      apply: applied.results,
      unavailable: `the series does not apply to this tree's layout headers (${failed.map((f) => `${f.file} hunk ${f.hunk}: ${f.reason}`).join('; ')}): no layout is derived from a guess`,
    };
  const patched = applied.files.get(PAGE_FLAGS_H) ?? original;
  const delta: LayoutDelta = { ...empty, apply: applied.results };
  try {
    const before = parseEnumText(original, 'pageflags', config, PAGE_FLAGS_H);
    const after = parseEnumText(patched, 'pageflags', config, `${PAGE_FLAGS_H} (patched)`);
    delta.pageflags = compareFlags(before, after);
    let mask = 0n;
    for (const c of delta.pageflags.bits) mask |= 1n << BigInt(c.bit);
    delta.changedMask = mask;
    if (/^enum pagetype \{/m.test(original) || /^enum pagetype \{/m.test(patched)) {
      const vals = (t: string) =>
        /^enum pagetype \{/m.test(t) ? parseEnumText(t, 'pagetype', config).values : new Map<string, number>();
      const vb = vals(original),
        va = vals(patched);
      delta.pagetype = [...new Set([...vb.keys(), ...va.keys()])]
        .filter((n) => vb.get(n) !== va.get(n))
        .map((name) => ({ name, before: vb.get(name), after: va.get(name) }));
    }
  } catch (e) {
    return {
      ...empty,
      apply: applied.results,
      unavailable: `the patched header cannot be parsed: ${(e as Error).message}`,
    };
  }
  const ob = typeOpsOf(original),
    oa = typeOpsOf(patched);
  delta.typeOps = { added: [...oa].filter((x) => !ob.has(x)), removed: [...ob].filter((x) => !oa.has(x)) };
  if (triggers.some((t) => t.what === 'page-flags-layout.h'))
    delta.flagsLayoutLines = series.patches.flatMap((p) =>
      p.files
        .filter((f) => filePath(f) === PAGE_FLAGS_LAYOUT_H)
        .flatMap((f) =>
          f.hunks.flatMap((h) =>
            h.lines.filter((l) => l.kind !== ' ').map((l) => ({ kind: l.kind as '+' | '-', text: l.text })),
          ),
        ),
    );
  return delta;
}

/** Names of a flags word's low bits under a parsed enum (base and aliases, lowest bit first). */
export function namesUnder(word: bigint, names: string[][]): string[] {
  const out: string[] = [];
  for (let b = 0; b < names.length; b++) if ((word >> BigInt(b)) & 1n) out.push(...names[b]);
  return out;
}

/** How a flags word decodes before and after, when the series changes the names of any of its bits; else undefined. */
export function wordChange(word: bigint, delta: LayoutDelta): { before: string[]; after: string[] } | undefined {
  if (!delta.pageflags || !(word & delta.changedMask)) return undefined;
  const width = BigInt(Math.max(delta.pageflags.before.members.length, delta.pageflags.after.members.length));
  const low = word & ((1n << width) - 1n);
  const before = namesUnder(low, bitNames(delta.pageflags.before)),
    after = namesUnder(low, bitNames(delta.pageflags.after));
  return before.join() === after.join() ? undefined : { before, after };
}
