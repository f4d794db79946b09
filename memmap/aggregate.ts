// Per-section and per-block class counts from the per-PFN class bytes.

import { newCounts } from './snapshot';

/** Counts of classes[i] for PFNs [startPfn, startPfn + nrPfns) given classes starting at classesStartPfn. */
export function rangeCounts(classes: Uint8Array, classesStartPfn: number, startPfn: number, nrPfns: number): Uint32Array {
  const counts = newCounts();
  const from = Math.max(0, startPfn - classesStartPfn);
  const to = Math.min(classes.length, startPfn + nrPfns - classesStartPfn);
  for (let i = from; i < to; i++) counts[classes[i]]++;
  return counts;
}

export function totalCounts(classes: Uint8Array): Uint32Array {
  const counts = newCounts();
  for (let i = 0; i < classes.length; i++) counts[classes[i]]++;
  return counts;
}
