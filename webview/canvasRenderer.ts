// Canvas2D fallback for machines without WebGL2: the same picture as glRenderer.ts (same pyramid
// level choice, same row flags), computed on the CPU for the visible pixels only (never the whole
// machine). During a gesture it draws at a fraction of the resolution and scales the image up.

import type { Decorations, MapRenderer, MapSources } from './mapRenderer';
import { levelFor } from './priorityPyramid';
import { ROW_BLOCK, ROW_SECTION, ROW_SEPARATOR } from './rowFlags';
import type { View } from './viewport';

export class CanvasRenderer implements MapRenderer {
  readonly kind = 'canvas2d';
  readonly uploads = 0;
  private palette = new Uint32Array(256);
  private image: ImageData | undefined;
  private small: HTMLCanvasElement | undefined;

  constructor(
    private readonly ctx: CanvasRenderingContext2D,
    private readonly src: MapSources,
  ) {}

  setPalette(rgba: Uint8Array): void {
    // ImageData is RGBA in memory; on little-endian machines that is ABGR as a Uint32.
    this.palette = new Uint32Array(rgba.slice(0, 1024).buffer);
  }

  update(): void {}

  draw(v: View, d: Decorations, scale = 1): void {
    const W = this.ctx.canvas.width;
    const H = this.ctx.canvas.height;
    const width = scale < 1 ? Math.max(1, Math.ceil(W * scale)) : W;
    const height = scale < 1 ? Math.max(1, Math.ceil(H * scale)) : H;
    const s = width / W;
    const cellPx = v.cellPx * s;
    if (!this.image || this.image.width !== width || this.image.height !== height)
      this.image = this.ctx.createImageData(width, height);
    const px = new Uint32Array(this.image.data.buffer);
    const l = this.src.rows.layout;
    const flags = this.src.flags;
    const pyr = this.src.pyramid;
    const L = levelFor(cellPx, pyr.maxLevel);
    const pal = this.palette;
    const bg = pal[254];
    const rgb = (c: [number, number, number]) => (0xff000000 | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0;
    const secLine = rgb(d.sectionLine);
    const blkLine = rgb(d.blockLine);
    const showSec = (l.pfnsPerSection / l.rowPfns) * v.cellPx >= 6;
    const showBlk = l.pfnsPerBlock > 0 && (l.pfnsPerBlock / l.rowPfns) * v.cellPx >= 4;
    const reach = 1.25 / cellPx;
    const colOf = new Int32Array(width);
    for (let x = 0; x < width; x++) {
      const col = Math.floor(v.x + x / cellPx);
      colOf[x] = col < 0 || col >= l.rowPfns ? -1 : col >> L;
    }
    for (let y = 0; y < height; y++) {
      const cy = v.y + y / cellPx;
      const row = Math.floor(cy);
      const o = y * width;
      if (row < 0 || row >= l.rows) {
        px.fill(bg, o, o + width);
        continue;
      }
      let line = 0;
      if (showSec || showBlk)
        for (let b = Math.ceil(cy - reach); b <= cy + reach; b++) {
          const f = b >= 0 && b < flags.length ? flags[b] : 0;
          const dist = Math.abs(b - cy) * cellPx;
          if (showBlk && f & ROW_BLOCK && dist < 1.25) {
            line = blkLine;
            break;
          }
          if (showSec && f & ROW_SECTION && dist < 0.75) line = secLine;
        }
      if (line) {
        px.fill(line, o, o + width);
        for (let x = 0; x < width; x++) if (colOf[x] < 0) px[o + x] = bg;
        continue;
      }
      const src = pyr.rowOf(L, row >> L);
      const hatch = flags[row] & ROW_SEPARATOR;
      for (let x = 0; x < width; x++) {
        const c = colOf[x];
        px[o + x] = c < 0 ? bg : hatch && (x + y) % 9 < 2 ? secLine : pal[src[c]];
      }
    }
    if (s < 1) {
      this.small ??= document.createElement('canvas');
      this.small.width = width;
      this.small.height = height;
      this.small.getContext('2d')!.putImageData(this.image, 0, 0);
      this.ctx.imageSmoothingEnabled = false;
      this.ctx.drawImage(this.small, 0, 0, W, H);
    } else this.ctx.putImageData(this.image, 0, 0);
    if (d.selected) {
      const sz = Math.max(v.cellPx, 6);
      const cx = (d.selected.x + 0.5 - v.x) * v.cellPx;
      const cy = (d.selected.y + 0.5 - v.y) * v.cellPx;
      this.ctx.strokeStyle = `rgb(${d.cursor.join(',')})`;
      this.ctx.lineWidth = 2;
      this.ctx.strokeRect(cx - sz / 2 - 1, cy - sz / 2 - 1, sz + 2, sz + 2);
    }
  }

  idle(): boolean {
    return false;
  }

  finish(): void {}

  dispose(): void {}
}
