// What the map view needs from a renderer; WebGL2 (glRenderer.ts) or Canvas2D (canvasRenderer.ts).

import type { View } from './viewport';

export type Rgb = [number, number, number];

export interface Decorations {
  sectionLine: Rgb;
  blockLine: Rgb;
  cursor: Rgb;
  /** Cell (x, y) of the selected page, outlined at any zoom. */
  selected?: { x: number; y: number };
}

export interface MapRenderer {
  readonly kind: 'webgl2' | 'canvas2d';
  setPalette(rgba: Uint8Array): void;
  /** Cells [from, to) of the class store changed. */
  update(from: number, to: number): void;
  draw(view: View, deco: Decorations): void;
  dispose(): void;
}
