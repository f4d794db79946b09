// Patch review: what a patch series does to page state. Symbols per hunk, the layout delta against
// the matching Linux tree (applied in memory), the verdict delta on snapshots under the series'
// offlining rule set, and flags words (in snapshots and logs) that decode differently. Used by
// `kmemmap review` and the Patch Review view; no vscode import.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, normalize, sep } from 'node:path';
import { parseConfigText } from '../kernel/headerEnum';
import { familyFromRelease } from '../kernel/pageflags';
import { detectKernelInText } from '../kernel/knowledge/detectKernel';
import { isLinuxTree, treeVersion } from '../kernel/sourceIndex/detectTree';
import { CLASS_ID } from '../kernel/pageClasses';
import type { OfflineRuleSet } from '../memmap/offlineRules';
import type { OfflineVerdict, Snapshot } from '../memmap/snapshot';
import { applySeries, type AppliedSeries } from './applyPatch';
import { patchRules, type PatchRules } from './declaredRules';
import {
  bitNames,
  deriveLayoutDelta,
  layoutTriggers,
  PAGE_FLAGS_H,
  PAGE_FLAGS_LAYOUT_H,
  wordChange,
  type LayoutDelta,
} from './layoutDelta';
import { flagsWordsInText } from './logFlagsWords';
import { seriesSymbols, type HunkSymbols } from './patchSymbols';
import type { PatchSeries } from './patchSeries';

/** Largest tree file read for applying (page-flags.h is ~40 KiB; the biggest .c files ~1 MiB). */
const MAX_TREE_FILE = 16 * 2 ** 20;
/** Most struct pages whose flags word is read per snapshot (the PageOffline family and the deciding pages). */
export const MAX_WORDS_SCANNED = 65_536;
/** Most differing words listed per snapshot or log (the count is exact). */
export const MAX_WORDS_LISTED = 20;

export interface TreeChoice {
  path: string;
  version?: string;
  /** Why this tree (blob ids matched, hunks applied). */
  why: string;
}

/** Reads files of a tree for applying: relative paths inside it only (a patch names `a/../../x` at its peril), bounded. */
export function treeReader(tree: string): (path: string) => Buffer | undefined {
  return (p) => {
    const n = normalize(p);
    if (isAbsolute(n) || n === '..' || n.startsWith(`..${sep}`) || n.includes(`${sep}..${sep}`)) return undefined;
    const full = join(tree, n);
    try {
      const st = statSync(full);
      if (!st.isFile() || st.size > MAX_TREE_FILE) return undefined;
      return readFileSync(full);
    } catch {
      return undefined;
    }
  };
}

export interface BlockDelta {
  block: number;
  startPfn: number;
  before: OfflineVerdict;
  after: OfflineVerdict;
}

export interface WordDelta {
  /** PFN (snapshots) or 1-based line (logs). */
  where: number;
  word: string;
  before: string[];
  after: string[];
}

export interface SnapshotReview {
  file: string;
  release?: string;
  layoutFamily?: string;
  format?: string;
  error?: string;
  /** Blocks whose verdict differs between mainline and the series' rules. */
  blocks?: BlockDelta[];
  /** Online blocks with a verdict (how many were compared). */
  blocksCompared?: number;
  words?: {
    scanned: number;
    what: string;
    differing: number;
    listed: WordDelta[];
    flag?: { name: string; bit: number; pages: number; read: number; withBit: number };
  };
  /**
   * Blocks whose verdict differs when the series' skippable flag is read from this snapshot's own
   * bits (the running kernel did not set it): what the patched offlining code would do with the
   * memmap as it is, e.g. with the mm hunks but not the driver hunks.
   */
  bitsBlocks?: BlockDelta[];
  /** Why the verdict with the snapshot's own bits was not computed. */
  bitsNote?: string;
  /** Why flags words were not compared here. */
  wordsNote?: string;
}

export interface LogReview {
  name: string;
  /** The kernel the log names (crash sys, dmesg banner), when it does. */
  release?: string;
  wordsFound: number;
  differing: number;
  listed: WordDelta[];
  note?: string;
}

export interface ReviewResult {
  series: PatchSeries;
  symbols: HunkSymbols[];
  tree?: TreeChoice;
  /** Why no tree was used (none given, none matches). */
  treeNote?: string;
  /** Apply results of the whole series on the chosen tree. */
  applied?: AppliedSeries;
  layout: LayoutDelta;
  rules: PatchRules;
  snapshots: SnapshotReview[];
  logs: LogReview[];
}

