// The class bytes of one display row of the map, read straight from the PFN-ordered class store
// (no second copy of the machine): memory rows are views into the store, separator rows and rows
// past the end are shared constant rows.

import type { MapLayout } from './mapLayout';
import { CELL_OUTSIDE, CELL_SEPARATOR } from './palette';

export class MapRows {
  private readonly separator: Uint8Array;
  private readonly outside: Uint8Array;

  constructor(
    readonly layout: MapLayout,
    /** Class bytes by PFN, index 0 = layout.originPfn, padded past the end with CELL_OUTSIDE. */
    private readonly cells: Uint8Array,
  ) {
    this.separator = new Uint8Array(layout.rowPfns).fill(CELL_SEPARATOR);
    this.outside = new Uint8Array(layout.rowPfns).fill(CELL_OUTSIDE);
    // Map each display row to its first store index (-1 separator, -2 outside): O(1) per row.
    this.rowStart = new Int32Array(layout.rows).fill(-2);
    for (const s of layout.segments)
      for (let r = 0; r < s.rows; r++)
        this.rowStart[s.row + r] = s.absent ? -1 : s.pfn - layout.originPfn + r * layout.rowPfns;
  }
  private readonly rowStart: Int32Array;

  /** rowPfns bytes of display row y. */
  row(y: number): Uint8Array {
    const i = y >= 0 && y < this.rowStart.length ? this.rowStart[y] : -2;
    if (i === -1) return this.separator;
    if (i < 0 || i + this.layout.rowPfns > this.cells.length) return this.outside;
    return this.cells.subarray(i, i + this.layout.rowPfns);
  }

  /** End of the run of display rows from y0 (before limit) whose bytes are contiguous in the store. */
  runEnd(y0: number, limit: number): number {
    const a = this.rowStart[y0];
    const w = this.layout.rowPfns;
    if (a < 0) return y0 + 1;
    let y = y0 + 1;
    while (y < limit && this.rowStart[y] === a + (y - y0) * w && a + (y - y0 + 1) * w <= this.cells.length) y++;
    return y;
  }

  /** Bytes of display rows [y0, runEnd(y0, …)) in one view (a single row when y0 is not memory). */
  run(y0: number, y1: number): Uint8Array {
    const a = this.rowStart[y0];
    if (a < 0 || a + this.layout.rowPfns > this.cells.length) return this.row(y0);
    return this.cells.subarray(a, a + (y1 - y0) * this.layout.rowPfns);
  }
}
