// Memory-offlining rule sets as data: what offline_pages() does with each kind of PageOffline page.
// The verdict engine (offlineVerdict.ts) follows the kernel's order of checks; a rule set only says,
// for the PageOffline family, which classes stop isolation (has_unmovable_pages(): "failure to
// isolate range"), which stop the migration scan (scan_movable_pages(): "unmovable page") and which
// make the verdict uncertain there. Mainline and the unmerged PG_offline_skippable series are the
// first two; a patch that changes offlining declares its own (see parseRuleSet and the README,
// "Patch review").

import type { PageClass } from '../kernel/pageClasses';

/** Classes a rule set may name: the PageOffline family (the rest of the verdict is the kernel's fixed order). */
export const RULE_CLASSES = ['offline-movable', 'offline-unmovable', 'offline-skippable', 'offline'] as const;
export type RuleClass = (typeof RULE_CLASSES)[number];

export interface OfflineRuleSet {
  /** Short id: "mainline", "skippable", or the patch's own ("my-series-v3"). */
  id: string;
  /** One line for people: what these rules are. */
  title: string;
  /** Classes that fail isolation (has_unmovable_pages()), with the explanation shown for the deciding page. */
  isolationFails: Partial<Record<RuleClass, string>>;
  /** Classes on which scan_movable_pages() gives up ("unmovable page"), with the explanation. */
  scanFails: Partial<Record<RuleClass, string>>;
  /** Classes that make the verdict uncertain at the scan (kind unknown), with why. */
  scanUncertain: Partial<Record<RuleClass, string>>;
  /** Sentence for a successful verdict of a block holding offline-skippable pages. */
  skippedNote: string;
  /**
   * The page flag that marks a PageOffline page skippable under these rules (PG_offline_skippable),
   * when skipping depends on a bit the owner sets: patch review then also judges a snapshot of an
   * unpatched kernel with the bits as they are (review/review.ts).
   */
  skippableFlag?: string;
}

export const MAINLINE_RULES: OfflineRuleSet = {
  id: 'mainline',
  title:
    'mainline offline_pages() (5.8 - 6.18): PageOffline pages pass isolation; scan_movable_pages() fails on one that keeps a reference',
  isolationFails: {},
  scanFails: {
    'offline-unmovable':
      'a PageOffline page that nobody can migrate or skip keeps its reference; scan_movable_pages() gives up (no dump_page)',
  },
  scanUncertain: {
    offline:
      'a PageOffline page of unknown kind: skippable or movable pages pass, unmovable ones fail with "unmovable page"',
  },
  skippedNote: 'virtio-mem fake-offline pages are skipped (the driver drops their reference in MEM_GOING_OFFLINE)',
};

export const SKIPPABLE_RULES: OfflineRuleSet = {
  id: 'skippable',
  title: 'PG_offline_skippable v2 (unmerged): isolation fails on every PageOffline page that is not skippable',
  isolationFails: {
    'offline-unmovable':
      'with PG_offline_skippable, a PageOffline page that is not skippable already fails isolation ("unmovable page" dump)',
    offline:
      'with PG_offline_skippable, a PageOffline page that is not skippable already fails isolation ("unmovable page" dump)',
  },
  scanFails: {},
  scanUncertain: {},
  skippedNote: 'skippable PageOffline pages are skipped',
  skippableFlag: 'PG_offline_skippable',
};

export const BUILTIN_RULE_SETS: readonly OfflineRuleSet[] = [MAINLINE_RULES, SKIPPABLE_RULES];

export class RuleSetError extends Error {
  override name = 'RuleSetError';
}

/**
 * A rule set from JSON (a patch's `Offline-Rules:` trailer, a `--rules` file): either the id of a
 * built-in set ("skippable") or an object with the fields of OfflineRuleSet. Unknown classes or
 * fields are errors that say which, never ignored.
 */
export function parseRuleSet(text: string, where = 'rule set'): OfflineRuleSet {
  const t = text.trim();
  const builtin = BUILTIN_RULE_SETS.find((r) => r.id === t || JSON.stringify(r.id) === t);
  if (builtin) return builtin;
  if (!t.startsWith('{'))
    throw new RuleSetError(
      `${where}: "${t.slice(0, 60)}" is neither a built-in rule set (${BUILTIN_RULE_SETS.map((r) => r.id).join(', ')}) nor a JSON object`,
    );
  let o: unknown;
  try {
    o = JSON.parse(t.slice(0, 64 * 1024));
  } catch (e) {
    throw new RuleSetError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new RuleSetError(`${where}: expected a JSON object`);
  const r = o as Record<string, unknown>;
  const known = ['id', 'title', 'base', 'isolationFails', 'scanFails', 'scanUncertain', 'skippedNote', 'skippableFlag'];
  for (const k of Object.keys(r))
    if (!known.includes(k))
      throw new RuleSetError(`${where}: unknown field "${k.slice(0, 40)}" (fields: ${known.join(', ')})`);
  if (typeof r.id !== 'string' || !/^[A-Za-z0-9][\w.-]{0,63}$/.test(r.id))
    throw new RuleSetError(`${where}: "id" must be a short name (letters, digits, . _ -)`);
  const base = r.base === undefined ? MAINLINE_RULES : BUILTIN_RULE_SETS.find((b) => b.id === r.base);
  if (!base) throw new RuleSetError(`${where}: "base" must be one of ${BUILTIN_RULE_SETS.map((b) => b.id).join(', ')}`);
  const classMap = (field: string): Partial<Record<RuleClass, string>> | undefined => {
    const v = r[field];
    if (v === undefined) return undefined;
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new RuleSetError(`${where}: "${field}" must map page classes to explanations`);
    const out: Partial<Record<RuleClass, string>> = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
      if (!(RULE_CLASSES as readonly string[]).includes(k))
        throw new RuleSetError(
          `${where}: "${field}" names "${k.slice(0, 40)}"; a rule set may name only ${RULE_CLASSES.join(', ')}`,
        );
      if (typeof e !== 'string') throw new RuleSetError(`${where}: "${field}.${k}" must be an explanation (a string)`);
      out[k as RuleClass] = e.slice(0, 300);
    }
    return out;
  };
  return {
    id: r.id,
    title: typeof r.title === 'string' ? r.title.slice(0, 200) : `rules of ${r.id}`,
    isolationFails: classMap('isolationFails') ?? base.isolationFails,
    scanFails: classMap('scanFails') ?? base.scanFails,
    scanUncertain: classMap('scanUncertain') ?? base.scanUncertain,
    skippedNote: typeof r.skippedNote === 'string' ? r.skippedNote.slice(0, 300) : base.skippedNote,
    skippableFlag:
      typeof r.skippableFlag === 'string' && /^PG_\w{1,60}$/.test(r.skippableFlag)
        ? r.skippableFlag
        : r.skippableFlag === undefined
          ? base.skippableFlag
          : (() => {
              throw new RuleSetError(`${where}: "skippableFlag" must be a PG_ flag name`);
            })(),
  };
}

/** True when two rule sets decide every block alike (same classes, same outcomes). */
export function sameRules(a: OfflineRuleSet, b: OfflineRuleSet): boolean {
  const keys = (m: Partial<Record<RuleClass, string>>) => Object.keys(m).sort().join();
  return (
    keys(a.isolationFails) === keys(b.isolationFails) &&
    keys(a.scanFails) === keys(b.scanFails) &&
    keys(a.scanUncertain) === keys(b.scanUncertain)
  );
}

export type { PageClass };
