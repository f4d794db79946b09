// The webview's copy of the class bytes, in map-layout order. Uniform sections are filled from the
// overview; the others are fetched from the host when they come into view, a few at a time.

import type { Overview, SectionData } from '../extension/protocol';
import { CELL_NOT_LOADED, CELL_OUTSIDE } from './palette';
import type { MapLayout } from './mapLayout';

/** Sections per request: 64 × 32 KiB = 2 MiB, small enough that no message stalls the panel. */
const SECTIONS_PER_REQUEST = 64;

export class ClassStore {
  readonly cells: Uint8Array;
  private readonly loaded: Uint8Array; // per section: 0 no, 1 pending, 2 loaded
  private readonly firstSectionNr: number;
  loadedSections = 0;

  constructor(
    private readonly o: Overview,
    readonly layout: MapLayout,
    private readonly fetch: (startPfn: number, count: number) => Promise<SectionData>,
    /** Called with the dirty cell range [from, to) after data arrives. */
    private readonly onData: (from: number, to: number) => void,
  ) {
    this.cells = new Uint8Array(layout.cells).fill(CELL_OUTSIDE);
    this.cells.fill(CELL_NOT_LOADED, o.startPfn - layout.originPfn, o.endPfn - layout.originPfn);
    this.firstSectionNr = Math.floor(layout.originPfn / layout.pfnsPerSection);
    const nSections = Math.ceil(layout.cells / layout.pfnsPerSection);
    this.loaded = new Uint8Array(nSections);
    for (const s of o.sections) {
      if (s.uniformClass === undefined) continue;
      const from = Math.max(s.startPfn, o.startPfn) - layout.originPfn;
      const to = Math.min(s.startPfn + s.nrPfns, o.endPfn) - layout.originPfn;
      this.cells.fill(s.uniformClass, from, to);
      this.markLoaded(s.nr);
    }
    // Ranges the overview does not list as sections are requested like any other.
  }

  private markLoaded(sectionNr: number): void {
    const i = sectionNr - this.firstSectionNr;
    if (i >= 0 && i < this.loaded.length && this.loaded[i] !== 2) {
      this.loaded[i] = 2;
      this.loadedSections++;
    }
  }

  get totalSections(): number {
    return this.loaded.length;
  }

  /** Class id of a PFN, or undefined when not loaded or outside. */
  classAt(pfn: number): number | undefined {
    const c = this.cells[pfn - this.layout.originPfn];
    return c === undefined || c >= CELL_OUTSIDE ? undefined : c;
  }

  /** Fetches every not-yet-loaded section that intersects rows [y0, y1). */
  ensureRows(y0: number, y1: number): Promise<void> {
    const l = this.layout;
    const s0 = Math.floor((y0 * l.rowPfns) / l.pfnsPerSection);
    const s1 = Math.min(this.loaded.length, Math.ceil((y1 * l.rowPfns) / l.pfnsPerSection));
    const jobs: Promise<void>[] = [];
    let i = s0;
    while (i < s1) {
      if (this.loaded[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < s1 && j - i < SECTIONS_PER_REQUEST && this.loaded[j] === 0) this.loaded[j++] = 1;
      jobs.push(this.load(i, j));
      i = j;
    }
    return Promise.all(jobs).then(() => undefined);
  }

  private async load(i0: number, i1: number): Promise<void> {
    const l = this.layout;
    const startPfn = Math.max(l.originPfn + i0 * l.pfnsPerSection, this.o.startPfn);
    const endPfn = Math.min(l.originPfn + i1 * l.pfnsPerSection, this.o.endPfn);
    try {
      if (endPfn > startPfn) {
        const d = await this.fetch(startPfn, endPfn - startPfn);
        const from = d.startPfn - l.originPfn;
        this.cells.set(d.classes.subarray(0, Math.max(0, Math.min(d.classes.length, l.cells - from))), from);
        this.onData(from, from + d.classes.length);
      }
      for (let i = i0; i < i1; i++) this.markLoaded(i + this.firstSectionNr);
    } catch {
      for (let i = i0; i < i1; i++) if (this.loaded[i] === 1) this.loaded[i] = 0; // retried on the next view change
    }
  }
}
