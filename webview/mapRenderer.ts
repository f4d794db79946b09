// What the map view needs from a renderer; WebGL2 (glRenderer.ts) or Canvas2D (canvasRenderer.ts).
// Both read the same sources: MapRows (level 0), the max-priority pyramid and the row flags.

import type { MapRows } from './mapRows';
import type { PriorityPyramid } from './priorityPyramid';
import type { View } from './viewport';

export type Rgb = [number, number, number];

export interface Decorations {
  sectionLine: Rgb;
  blockLine: Rgb;
  cursor: Rgb;
  /** Cell (x, y) of the selected page, outlined at any zoom. */
  selected?: { x: number; y: number };
  /** Class ids (at most 4) ringed by a halo when zoomed out, so a lone page of them is seen. */
  halo?: number[];
}

/** Everything a renderer draws from; rebuilt when the layout changes (e.g. absent memory folded). */
export interface MapSources {
  rows: MapRows;
  pyramid: PriorityPyramid;
  /** rowFlags.ts, one byte per display row. */
  flags: Uint8Array;
}

export interface MapRenderer {
  readonly kind: 'webgl2' | 'canvas2d';
  /** Texture uploads so far (calls of texSubImage*), for the benchmark: none may happen while panning. */
  readonly uploads: number;
  setPalette(rgba: Uint8Array): void;
  /** Display rows [y0, y1) changed at level 0; `levels[L]` are the dirty rows of pyramid level L. */
  update(levels: [number, number][]): void;
  /** scale < 1: draw at that fraction of the device resolution (while a gesture is in progress). */
  draw(view: View, deco: Decorations, scale?: number): void;
  /** Background work (e.g. texture uploads nobody needed yet) for at most budgetMs; false when none is left. */
  idle(budgetMs: number): boolean;
  /** Waits until the last draw is really on the canvas (GL work is asynchronous). */
  finish(): void;
  dispose(): void;
}

/** Rows of level 0 the pyramid covers: a multiple of 2^maxLevel and, above maxSize, of maxSize. */
export function paddedRows(rows: number, maxLevel: number, maxSize = 8192): number {
  const unit = 2 ** maxLevel;
  const r = Math.max(unit, Math.ceil(rows / unit) * unit);
  return r <= maxSize ? r : Math.ceil(r / maxSize) * maxSize;
}

/** Pyramid levels worth having: up to 256 pages per pixel side, never narrower than one cell. */
export function pyramidLevels(rowPfns: number): number {
  return Math.max(0, Math.min(8, Math.floor(Math.log2(rowPfns))));
}