export interface ReviewOptions {
  /** Candidate Linux trees (workspace folders, --tree): the one the series applies to is used. */
  trees?: string[];
  /** Snapshot paths, and a way to open them (memmap/open.ts's openSnapshot with the rule sets). */
  snapshots?: string[];
  openSnapshot?: (path: string, ruleSets: readonly OfflineRuleSet[]) => Promise<Snapshot>;
  logs?: { name: string; text: string }[];
  /** A rule set that overrides what the series declares. */
  rules?: OfflineRuleSet;
  onProgress?(what: string): void;
}

/** The tree the series applies to best: fewest failed hunks in the layout headers, then most matching blob ids, then fewest failures overall. */
export function chooseTree(
  series: PatchSeries,
  trees: string[],
): { tree?: TreeChoice; applied?: AppliedSeries; note?: string } {
  const tried: { path: string; version?: string; applied: AppliedSeries; layoutFailed: number; failed: number }[] = [];
  const notTrees: string[] = [];
  for (const t of [...new Set(trees)]) {
    if (!existsSync(t) || !isLinuxTree(t)) {
      notTrees.push(t);
      continue;
    }
    const applied = applySeries(series, treeReader(t));
    const bad = applied.results.filter((r) => r.status === 'failed' || r.status === 'no-file');
    tried.push({
      path: t,
      version: treeVersion(t),
      applied,
      failed: bad.length,
      layoutFailed: bad.filter((r) => r.file === PAGE_FLAGS_H || r.file === PAGE_FLAGS_LAYOUT_H).length,
    });
  }
  if (!tried.length)
    return {
      note: trees.length
        ? `no Linux tree among ${notTrees.map((t) => basename(t)).join(', ')} (a tree has a Makefile, include/linux/page-flags.h and mm/)`
        : 'no Linux tree given: open the tree the series is based on in the workspace (or pass --tree DIR)',
    };
  tried.sort(
    (a, b) =>
      a.layoutFailed - b.layoutFailed ||
      b.applied.blobMatches.length - a.applied.blobMatches.length ||
      a.failed - b.failed,
  );
  const best = tried[0];
  const files = new Set(best.applied.results.map((r) => r.file)).size;
  const why = [
    best.applied.blobMatches.length
      ? `${best.applied.blobMatches.length} of the series' pre-image blob ids match this tree`
      : 'no pre-image blob id matches this tree',
    best.failed
      ? `${best.failed} hunk${best.failed === 1 ? '' : 's'} do not apply`
      : `every hunk of its ${files} file${files === 1 ? '' : 's'} applies`,
    tried.length > 1
      ? `chosen over ${tried
          .slice(1)
          .map((t) => `${basename(t.path)} (${t.failed} failing)`)
          .join(', ')}`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
  return { tree: { path: best.path, version: best.version, why }, applied: best.applied };
}

function verdictsDiffer(a: OfflineVerdict, b: OfflineVerdict): boolean {
  return a.ok !== b.ok || a.reason !== b.reason || a.blockingPfn !== b.blockingPfn;
}

/** Read first to last: the skippable pages (the flag check needs them all), then the other PageOffline kinds. */
const SCANNED_CLASSES = ['offline-skippable', 'offline', 'offline-unmovable', 'offline-movable'] as const;

function scanSnapshotWords(
  s: Snapshot,
  layout: LayoutDelta,
  deciding: number[],
  flag?: { name: string; bit: number },
): SnapshotReview['words'] {
  const skippableId = CLASS_ID['offline-skippable'];
  const fl = flag ? { ...flag, pages: s.counts[skippableId] ?? 0, read: 0, withBit: 0 } : undefined;
  const pfns: number[] = [...new Set(deciding)];
  for (const c of SCANNED_CLASSES) {
    const id = CLASS_ID[c];
    if (!s.counts[id]) continue;
    for (let i = 0; i < s.classes.length && pfns.length < MAX_WORDS_SCANNED; i++)
      if (s.classes[i] === id) pfns.push(s.startPfn + i);
  }
  const listed: WordDelta[] = [];
  let differing = 0,
    scanned = 0;
  for (const pfn of pfns.slice(0, MAX_WORDS_SCANNED)) {
    const d = s.pageDetail?.(pfn);
    // page->flags is the first word of struct page (vmcore: word0; crash/drgn: flags)
    const raw = d?.raw.flags ?? d?.raw.word0;
    if (typeof raw !== 'string') continue;
    scanned++;
    const word = BigInt(raw);
    if (fl && s.classes[pfn - s.startPfn] === skippableId) {
      fl.read++;
      if ((word >> BigInt(fl.bit)) & 1n) fl.withBit++;
    }
    const c = wordChange(word, layout);
    if (!c) continue;
    differing++;
    if (listed.length < MAX_WORDS_LISTED) listed.push({ where: pfn, word: raw, ...c });
  }
  const total = pfns.length;
  return {
    scanned,
    differing,
    listed,
    flag: fl,
    what: `the flags words of the ${total === MAX_WORDS_SCANNED ? `first ${MAX_WORDS_SCANNED}` : total} PageOffline-family and deciding pages (other pages not read)`,
  };
}

/** The series' rules with its skippable flag read from the snapshot's bits: skippable-class pages without the bit fail isolation. */
function rulesWithSnapshotBits(
  rules: OfflineRuleSet,
  layout: LayoutDelta,
): { rules: OfflineRuleSet; bit: number } | undefined {
  const flag = rules.skippableFlag;
  if (!flag || !layout.pageflags) return undefined;
  const bit = bitNames(layout.pageflags.after).findIndex((names) => names.includes(flag));
  if (bit < 0) return undefined;
  return {
    bit,
    rules: {
      ...rules,
      id: `${rules.id}@snapshot-bits`,
      title: `${rules.title}, with ${flag} as the snapshot's kernel set it`,
      isolationFails: {
        ...rules.isolationFails,
        'offline-skippable': `${flag} (bit ${bit}) is clear on this page: the snapshot's kernel does not set it, and the patched has_unmovable_pages() refuses a PageOffline page without it`,
      },
    },
  };
}

async function reviewSnapshot(
  path: string,
  opts: ReviewOptions,
  rules: PatchRules,
  layout: LayoutDelta,
  treeFamily: string | undefined,
): Promise<SnapshotReview> {
  const r: SnapshotReview = { file: basename(path) };
  let s: Snapshot;
  const literal = rules.rules ? rulesWithSnapshotBits(rules.rules, layout) : undefined;
  try {
    s = await opts.openSnapshot!(path, rules.rules ? [rules.rules, ...(literal ? [literal.rules] : [])] : []);
  } catch (e) {
    r.error = (e as Error).message;
    return r;
  }
  try {
    readSnapshot(r, s, rules, layout, treeFamily, literal);
  } finally {
    s.close?.(); // the extension host reviews in-process: its descriptors would outlive the review
  }
  return r;
}

/** Fills r with what the opened snapshot says of the patch: verdicts that change, flags words. */
function readSnapshot(
  r: SnapshotReview,
  s: Snapshot,
  rules: PatchRules,
  layout: LayoutDelta,
  treeFamily: string | undefined,
  literal: ReturnType<typeof rulesWithSnapshotBits>,
): void {
  r.release = s.kernel.release;
  r.layoutFamily = s.kernel.layoutFamily;
  r.format = s.provenance.format;
  const deciding: number[] = [];
  if (rules.rules) {
    r.blocks = [];
    r.blocksCompared = 0;
    for (const b of s.blocks) {
      const v = b.verdict;
      const after = v?.byRuleSet?.[rules.rules.id];
      if (!v || !after || b.state !== 'online') continue;
      r.blocksCompared++;
      if (verdictsDiffer(v.mainline, after)) {
        r.blocks.push({ block: b.id, startPfn: b.startPfn, before: v.mainline, after });
        for (const x of [v.mainline.blockingPfn, after.blockingPfn]) if (x !== undefined) deciding.push(x);
      }
    }
  }
  if (!layout.pageflags || !layout.changedMask)
    r.wordsNote = layout.triggers.length ? 'no layout delta derived: flags words not compared' : undefined;
  else if (/kpageflags/.test(s.provenance.format))
    r.wordsNote =
      'a kpageflags capture holds KPF_* bits (a fixed ABI), not page->flags: a change of enum pageflags does not change how it reads';
  else if (!treeFamily || s.kernel.layoutFamily !== treeFamily)
    r.wordsNote = `the snapshot's kernel (${s.kernel.release ?? 'unknown'}, layout ${s.kernel.layoutFamily ?? 'unknown'}) is not the tree's (layout ${treeFamily ?? 'unknown'}): its flags words are not decoded with the patched tree's layout`;
  else
    r.words = scanSnapshotWords(
      s,
      layout,
      deciding,
      literal ? { name: rules.rules!.skippableFlag!, bit: literal.bit } : undefined,
    );
  if (literal) {
    const f = r.words?.flag;
    if (!f) r.bitsNote = r.wordsNote ?? 'the flags words were not read';
    else if (f.withBit)
      r.bitsNote = `${f.withBit} of the ${f.read} offline-skippable pages read already carry ${f.name}: a verdict by class cannot follow the bits page by page, so none is claimed`;
    else if (f.read < f.pages)
      r.bitsNote = `only ${f.read} of the ${f.pages} offline-skippable pages could be read: not claimed`;
    else {
      r.bitsBlocks = [];
      for (const b of s.blocks) {
        const v = b.verdict,
          after = v?.byRuleSet?.[literal.rules.id];
        if (v && after && b.state === 'online' && verdictsDiffer(v.mainline, after))
          r.bitsBlocks.push({ block: b.id, startPfn: b.startPfn, before: v.mainline, after });
      }
    }
  }
}

function reviewLog(
  log: { name: string; text: string },
  layout: LayoutDelta,
  treeFamily: string | undefined,
): LogReview {
  const k = detectKernelInText(log.text);
  const out: LogReview = { name: log.name, release: k?.release, wordsFound: 0, differing: 0, listed: [] };
  const fam = k ? familyFromRelease(k.release)?.id : undefined;
  if (k && fam !== treeFamily) {
    out.note = `the log names kernel ${k.release.slice(0, 60)} (layout ${fam ?? 'unknown'}), not the tree's (layout ${treeFamily ?? 'unknown'}): not decoded with the patched layout`;
    return out;
  }
  if (!k)
    out.note = `the log names no kernel: its words are decoded with the tree's layout (${treeFamily ?? 'unknown'})`;
  for (const w of flagsWordsInText(log.text)) {
    out.wordsFound++;
    const c = wordChange(w.word, layout);
    if (!c) continue;
    out.differing++;
    if (out.listed.length < MAX_WORDS_LISTED)
      out.listed.push({ where: w.line, word: '0x' + w.word.toString(16), ...c });
  }
  return out;
}

export async function reviewSeries(series: PatchSeries, opts: ReviewOptions = {}): Promise<ReviewResult> {
  opts.onProgress?.('symbols');
  const symbols = seriesSymbols(series);
  const rules = patchRules(series, opts.rules);
  opts.onProgress?.('trees');
  const choice = chooseTree(series, opts.trees ?? []);
  let layout: LayoutDelta;
  let treeFamily: string | undefined;
  if (choice.tree) {
    const tree = choice.tree.path;
    treeFamily = choice.tree.version ? familyFromRelease(choice.tree.version)?.id : undefined;
    const cfg = join(tree, '.config');
    layout = deriveLayoutDelta(
      series,
      treeReader(tree),
      existsSync(cfg) ? parseConfigText(readFileSync(cfg, 'utf8')) : new Set(),
    );
    if (layout.triggers.length && !existsSync(cfg) && !layout.unavailable)
      layout = {
        ...layout,
        pageflags: undefined,
        pagetype: undefined,
        changedMask: 0n,
        unavailable: `the tree has no .config: the #ifdef blocks of enum pageflags (CONFIG_64BIT, CONFIG_MEMORY_FAILURE, …) cannot be resolved; copy the kernel's config to ${join(basename(tree), '.config')}`,
      };
  } else {
    const triggers = layoutTriggers(series, undefined);
    layout = {
      triggers,
      changedMask: 0n,
      apply: [],
      unavailable: triggers.length
        ? `${choice.note}: the layout delta needs the tree the series applies to`
        : undefined,
    };
  }
  const snapshots: SnapshotReview[] = [];
  for (const p of opts.snapshots ?? []) {
    opts.onProgress?.(`snapshot ${basename(p)}`);
    snapshots.push(await reviewSnapshot(p, opts, rules, layout, treeFamily));
  }
  const logs =
    layout.pageflags && layout.changedMask ? (opts.logs ?? []).map((l) => reviewLog(l, layout, treeFamily)) : [];
  return {
    series,
    symbols,
    tree: choice.tree,
    treeNote: choice.note,
    applied: choice.applied,
    layout,
    rules,
    snapshots,
    logs,
  };
}
