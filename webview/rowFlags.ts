// One byte per display row saying what starts at its top edge: a section, a memory block, or a
// separator for collapsed absent memory. Both renderers draw outlines from it, so lines appear only
// where a section or block really begins (never inside a hole).

import type { MapLayout } from './mapLayout';

export const ROW_SECTION = 1;
export const ROW_BLOCK = 2;
export const ROW_SEPARATOR = 4;

export function rowFlags(l: MapLayout, blockStarts: readonly { startPfn: number; nrPfns: number }[]): Uint8Array {
  const f = new Uint8Array(Math.max(1, l.rows));
  const blocks = new Set<number>();
  for (const b of blockStarts) {
    blocks.add(b.startPfn);
    blocks.add(b.startPfn + b.nrPfns);
  }
  for (const s of l.segments) {
    if (s.absent) {
      f.fill(ROW_SEPARATOR, s.row, s.row + s.rows);
      f[s.row] |= ROW_SECTION;
      if (s.row + s.rows < f.length) f[s.row + s.rows] |= ROW_SECTION;
      continue;
    }
    f[s.row] |= ROW_SECTION;
    for (let r = 0; r < s.rows; r++) {
      const pfn = s.pfn + r * l.rowPfns;
      if (pfn % l.pfnsPerSection === 0) f[s.row + r] |= ROW_SECTION;
      if (blocks.has(pfn)) f[s.row + r] |= ROW_BLOCK;
    }
    const endRow = s.row + s.rows;
    if (blocks.has(s.pfnEnd) && endRow < f.length && !(f[endRow] & ROW_SEPARATOR)) f[endRow] |= ROW_BLOCK;
  }
  return f;
}
