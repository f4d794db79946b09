// A max-priority pyramid over the map's class bytes: level L has one byte per 2^L × 2^L cells,
// the most important class among them (classPriority.ts). When a screen pixel covers many pages
// the renderers read the level whose cell is at least a pixel, so one rare page still shows.
// Level 0 is the map itself (MapRows); levels 1..maxLevel are kept here and updated per dirty rows.

import type { MapRows } from './mapRows';
import { CELL_OUTSIDE } from './palette';

export class PriorityPyramid {
  /** levels[L] for L ≥ 1 (levels[0] is empty: read MapRows). */
  readonly levels: Uint8Array[] = [new Uint8Array(0)];
  readonly widths: number[] = [];
  readonly heights: number[] = [];

  constructor(
    private readonly rows: MapRows,
    /** Level-0 rows, padded to a multiple of 2^maxLevel. */
    paddedRows: number,
    readonly maxLevel: number,
    private rank: Uint8Array,
  ) {
    const w = rows.layout.rowPfns;
    this.widths.push(w);
    this.heights.push(paddedRows);
    for (let L = 1; L <= maxLevel; L++) {
      this.widths.push(Math.max(1, w >> L));
      this.heights.push(Math.max(1, paddedRows >> L));
      this.levels.push(new Uint8Array(this.widths[L] * this.heights[L]).fill(CELL_OUTSIDE));
    }
    this.update(0, paddedRows);
  }

  setRanks(rank: Uint8Array): void {
    this.rank = rank;
    this.update(0, this.heights[0]);
  }

  /** Recomputes every level above level-0 rows [y0, y1). Returns the dirty row range per level. */
  update(y0: number, y1: number): [number, number][] {
    const dirty: [number, number][] = [[y0, y1]];
    const rank = this.rank;
    for (let L = 1; L <= this.maxLevel; L++) {
      const a = Math.floor(dirty[L - 1][0] / 2);
      const b = Math.min(this.heights[L], Math.ceil(dirty[L - 1][1] / 2));
      const w = this.widths[L];
      const out = this.levels[L];
      for (let y = a; y < b; y++)
        reduceRow(this.rowOf(L - 1, 2 * y), this.rowOf(L - 1, 2 * y + 1), out, y * w, w, rank);
      dirty.push([a, b]);
    }
    return dirty;
  }

  /** Row y of level L (level 0 through MapRows). */
  rowOf(L: number, y: number): Uint8Array {
    if (L === 0) return this.rows.row(y);
    const w = this.widths[L];
    return this.levels[L].subarray(y * w, (y + 1) * w);
  }
}

/** The pyramid level to read when one cell is cellPx device pixels: its cells are at least a pixel. */
export function levelFor(cellPx: number, maxLevel: number): number {
  if (cellPx >= 1) return 0;
  return Math.min(maxLevel, Math.ceil(Math.log2(1 / cellPx) - 1e-6));
}

/** One output row from two input rows: each output byte is the top-ranked of a 2×2 block. */
function reduceRow(top: Uint8Array, bottom: Uint8Array, out: Uint8Array, o: number, w: number, rank: Uint8Array): void {
  // Fast path over runs: 4 input columns (2 outputs) at a time when both rows hold one class there.
  const words = w % 2 === 0 && top.byteOffset % 4 === 0 && bottom.byteOffset % 4 === 0 && top.length % 4 === 0;
  const t32 = words ? new Uint32Array(top.buffer, top.byteOffset, top.length >> 2) : undefined;
  const b32 = words ? new Uint32Array(bottom.buffer, bottom.byteOffset, bottom.length >> 2) : undefined;
  for (let x = 0; x < w; x++) {
    if (t32 && (x & 1) === 0) {
      const v = t32[x >> 1];
      if (v === b32![x >> 1] && v === Math.imul(v & 0xff, 0x01010101) >>> 0) {
        out[o + x] = v & 0xff;
        out[o + x + 1] = v & 0xff;
        x++;
        continue;
      }
    }
    let best = top[2 * x];
    let c = top[2 * x + 1];
    if (rank[c] > rank[best]) best = c;
    c = bottom[2 * x];
    if (rank[c] > rank[best]) best = c;
    c = bottom[2 * x + 1];
    if (rank[c] > rank[best]) best = c;
    out[o + x] = best;
  }
}
