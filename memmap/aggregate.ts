// Per-section and per-block class counts from the per-PFN class bytes.

import { newCounts } from './snapshot';

/** Counts of classes[i] for PFNs [startPfn, startPfn + nrPfns) given classes starting at classesStartPfn. */
export function rangeCounts(
  classes: Uint8Array,
  classesStartPfn: number,
  startPfn: number,
  nrPfns: number,
): Uint32Array {
  const counts = newCounts();
  const from = Math.max(0, startPfn - classesStartPfn);
  const to = Math.min(classes.length, startPfn + nrPfns - classesStartPfn);
  if (to <= from) return counts;
  // Runs of one class are common (free blocks, holes): four aligned bytes of the same class count at once.
  let i = from;
  for (; i < to && ((classes.byteOffset + i) & 3) !== 0; i++) counts[classes[i]]++;
  const w = new Uint32Array(classes.buffer, classes.byteOffset + i, (to - i) >>> 2);
  for (let k = 0; k < w.length; k++) {
    const x = w[k],
      c = x & 0xff;
    if (x === Math.imul(c, 0x01010101) >>> 0) counts[c] += 4;
    else {
      counts[c]++;
      counts[(x >>> 8) & 0xff]++;
      counts[(x >>> 16) & 0xff]++;
      counts[x >>> 24]++;
    }
  }
  for (i += w.length * 4; i < to; i++) counts[classes[i]]++;
  return counts;
}

export function sumCounts(list: Uint32Array[]): Uint32Array {
  const out = newCounts();
  for (const c of list) for (let i = 0; i < c.length; i++) out[i] += c[i];
  return out;
}

/** Counts of a block made of whole sections (x86_64 blocks are 1 to 16 sections). */
export function blockCounts(
  sections: { startPfn: number; counts: Uint32Array }[],
  startPfn: number,
  nrPfns: number,
): Uint32Array {
  return sumCounts(
    sections.filter((s) => s.startPfn >= startPfn && s.startPfn < startPfn + nrPfns).map((s) => s.counts),
  );
}
