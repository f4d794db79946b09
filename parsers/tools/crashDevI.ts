// crash `dev -i`: the ioport and iomem resource trees ("RESOURCE  RANGE  NAME"); the second table
// is iomem. Used for virtio-mem device memory ("System RAM (virtio_mem)"), which tells
// virtio-mem's fake-offline pages from other PageOffline pages (docs/kernel/offline-pages.md).

import type { IomemRange } from '../iomemRanges';

/** The virtio-mem ranges of a `dev -i` table (parsers/iomemRanges.ts). */
export { virtioMemPfnRanges } from '../iomemRanges';

export function parseDevI(lines: string[]): IomemRange[] {
  const out: IomemRange[] = [];
  let table = 0;
  for (const l of lines) {
    if (/^\s*RESOURCE\s+RANGE\s+NAME/.test(l)) {
      table++;
      continue;
    }
    if (table < 2) continue;
    const m = /^\s*[0-9a-f]+\s+([0-9a-f]+)-([0-9a-f]+)\s+(.*?)\s*$/.exec(l);
    if (m) out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), name: m[3] });
  }
  return out;
}
