// The camera over the map: which cell is at the canvas's top-left corner and how many device
// pixels one cell takes. All pan/zoom arithmetic lives here (pure, unit-testable).

import type { MapLayout } from './mapLayout';

export interface View {
  /** Cell coordinates (fractional) of the canvas's top-left pixel. */
  x: number;
  y: number;
  /** Device pixels per cell. */
  cellPx: number;
}

export const MAX_CELL_PX = 48;

/** The whole map, vertically centred, left-aligned right of a gutter (device pixels) kept for labels. */
export function fitView(l: MapLayout, widthPx: number, heightPx: number, gutterPx = 0): View {
  const gutter = widthPx - gutterPx >= widthPx / 2 ? gutterPx : 0;
  const w = widthPx - gutter;
  const cellPx = Math.min(MAX_CELL_PX, w / l.rowPfns, heightPx / Math.max(1, l.rows));
  return { x: -gutter / cellPx, y: -(heightPx / cellPx - l.rows) / 2, cellPx };
}

export function minCellPx(l: MapLayout, widthPx: number, heightPx: number): number {
  return Math.min(widthPx / l.rowPfns, heightPx / l.rows) / 2;
}

/** Zoom by factor keeping the cell under (px, py) in place. */
export function zoomAt(v: View, factor: number, px: number, py: number, min: number): View {
  const cellPx = Math.min(MAX_CELL_PX, Math.max(min, v.cellPx * factor));
  const cx = v.x + px / v.cellPx;
  const cy = v.y + py / v.cellPx;
  return { x: cx - px / cellPx, y: cy - py / cellPx, cellPx };
}

export function panBy(v: View, dxPx: number, dyPx: number): View {
  return { ...v, x: v.x - dxPx / v.cellPx, y: v.y - dyPx / v.cellPx };
}

/** Centre cell (cx, cy) in the canvas, optionally at a new zoom. */
export function centreOn(v: View, cx: number, cy: number, widthPx: number, heightPx: number, cellPx = v.cellPx): View {
  return { x: cx + 0.5 - widthPx / cellPx / 2, y: cy + 0.5 - heightPx / cellPx / 2, cellPx };
}

/** The view that shows rows [y0, y1) whole. */
export function showRows(l: MapLayout, y0: number, y1: number, widthPx: number, heightPx: number): View {
  const cellPx = Math.min(MAX_CELL_PX, widthPx / l.rowPfns, heightPx / Math.max(1, y1 - y0));
  return { x: -(widthPx / cellPx - l.rowPfns) / 2, y: y0 - (heightPx / cellPx - (y1 - y0)) / 2, cellPx };
}

/** Visible row range, clipped to the layout. */
export function visibleRows(l: MapLayout, v: View, heightPx: number): [number, number] {
  const y0 = Math.max(0, Math.floor(v.y));
  const y1 = Math.min(l.rows, Math.ceil(v.y + heightPx / v.cellPx));
  return [y0, Math.max(y0, y1)];
}

/**
 * Keeps the map on screen: no panning into emptiness past its edges. Along an axis where the map
 * (plus the label gutter on the left, in device pixels) is wider than the canvas, the camera stays
 * between the gutter and the far edge; where it is narrower, the whole map stays inside the canvas.
 */
export function clampView(l: MapLayout, v: View, widthPx: number, heightPx: number, gutterPx = 0): View {
  const clampAxis = (x: number, content: number, span: number, gutter: number) => {
    const lo = content + gutter > span ? -gutter : content - span;
    const hi = content + gutter > span ? content - span : -gutter;
    return Math.min(hi, Math.max(lo, x));
  };
  const g = gutterPx / v.cellPx;
  const spanX = widthPx / v.cellPx;
  return {
    x: clampAxis(v.x, l.rowPfns, spanX, Math.min(g, spanX / 2)),
    y: clampAxis(v.y, l.rows, heightPx / v.cellPx, 0),
    cellPx: v.cellPx,
  };
}
