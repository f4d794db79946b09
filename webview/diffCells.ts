// The diff panel's cells: both sides' class bytes of the sections the panel has loaded (uniform sections
// need none: the digest names their classes) and the display byte the map draws for each PFN: a
// changed page in its new class's colour (or its old one, toggled), an unchanged page dimmed, and with a
// transition filter only that transition's pages bright. Also the palette and the zoomed-out ranks of
// display bytes. Typed arrays only: never an object per PFN.

import { DIM_FILTERED, DIM_UNCHANGED, NOT_UNIFORM, type DiffOverview } from '../shared/diffProtocol';
import type { PaletteName } from '../shared/protocol';
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

/** Both sides' bytes of one section's PFNs in the compared range, from `at` (index from the store's origin). */
interface Chunk {
  at: number;
  a: Uint8Array;
  b: Uint8Array;
}

export class DiffCells {
  /** Sections uniform on both sides need no bytes (the digest says their classes); the others keep what arrived. */
  private readonly chunks = new Map<number, Chunk>();
  mode: DiffMode = { old: false };
  private readonly pps: number;
  private readonly origin: number;
  private store!: ClassStore;

  constructor(private readonly d: DiffOverview) {
    this.pps = d.map.pfnsPerSection;
    this.origin = Math.floor(d.map.startPfn / this.pps) * this.pps;
  }

  /** Connects the map's store (its cells hold the display bytes) and draws what the digest already tells. */
  attach(store: ClassStore): void {
    this.store = store;
    this.redraw();
  }

  private uniform(i: number): [number, number] | undefined {
    const ua = this.d.digest.uniformA[i],
      ub = this.d.digest.uniformB[i];
    return ua === undefined || ua === NOT_UNIFORM || ub === NOT_UNIFORM ? undefined : [ua, ub];
  }

  /** Both sides of a PFN, when known here. */
  classesAt(pfn: number): [number, number] | undefined {
    const k = pfn - this.origin;
    if (pfn < this.d.map.startPfn || pfn >= this.d.map.endPfn) return undefined;
    const i = Math.floor(k / this.pps);
    const u = this.uniform(i);
    if (u) return u;
    const c = this.chunks.get(i);
    return c && k >= c.at && k < c.at + c.a.length ? [c.a[k - c.at], c.b[k - c.at]] : undefined;
  }

  /** Keeps both sides' bytes of an answer (views, no copy) and returns its display bytes for the store. */
  arrived(startPfn: number, a: Uint8Array, b: Uint8Array): Uint8Array {
    const at = startPfn - this.origin;
    const n = Math.min(a.length, b.length);
    const lo = this.d.map.startPfn - this.origin,
      hi = this.d.map.endPfn - this.origin;
    // keep the sections wholly covered (answers are section-aligned except at the compared range's ends)
    for (let i = Math.floor(at / this.pps); i * this.pps < at + n; i++) {
      const s0 = Math.max(i * this.pps, lo),
        s1 = Math.min((i + 1) * this.pps, hi);
      if (s0 >= at && s1 <= at + n && !this.uniform(i))
        this.chunks.set(i, { at: s0, a: a.subarray(s0 - at, s1 - at), b: b.subarray(s0 - at, s1 - at) });
    }
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = displayByte(a[k], b[k], this.mode);
    return out;
  }

  /** Rewrites every cell of the store for the current mode: exact where both sides are known, else the digest's proportions. */
  redraw(): void {
    const cells = this.store.cells;
    const lo = this.d.map.startPfn - this.origin,
      hi = this.d.map.endPfn - this.origin;
    const n = this.d.digest.uniformA.length;
    for (let i = 0; i < n; i++) {
      const s0 = Math.max(lo, i * this.pps),
        s1 = Math.min(hi, (i + 1) * this.pps);
      if (s1 <= s0) continue;
      const u = this.uniform(i);
      if (u) {
        cells.fill(displayByte(u[0], u[1], this.mode), s0, s1);
        continue;
      }
      const c = this.chunks.get(i);
      if (c) {
        for (let k = 0; k < c.a.length; k++) cells[c.at + k] = displayByte(c.a[k], c.b[k], this.mode);
        continue;
      }
      // not here yet: the section's mix in proportion (ClassStore's provisional picture), for this mode
      const counts = (this.mode.old ? this.d.digest.countsOld[i] : this.d.digest.countsNew[i]) ?? [];
      let at = s0;
      for (const [v, cnt] of [...counts].sort((x, y) => y[1] - x[1])) {
        const shown = this.mode.filter && v < DIM_UNCHANGED ? DIM_FILTERED + v : v; // the digest cannot tell transitions apart
        const end = Math.min(s1, at + cnt);
        cells.fill(shown, at, end);
        at = end;
      }
      if (at < s1) cells.fill(CELL_NOT_LOADED, at, s1);
    }
  }

  /** Bytes of both sides kept here (for the tests: grows with the sections loaded, not with the machine). */
  get keptBytes(): number {
    let n = 0;
    for (const c of this.chunks.values()) n += c.a.length + c.b.length;
    return n;
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
