// Which offlining rule set a patch series stands for. A series declares it with a trailer in a
// commit message:
//
//     Offline-Rules: skippable
//     Offline-Rules: {"id": "my-series-v3", "isolationFails": {"offline-unmovable": "…"}, "scanFails": {}}
//
// (a built-in id, or one line of JSON with the fields of OfflineRuleSet, see memmap/offlineRules.ts).
// Without a trailer, a series that makes the offlining functions test PageOfflineSkippable() is
// recognised as the PG_offline_skippable rules, and said to be recognised, not declared; a series
// that changes offlining any other way gets no verdict delta, with the reason (never a guess).

import { parseRuleSet, SKIPPABLE_RULES, type OfflineRuleSet } from '../memmap/offlineRules';
import { filePath, type PatchSeries } from './patchSeries';

export const OFFLINING_FUNCTIONS = [
  'scan_movable_pages',
  'has_unmovable_pages',
  '__test_page_isolated_in_pageblock',
  'offline_pages',
  'do_migrate_range',
  'test_pages_isolated',
  'set_migratetype_isolate',
];

export interface PatchRules {
  /** The rule set, when declared or recognised. */
  rules?: OfflineRuleSet;
  how: 'declared' | 'recognised' | 'given' | 'none';
  /** In words: where the rule set came from, or why there is none. */
  note: string;
  /** Hunks that change offlining ("mm/page_isolation.c hunk 1 (has_unmovable_pages)"). */
  offliningHunks: string[];
}

/** Hunks that change one of the offlining functions (by git's @@ function name or a changed line naming it). */
export function offliningHunks(series: PatchSeries): string[] {
  const out: string[] = [];
  series.patches.forEach((p, pi) => {
    for (const f of p.files)
      for (const h of f.hunks) {
        const changed = h.lines.filter((l) => l.kind !== ' ');
        if (!changed.length) continue;
        const fn = OFFLINING_FUNCTIONS.find(
          (n) =>
            new RegExp(`\\b${n}\\s*\\(`).test(h.section) || changed.some((l) => new RegExp(`\\b${n}\\b`).test(l.text)),
        );
        if (fn)
          out.push(`${series.patches.length > 1 ? `patch ${pi + 1} ` : ''}${filePath(f)} hunk ${h.index} (${fn})`);
      }
  });
  return out;
}

export function patchRules(series: PatchSeries, given?: OfflineRuleSet): PatchRules {
  const hunks = offliningHunks(series);
  if (given)
    return {
      rules: given,
      how: 'given',
      note: `rule set "${given.id}" given on the command line`,
      offliningHunks: hunks,
    };
  for (const p of series.patches) {
    const m = /^Offline-Rules:[ \t]*(.+)$/im.exec(p.message);
    if (m)
      return {
        rules: parseRuleSet(m[1], `the Offline-Rules: trailer of "${p.subject.slice(0, 80)}"`),
        how: 'declared',
        note: 'declared by the series (Offline-Rules: trailer)',
        offliningHunks: hunks,
      };
  }
  if (!hunks.length)
    return {
      how: 'none',
      note: 'the series does not change the offlining functions: no verdict delta',
      offliningHunks: hunks,
    };
  const testsSkippable = series.patches.some((p) =>
    p.files.some(
      (f) =>
        /^mm\/(?:memory_hotplug|page_isolation)\.c$/.test(filePath(f)) &&
        f.hunks.some((h) => h.lines.some((l) => l.kind === '+' && /\bPageOfflineSkippable\s*\(/.test(l.text))),
    ),
  );
  if (testsSkippable)
    return {
      rules: SKIPPABLE_RULES,
      how: 'recognised',
      note: 'recognised as the PG_offline_skippable rules: its offlining hunks test PageOfflineSkippable() (declare `Offline-Rules:` to say so explicitly)',
      offliningHunks: hunks,
    };
  return {
    how: 'none',
    note: `the series changes offlining (${hunks.join(', ')}) but declares no rule set: add an \`Offline-Rules:\` trailer (see the README) for a verdict delta`,
    offliningHunks: hunks,
  };
}
