// The diff panel's cells: both sides' class bytes of the PFNs the panel has seen (uniform sections from
// the digest, others as the map asks for them) and the display byte the map draws for each PFN: a
// changed page in its new class's colour (or its old one, toggled), an unchanged page dimmed, and with a
// transition filter only that transition's pages bright. Also the palette and the zoomed-out ranks of
// display bytes. Typed arrays only: never an object per PFN.

import { DIM_FILTERED, DIM_UNCHANGED, NOT_UNIFORM, type DiffOverview } from '../extension/diffProtocol';
import type { PaletteName } from '../extension/protocol';
import { priorityRanks } from './classPriority';
import type { ClassStore } from './classStore';
import { CELL_NOT_LOADED, CELL_OUTSIDE, CELL_SEPARATOR, classColour, type ThemeColours } from './palette';

export interface DiffMode {
  /** Show a changed page's old class instead of its new one. */
  old: boolean;
  /** Only pages of this transition [fromId, toId] bright. */
  filter?: [number, number];
}

export function displayByte(x: number, y: number, mode: DiffMode): number {
  if (x === y) return DIM_UNCHANGED + x;
  const c = mode.old ? x : y;
  if (mode.filter && (mode.filter[0] !== x || mode.filter[1] !== y)) return DIM_FILTERED + c;
  return c;
}

export class DiffCells {
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  /** Per section: 1 when both sides' bytes are here. */
  private readonly known: Uint8Array;
  mode: DiffMode = { old: false };
  private readonly pps: number;
  private store!: ClassStore;

  constructor(private readonly d: DiffOverview) {
    const o = d.map;
    this.pps = o.pfnsPerSection;
    const origin = Math.floor(o.startPfn / this.pps) * this.pps;
    const n = Math.ceil((o.endPfn - origin) / this.pps);
    this.a = new Uint8Array(n * this.pps);
    this.b = new Uint8Array(n * this.pps);
    this.known = new Uint8Array(n);
    const { uniformA, uniformB } = d.digest;
    for (let i = 0; i < n; i++) {
      if (uniformA[i] === NOT_UNIFORM || uniformB[i] === NOT_UNIFORM) continue;
      this.a.fill(uniformA[i], i * this.pps, (i + 1) * this.pps);
      this.b.fill(uniformB[i], i * this.pps, (i + 1) * this.pps);
      this.known[i] = 1;
    }
  }

  /** Connects the map's store (its cells hold the display bytes) and draws what the digest already tells. */
  attach(store: ClassStore): void {
    this.store = store;
    this.redraw();
  }

  private get origin(): number {
    return this.store ? this.store.originPfn : Math.floor(this.d.map.startPfn / this.pps) * this.pps;
  }

  /** Both sides of a PFN, when known here. */
  classesAt(pfn: number): [number, number] | undefined {
    const i = pfn - this.origin;
    if (i < 0 || i >= this.a.length || !this.known[Math.floor(i / this.pps)]) return undefined;
    return [this.a[i], this.b[i]];
  }

  /** Keeps both sides' bytes of an answer and returns its display bytes for the store. */
  arrived(startPfn: number, a: Uint8Array, b: Uint8Array): Uint8Array {
    const at = startPfn - this.origin;
    const n = Math.min(a.length, b.length, this.a.length - at);
    this.a.set(a.subarray(0, n), at);
    this.b.set(b.subarray(0, n), at);
    // sections wholly covered are known now (answers are section-aligned except at the range's ends)
    const o = this.d.map;
    for (let i = Math.floor(at / this.pps); i * this.pps < at + n; i++) {
      const s0 = Math.max(i * this.pps, o.startPfn - this.origin), s1 = Math.min((i + 1) * this.pps, o.endPfn - this.origin);
      if (s0 >= at && s1 <= at + n) this.known[i] = 1;
    }
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = displayByte(a[k], b[k], this.mode);
    return out;
  }

  /** Rewrites every cell of the store for the current mode: exact where both sides are here, else the digest's proportions. */
  redraw(): void {
    const o = this.d.map;
    const cells = this.store.cells;
    const lo = o.startPfn - this.origin, hi = o.endPfn - this.origin;
    for (let i = 0; i < this.known.length; i++) {
      const s0 = Math.max(lo, i * this.pps), s1 = Math.min(hi, (i + 1) * this.pps);
      if (s1 <= s0) continue;
      if (this.known[i]) {
        for (let k = s0; k < s1; k++) cells[k] = displayByte(this.a[k], this.b[k], this.mode);
        continue;
      }
      // not here yet: the section's mix in proportion (ClassStore's provisional picture), for this mode
      if (cells[s0] === CELL_SEPARATOR || cells[s0] === CELL_OUTSIDE) continue;
      const counts = (this.mode.old ? this.d.digest.countsOld[i] : this.d.digest.countsNew[i]) ?? [];
      let at = s0;
      for (const [v, n] of [...counts].sort((x, y) => y[1] - x[1])) {
        const c = this.mode.filter && v < DIM_UNCHANGED ? DIM_FILTERED + v : v; // the digest cannot tell transitions apart
        const end = Math.min(s1, at + n);
        cells.fill(c, at, end);
        at = end;
      }
      if (at < s1) cells.fill(CELL_NOT_LOADED, at, s1);
    }
  }
}

/** 256 RGBA entries by display byte: changed pages in their class's colour, the others mixed into the background. */
export function diffPaletteRgba(classNames: string[], palette: PaletteName, theme: ThemeColours): Uint8Array {
  const out = new Uint8Array(256 * 4);
  const mix = (c: number[], t: number) => [0, 1, 2].map((i) => Math.round(theme.background[i] * (1 - t) + c[i] * t));
  const put = (i: number, c: number[]) => out.set([c[0], c[1], c[2], 255], i * 4);
  for (let i = 0; i < 256; i++) put(i, theme.background);
  classNames.forEach((name, id) => {
    const c = classColour(name, palette, theme);
    put(id, c);
    put(DIM_UNCHANGED + id, mix(c, 0.2));
    put(DIM_FILTERED + id, mix(c, 0.38));
  });
  put(CELL_NOT_LOADED, mix(theme.foreground, 0.18));
  put(CELL_OUTSIDE, theme.background);
  put(CELL_SEPARATOR, mix(theme.foreground, 0.07));
  return out;
}

/** Zoomed-out ranks of display bytes: any bright page over any filtered-out change over any unchanged page. */
export function diffRanks(classNames: readonly string[]): Uint8Array {
  const base = priorityRanks(classNames);
  const rank = new Uint8Array(256);
  classNames.forEach((_n, id) => {
    rank[id] = base[id]; // 80..130
    rank[DIM_FILTERED + id] = 40 + (base[id] >> 2); // 60..72
    rank[DIM_UNCHANGED + id] = 12 + (base[id] >> 3); // 22..28
  });
  rank[CELL_NOT_LOADED] = 5;
  rank[CELL_SEPARATOR] = 2;
  rank[CELL_OUTSIDE] = 0;
  return rank;
}
