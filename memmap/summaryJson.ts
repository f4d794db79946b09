// The documented JSON shapes of `kmemmap summary|sections|blocks|export --json`.
// Keep in step with the README's "JSON output" section.

import { PAGE_CLASSES, PageClass } from '../kernel/pageClasses';
import type { MemoryBlock, OfflineVerdict, Section, Snapshot } from './snapshot';

/** Non-zero class counts as {class: count}, in vocabulary order. */
export function classCounts(counts: Uint32Array): Partial<Record<PageClass, number>> {
  const out: Partial<Record<PageClass, number>> = {};
  PAGE_CLASSES.forEach((name, id) => {
    if (counts[id]) out[name] = counts[id];
  });
  return out;
}

export function sectionJson(s: Section) {
  return {
    nr: s.nr,
    startPfn: s.startPfn,
    nrPfns: s.nrPfns,
    state: s.state,
    flags: s.flags,
    zone: s.zone,
    node: s.node,
    classes: classCounts(s.counts),
  };
}

function verdictJson(v: OfflineVerdict) {
  return {
    ok: v.ok ?? null,
    reason: v.reason,
    errno: v.errno,
    blockingPfn: v.blockingPfn,
    blockingClass: v.blockingClass,
    explanation: v.explanation,
  };
}

export function blockJson(b: MemoryBlock) {
  return {
    id: b.id,
    startPfn: b.startPfn,
    nrPfns: b.nrPfns,
    state: b.state,
    zones: b.zones,
    node: b.node,
    removable: b.removable,
    classes: classCounts(b.counts),
    offline: b.verdict
      ? { mainline: verdictJson(b.verdict.mainline), offlineSkippablePatch: verdictJson(b.verdict.skippable) }
      : undefined,
  };
}

export function summaryJson(s: Snapshot) {
  return {
    kernel: s.kernel,
    input: s.provenance,
    pfns: { start: s.startPfn, end: s.endPfn },
    pageSize: s.kernel.pageSize,
    pfnsPerSection: s.pfnsPerSection,
    pfnsPerBlock: s.pfnsPerBlock,
    classes: classCounts(s.counts),
    sections: s.sections.map(sectionJson),
    blocks: s.blocks.map(blockJson),
    warnings: s.warnings,
  };
}

/** Every PFN's class as runs [firstPfn, count, class], so two snapshots can be compared PFN by PFN. */
export function classRuns(s: Snapshot): [number, number, PageClass][] {
  const runs: [number, number, PageClass][] = [];
  const c = s.classes;
  let i = 0;
  while (i < c.length) {
    let j = i + 1;
    while (j < c.length && c[j] === c[i]) j++;
    runs.push([s.startPfn + i, j - i, PAGE_CLASSES[c[i]] ?? 'unknown']);
    i = j;
  }
  return runs;
}
