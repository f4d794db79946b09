// Canvas2D fallback for machines without WebGL2: the same picture as glRenderer.ts, computed on the
// CPU for the visible pixels only (never the whole machine).

import type { MapLayout } from './mapLayout';
import type { Decorations, MapRenderer } from './mapRenderer';
import type { View } from './viewport';

export class CanvasRenderer implements MapRenderer {
  readonly kind = 'canvas2d';
  private palette = new Uint32Array(256);
  private image: ImageData | undefined;

  constructor(
    private readonly ctx: CanvasRenderingContext2D,
    private readonly layout: MapLayout,
    private readonly cells: Uint8Array,
  ) {}

  setPalette(rgba: Uint8Array): void {
    // ImageData is RGBA in memory; on little-endian machines that is ABGR as a Uint32.
    this.palette = new Uint32Array(rgba.slice(0, 1024).buffer);
  }

  update(): void {}

  draw(v: View, d: Decorations): void {
    const { width, height } = this.ctx.canvas;
    if (!this.image || this.image.width !== width || this.image.height !== height) this.image = this.ctx.createImageData(width, height);
    const px = new Uint32Array(this.image.data.buffer);
    const l = this.layout;
    const pal = this.palette;
    const bg = pal[254];
    const rgb = (c: [number, number, number]) => (0xff000000 | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0;
    const secLine = rgb(d.sectionLine);
    const blkLine = rgb(d.blockLine);
    const rowsPerSection = l.pfnsPerSection / l.rowPfns;
    const rowsPerBlock = l.pfnsPerBlock / l.rowPfns;
    const showSec = rowsPerSection * v.cellPx >= 6;
    const showBlk = rowsPerBlock > 0 && rowsPerBlock * v.cellPx >= 4;
    for (let y = 0; y < height; y++) {
      const cy = v.y + y / v.cellPx;
      const row = Math.floor(cy);
      const o = y * width;
      if (row < 0 || row >= l.rows) {
        px.fill(bg, o, o + width);
        continue;
      }
      let line = 0;
      if (showBlk) {
        const r = ((cy % rowsPerBlock) + rowsPerBlock) % rowsPerBlock;
        if (Math.min(r, rowsPerBlock - r) * v.cellPx < 1.25) line = blkLine;
      }
      if (!line && showSec) {
        const r = ((cy % rowsPerSection) + rowsPerSection) % rowsPerSection;
        if (Math.min(r, rowsPerSection - r) * v.cellPx < 0.75) line = secLine;
      }
      const base = row * l.rowPfns;
      for (let x = 0; x < width; x++) {
        const col = Math.floor(v.x + x / v.cellPx);
        px[o + x] = col < 0 || col >= l.rowPfns ? bg : line || pal[this.cells[base + col]];
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
    if (d.selected) {
      const s = Math.max(v.cellPx, 6);
      const cx = (d.selected.x + 0.5 - v.x) * v.cellPx;
      const cy = (d.selected.y + 0.5 - v.y) * v.cellPx;
      this.ctx.strokeStyle = `rgb(${d.cursor.join(',')})`;
      this.ctx.lineWidth = 2;
      this.ctx.strokeRect(cx - s / 2 - 1, cy - s / 2 - 1, s + 2, s + 2);
    }
  }

  dispose(): void {}
}
