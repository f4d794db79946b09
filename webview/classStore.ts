// The webview's copy of the class bytes, in PFN order (index 0 = the section boundary below the
// first PFN). Coarse to fine: before any section data arrives, uniform sections are filled exactly
// from the overview, absent ones with no-memmap, and every other section with its class counts as
// proportional runs (so the first picture shows the right mix per section, and the max-priority
// pyramid already sees every class a section holds). Exact bytes are fetched for the sections in
// view, nearest first, with few requests in flight so a new view never waits behind old requests.

import type { Overview, SectionData } from '../shared/protocol';
import type { PfnRange } from './absentRuns';
import { CELL_NOT_LOADED, CELL_OUTSIDE } from './palette';

/** PFNs per request: 2 MiB of class bytes (the host's MAX_SECTION_DATA_PFNS), whatever the page size. */
const PFNS_PER_REQUEST = 1 << 21;
/** Requests in flight at once; the rest wait in a queue re-ordered at every view change. Each message
 * has a fixed cost (host round trip, a redraw), so few large requests load faster than many small. */
const MAX_IN_FLIGHT = 6;
/** Padding past the last section: one row of the widest layout reads past it harmlessly. */
const PAD = 8192;

const NOT = 0;
const QUEUED = 1;
const LOADING = 2;
const LOADED = 3;

export class ClassStore {
  readonly cells: Uint8Array;
  readonly originPfn: number;
  private readonly pps: number;
  private readonly state: Uint8Array; // per section: NOT, QUEUED, LOADING, LOADED
  /** Per section: 1 when it is uniform (filled exactly from the overview), so a batch may step over it. */
  private readonly uniform: Uint8Array;
  private queue: number[] = [];
  private inFlight = 0;
  loadedSections = 0;

  constructor(
    private readonly o: Overview,
    absent: readonly PfnRange[],
    private readonly fetch: (startPfn: number, count: number) => Promise<SectionData>,
    /** Called with the PFN range [from, to) whose bytes changed. */
    private readonly onData: (from: number, to: number) => void,
  ) {
    this.pps = Math.max(1, o.pfnsPerSection);
    this.originPfn = Math.floor(o.startPfn / this.pps) * this.pps;
    const nSections = Math.ceil((o.endPfn - this.originPfn) / this.pps);
    this.cells = new Uint8Array(nSections * this.pps + PAD).fill(CELL_OUTSIDE);
    this.cells.fill(CELL_NOT_LOADED, o.startPfn - this.originPfn, o.endPfn - this.originPfn);
    this.state = new Uint8Array(nSections);
    this.uniform = new Uint8Array(nSections);
    const noMemmap = Math.max(0, o.classNames.indexOf('no-memmap'));
    for (const [a, b] of absent) {
      this.cells.fill(noMemmap, a - this.originPfn, b - this.originPfn);
      for (let i = this.sectionIndex(a); i < this.sectionIndex(b - 1) + 1; i++) this.markLoaded(i);
    }
    for (const s of o.sections) {
      const from = Math.max(s.startPfn, o.startPfn) - this.originPfn;
      const to = Math.min(s.startPfn + s.nrPfns, o.endPfn) - this.originPfn;
      if (s.uniformClass !== undefined) {
        this.cells.fill(s.uniformClass, from, to);
        this.markLoaded(this.sectionIndex(s.startPfn));
        this.uniform[this.sectionIndex(s.startPfn)] = 1;
        continue;
      }
      // Provisional picture: the section's classes as runs in proportion to their counts.
      let at = from;
      for (const [cls, n] of [...s.counts].sort((x, y) => y[1] - x[1])) {
        const end = Math.min(to, at + n);
        this.cells.fill(cls, at, end);
        at = end;
      }
    }
  }

  private sectionIndex(pfn: number): number {
    return Math.floor((pfn - this.originPfn) / this.pps);
  }

  private markLoaded(i: number): void {
    if (i >= 0 && i < this.state.length && this.state[i] !== LOADED) {
      this.state[i] = LOADED;
      this.loadedSections++;
    }
  }

  get totalSections(): number {
    return this.state.length;
  }

  /** Class id of a PFN, or undefined when its exact bytes are not here yet or it is outside. */
  classAt(pfn: number): number | undefined {
    if (pfn < this.o.startPfn || pfn >= this.o.endPfn) return undefined;
    if (this.state[this.sectionIndex(pfn)] !== LOADED) return undefined;
    const c = this.cells[pfn - this.originPfn];
    return c === undefined || c >= CELL_OUTSIDE ? undefined : c;
  }

  /**
   * Wants the exact bytes of PFN ranges, most urgent first (the visible ones, then the margin).
   * Replaces the previous wish list: sections no longer wanted are not requested.
   */
  want(ranges: readonly PfnRange[]): void {
    for (const i of this.queue) if (this.state[i] === QUEUED) this.state[i] = NOT;
    this.queue = [];
    for (const [a, b] of ranges) {
      if (b <= a) continue;
      const i0 = Math.max(0, this.sectionIndex(a));
      const i1 = Math.min(this.state.length, this.sectionIndex(b - 1) + 1);
      for (let i = i0; i < i1; i++)
        if (this.state[i] === NOT) {
          this.state[i] = QUEUED;
          this.queue.push(i);
        }
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length) {
      // A batch of queued sections in queue order, ascending; it may step over sections that are
      // already here (uniform ones, filled exactly from the overview) so they do not split it into many
      // small requests: their bytes come again, which costs less than a message each.
      const perRequest = Math.max(1, Math.floor(PFNS_PER_REQUEST / this.pps));
      const first = this.queue.shift()!;
      let last = first;
      while (
        this.queue.length &&
        this.queue[0] > last &&
        this.queue[0] - first < perRequest &&
        this.onlyLoadedBetween(last, this.queue[0])
      )
        last = this.queue.shift()!;
      for (let i = first; i <= last; i++) if (this.state[i] !== LOADED) this.state[i] = LOADING;
      this.inFlight++;
      void this.load(first, last + 1).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** True when every section strictly between a and b is uniform (its bytes are known and the same in the answer). */
  private onlyLoadedBetween(a: number, b: number): boolean {
    for (let i = a + 1; i < b; i++) if (!this.uniform[i]) return false;
    return true;
  }

  private async load(i0: number, i1: number): Promise<void> {
    const startPfn = Math.max(this.originPfn + i0 * this.pps, this.o.startPfn);
    const endPfn = Math.min(this.originPfn + i1 * this.pps, this.o.endPfn);
    try {
      if (endPfn > startPfn) {
        const d = await this.fetch(startPfn, endPfn - startPfn);
        const from = d.startPfn - this.originPfn;
        const n = Math.max(0, Math.min(d.classes.length, this.cells.length - PAD - from));
        this.cells.set(d.classes.subarray(0, n), from);
        for (let i = i0; i < i1; i++) this.markLoaded(i);
        this.onData(d.startPfn, d.startPfn + n);
      } else for (let i = i0; i < i1; i++) this.markLoaded(i);
    } catch {
      for (let i = i0; i < i1; i++) if (this.state[i] === LOADING) this.state[i] = NOT; // asked again on the next view change
    }
  }
}
