// A ComparedSnapshots made in the test process (no compare worker) from two Snapshots, e.g. synthetic
// ones, answering as extension/compareWorker.ts does: the diff, the per-section digest, both sides'
// class bytes, page details and the next change. For diff-panel tests on shapes the lab has no pair of.

import { diffSnapshots, outsideClass } from '../../memmap/snapshotDiff';
import type { Snapshot } from '../../memmap/snapshot';
import { summaryJson } from '../../memmap/summaryJson';
import { basicPageDetail } from '../../extension/basicPageDetail';
import { diffSections, sideBytes, type SideBytes } from '../../extension/diffSections';
import type { ComparedSnapshots } from '../../extension/compareWorkerClient';

export function inProcessCompare(a: Snapshot, b: Snapshot): ComparedSnapshots {
  const diff = diffSnapshots(a, b, ['a', 'b']);
  const side = (s: Snapshot): SideBytes => ({
    classes: s.classes,
    start: s.startPfn,
    end: s.endPfn,
    outside: outsideClass(s),
  });
  const va = side(a),
    vb = side(b);
  const { runs, ...rest } = diff;
  return {
    result: {
      summaryA: summaryJson(a),
      summaryB: summaryJson(b),
      diff: { ...rest, runCount: runs.length },
      outsideA: va.outside,
      outsideB: vb.outside,
      digest: diffSections(va, vb, diff.compared.start, diff.compared.end, a.pfnsPerSection),
      elapsedMs: 0,
    },
    pageDetail: async (which, pfn) => {
      const s = which === 'a' ? a : b;
      return pfn >= s.startPfn && pfn < s.endPfn ? (s.pageDetail?.(pfn) ?? basicPageDetail(s, pfn) ?? null) : null;
    },
    sectionData: async (startPfn, count) => ({
      startPfn,
      a: sideBytes(va, startPfn, startPfn + count),
      b: sideBytes(vb, startPfn, startPfn + count),
    }),
    nextChange: async (fromPfn, direction) => {
      const r =
        direction === 1
          ? runs.find((x) => x[0] + x[1] > fromPfn + 1)
          : [...runs].reverse().find((x) => x[0] <= fromPfn - 1);
      if (!r) return null;
      return direction === 1 ? Math.max(r[0], fromPfn + 1) : Math.min(r[0] + r[1] - 1, fromPfn - 1);
    },
    dispose: async () => undefined,
  };
}
