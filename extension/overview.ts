// Turns the worker's summary into the webview's Overview: the first message of a session.

import { pageShiftOf } from '../shared/geometry';
import { CLASS_DESCRIPTION, PAGE_CLASSES, CLASS_ID, isPageClass } from '../kernel/pageClasses';
import type { BlockInfo, ClassCounts, Overview, SectionInfo, VerdictInfo, ViewSettings } from '../shared/protocol';
import { PROTOCOL_VERSION } from '../shared/protocol';
import type { SnapshotSummary } from './workerMessages';

type CountsObject = Partial<Record<string, number>>;

export function sparseCounts(obj: CountsObject): ClassCounts {
  const out: ClassCounts = [];
  for (const [name, n] of Object.entries(obj)) if (n && isPageClass(name)) out.push([CLASS_ID[name], n]);
  return out.sort((a, b) => a[0] - b[0]);
}

type VerdictJson = NonNullable<SnapshotSummary['blocks'][number]['offline']>['mainline'];

function verdictInfo(v: VerdictJson): VerdictInfo {
  return {
    ok: v.ok,
    reason: v.reason,
    errno: v.errno,
    blockingPfn: v.blockingPfn,
    blockingClass: v.blockingClass,
    explanation: v.explanation,
  };
}

export function buildOverview(summary: SnapshotSummary, title: string, settings: ViewSettings): Overview {
  const sections: SectionInfo[] = summary.sections.map((s) => {
    const counts = sparseCounts(s.classes);
    const info: SectionInfo = {
      nr: s.nr,
      startPfn: s.startPfn,
      nrPfns: s.nrPfns,
      state: s.state,
      flags: s.flags,
      zone: s.zone,
      node: s.node,
      counts,
    };
    if (counts.length === 1 && counts[0][1] === s.nrPfns) info.uniformClass = counts[0][0];
    return info;
  });
  const blocks: BlockInfo[] = summary.blocks.map((b) => ({
    id: b.id,
    startPfn: b.startPfn,
    nrPfns: b.nrPfns,
    state: b.state,
    zones: b.zones,
    node: b.node,
    removable: b.removable,
    counts: sparseCounts(b.classes),
    mainline: b.offline ? verdictInfo(b.offline.mainline) : undefined,
    skippable: b.offline ? verdictInfo(b.offline.offlineSkippablePatch) : undefined,
  }));
  return {
    protocolVersion: PROTOCOL_VERSION,
    title,
    format: summary.input.format,
    files: summary.input.files,
    notes: summary.input.notes,
    kernel: { ...summary.kernel, pageShift: pageShiftOf(summary.kernel.pageSize) },
    startPfn: summary.pfns.start,
    endPfn: summary.pfns.end,
    pfnsPerSection: summary.pfnsPerSection,
    pfnsPerBlock: summary.pfnsPerBlock,
    classNames: [...PAGE_CLASSES],
    classDescriptions: PAGE_CLASSES.map((c) => CLASS_DESCRIPTION[c]),
    counts: sparseCounts(summary.classes),
    sections,
    blocks,
    warnings: summary.warnings,
    settings,
  };
}
