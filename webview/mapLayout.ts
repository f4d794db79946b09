// Where each PFN sits on the map: rows of `rowPfns` cells, starting at the section boundary below
// the first PFN, so sections and memory blocks always start at the beginning of a row.

export interface MapLayout {
  /** PFN of cell (0, 0). */
  originPfn: number;
  rowPfns: number;
  rows: number;
  /** Cells in the layout (rows × rowPfns). */
  cells: number;
  pfnsPerSection: number;
  pfnsPerBlock: number;
}

const pow2 = (n: number) => 2 ** Math.round(Math.log2(Math.max(1, n)));

/**
 * Row width: a power of two that gives the whole machine about the shape (width / height) of the
 * map area, at most 8192 (the smallest MAX_TEXTURE_SIZE we meet).
 */
export function chooseLayout(startPfn: number, endPfn: number, pfnsPerSection: number, pfnsPerBlock: number, aspect = 2): MapLayout {
  const pps = Math.max(1, pfnsPerSection);
  const originPfn = Math.floor(startPfn / pps) * pps;
  const span = Math.max(1, endPfn - originPfn);
  let rowPfns = Math.min(8192, Math.max(256, pow2(Math.sqrt(span * Math.max(0.25, Math.min(8, aspect))))));
  // Keep sections whole rows when they are powers of two (they are on every architecture we read).
  if (rowPfns > pps && (pps & (pps - 1)) === 0) rowPfns = pps;
  const rows = Math.ceil(span / rowPfns);
  return { originPfn, rowPfns, rows, cells: rows * rowPfns, pfnsPerSection: pps, pfnsPerBlock };
}

export function pfnToCell(l: MapLayout, pfn: number): { x: number; y: number } {
  const i = pfn - l.originPfn;
  return { x: i % l.rowPfns, y: Math.floor(i / l.rowPfns) };
}

export function cellToPfn(l: MapLayout, x: number, y: number): number | undefined {
  if (x < 0 || y < 0 || x >= l.rowPfns || y >= l.rows) return undefined;
  return l.originPfn + Math.floor(y) * l.rowPfns + Math.floor(x);
}
