// Where each PFN sits on the map: rows of `rowPfns` cells, starting at the section boundary below
// the first PFN, so sections and memory blocks always start at the beginning of a row. Runs of
// absent sections can be collapsed into a thin separator band (`segments`): the map then shows
// only memory that exists, and every PFN ↔ cell conversion goes through the segment table.

import type { PfnRange } from './absentRuns';

export interface MapSegment {
  /** PFN range [pfn, pfnEnd) this segment stands for. */
  pfn: number;
  pfnEnd: number;
  /** First display row and number of rows. */
  row: number;
  rows: number;
  /** A collapsed absent run: its rows are a separator, not one cell per page. */
  absent: boolean;
}

export interface MapLayout {
  /** PFN of cell (0, 0). */
  originPfn: number;
  rowPfns: number;
  rows: number;
  /** Cells in the layout (rows × rowPfns). */
  cells: number;
  pfnsPerSection: number;
  pfnsPerBlock: number;
  /** Display rows in order; one memory segment when nothing is collapsed. */
  segments: MapSegment[];
}

const pow2 = (n: number) => 2 ** Math.round(Math.log2(Math.max(1, n)));

/**
 * Row width: a power of two that gives the shown memory about the shape (width / height) of the
 * map area, at most 8192 (the smallest MAX_TEXTURE_SIZE we meet). `collapse`: absent runs to show
 * as separators (each a quarter of a section's height, at least one row).
 */
export function chooseLayout(
  startPfn: number,
  endPfn: number,
  pfnsPerSection: number,
  pfnsPerBlock: number,
  aspect = 2,
  collapse: PfnRange[] = [],
): MapLayout {
  const pps = Math.max(1, pfnsPerSection);
  const originPfn = Math.floor(startPfn / pps) * pps;
  const end = Math.max(originPfn + 1, endPfn);
  const hidden = collapse.reduce((n, r) => n + (r[1] - r[0]), 0);
  const span = Math.max(1, end - originPfn - hidden);
  let rowPfns = Math.min(8192, Math.max(256, pow2(Math.sqrt(span * Math.max(0.25, Math.min(8, aspect))))));
  // Keep sections whole rows when they are powers of two (they are on every architecture we read).
  if (rowPfns > pps && (pps & (pps - 1)) === 0) rowPfns = pps;
  const separatorRows = Math.max(1, Math.round(pps / rowPfns / 4));

  const segments: MapSegment[] = [];
  let row = 0;
  let pfn = originPfn;
  const addMemory = (to: number) => {
    if (to <= pfn) return;
    const rows = Math.ceil((to - pfn) / rowPfns);
    segments.push({ pfn, pfnEnd: to, row, rows, absent: false });
    row += rows;
    pfn = to;
  };
  for (const [a, b] of collapse) {
    // Collapsed runs are section-aligned; the first one may start at startPfn inside a section.
    const a0 = Math.max(pfn, a === startPfn ? Math.min(a, originPfn) : a);
    if (b <= a0) continue;
    addMemory(a0);
    segments.push({ pfn: a0, pfnEnd: b, row, rows: separatorRows, absent: true });
    row += separatorRows;
    pfn = b;
  }
  addMemory(end);
  return { originPfn, rowPfns, rows: row, cells: row * rowPfns, pfnsPerSection: pps, pfnsPerBlock, segments };
}

function segmentOfPfn(l: MapLayout, pfn: number): MapSegment | undefined {
  const s = l.segments;
  let lo = 0;
  let hi = s.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (pfn < s[mid].pfn) hi = mid - 1;
    else if (pfn >= s[mid].pfnEnd) lo = mid + 1;
    else return s[mid];
  }
  return undefined;
}

/** The segment that display row y belongs to. */
export function segmentOfRow(l: MapLayout, y: number): MapSegment | undefined {
  const s = l.segments;
  let lo = 0;
  let hi = s.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (y < s[mid].row) hi = mid - 1;
    else if (y >= s[mid].row + s[mid].rows) lo = mid + 1;
    else return s[mid];
  }
  return undefined;
}

/** Cell of a PFN; PFNs of a collapsed run map to the start of its separator. */
export function pfnToCell(l: MapLayout, pfn: number): { x: number; y: number } {
  const s = segmentOfPfn(l, pfn) ?? (pfn < l.originPfn ? l.segments[0] : l.segments[l.segments.length - 1]);
  if (!s) return { x: 0, y: 0 };
  if (s.absent) return { x: 0, y: s.row };
  const i = pfn - s.pfn;
  return { x: i % l.rowPfns, y: s.row + Math.floor(i / l.rowPfns) };
}

/** PFN of a cell, or undefined outside the map or on a separator. */
export function cellToPfn(l: MapLayout, x: number, y: number): number | undefined {
  if (x < 0 || y < 0 || x >= l.rowPfns || y >= l.rows) return undefined;
  const s = segmentOfRow(l, Math.floor(y));
  if (!s || s.absent) return undefined;
  const pfn = s.pfn + (Math.floor(y) - s.row) * l.rowPfns + Math.floor(x);
  return pfn < s.pfnEnd ? pfn : undefined;
}

/** First PFN shown on display row y (memory rows only). */
export function rowStartPfn(l: MapLayout, y: number): number | undefined {
  const s = segmentOfRow(l, y);
  return s && !s.absent ? s.pfn + (y - s.row) * l.rowPfns : undefined;
}

/** Display rows [y0, y1) that show PFNs [from, to) (separators included when they intersect). */
export function rowsOfPfns(l: MapLayout, from: number, to: number): [number, number] {
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const s of l.segments) {
    const a = Math.max(from, s.pfn);
    const b = Math.min(to, s.pfnEnd);
    if (b <= a) continue;
    const r0 = s.absent ? s.row : s.row + Math.floor((a - s.pfn) / l.rowPfns);
    const r1 = s.absent ? s.row + s.rows : s.row + Math.ceil((b - s.pfn) / l.rowPfns);
    y0 = Math.min(y0, r0);
    y1 = Math.max(y1, r1);
  }
  return y0 <= y1 ? [y0, y1] : [0, 0];
}
