// The memmap canvas: draws through WebGL2 (Canvas2D fallback), pans with drag and arrow keys,
// zooms with the wheel and +/-, shows a tooltip for the page under the pointer and reports clicks.

import type { Overview } from '../shared/protocol';
import { findByPfn } from '../shared/protocol';
import { describeAbsent, type PfnRange } from './absentRuns';
import { CanvasRenderer } from './canvasRenderer';
import { haloClasses, priorityRanks } from './classPriority';
import { ClassStore } from './classStore';
import { h, hex } from './dom';
import { physHex } from '../shared/geometry';
import { GlRenderer } from './glRenderer';
import { MapLabels } from './mapLabels';
import { cellToPfn, pfnToCell, rowsOfPfns, segmentOfRow, type MapLayout, type MapSegment } from './mapLayout';
import {
  paddedRows,
  pyramidLevels,
  type Decorations,
  type MapRenderer,
  type MapSources,
  type Rgb,
} from './mapRenderer';
import { MapRows } from './mapRows';
import { parseCssColour } from './palette';
import { PriorityPyramid } from './priorityPyramid';
import { rowFlags } from './rowFlags';
import { centreOn, clampView, fitView, minCellPx, panBy, showRows, visibleRows, zoomAt, type View } from './viewport';

export interface MapViewEvents {
  select(pfn: number): void;
  viewChanged(v: View): void;
}

/** Fraction of the device resolution drawn while a pan/zoom gesture is in progress: starts here and
 * adapts to the frame rate actually reached (software GL on a busy machine needs less). */
export const GESTURE_SCALE = 0.5;
/** The steps it adapts through (few, so the renderer's reduced-size framebuffers are reused). */
const GESTURE_SCALES = [0.25, 0.35, 0.5, 0.7, 1];
/** The gesture is over (and the picture sharpened) this long after the last move. */
const SETTLE_MS = 150;
/** CSS pixels kept free left of the map for address labels at the whole-machine view. */
export const LABEL_GUTTER_CSS = 170;

export class MapView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly status: HTMLElement;
  private readonly labels: MapLabels;
  private renderer!: MapRenderer;
  private gl: WebGL2RenderingContext | null | undefined;
  private src!: MapSources;
  private view: View = { x: 0, y: 0, cellPx: 1 };
  private selected: number | undefined;
  private frameRequested = false;
  private deco!: Decorations;
  private gestureUntil = 0;
  private gestureScale = GESTURE_SCALE;
  private lastGestureDraw = -Infinity;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Time of the last draw and its scale, for the benchmark. */
  lastDrawMs = 0;
  lastDrawScale = 1;
  /** Draw and upload counters, for the benchmark and tests (uploads must not happen while panning). */
  readonly counters = { draws: 0, rebuilds: 0, uploads: 0 };
  firstPicture: Promise<void>;
  private resolveFirst!: () => void;

  constructor(
    private readonly o: Overview,
    public layout: MapLayout,
    readonly store: ClassStore,
    private readonly events: MapViewEvents,
    initial: View | undefined,
    private hidden: ReadonlySet<number> = new Set(),
  ) {
    this.firstPicture = new Promise((r) => (this.resolveFirst = r));
    this.canvas = h('canvas', {
      class: 'map-canvas',
      tabindex: '0',
      role: 'img',
      'aria-label':
        'Memory map: one cell per page frame. Arrow keys move the page cursor, + and - zoom, 0 shows the whole machine, Enter inspects the page.',
    });
    this.tooltip = h('div', { class: 'map-tooltip', role: 'tooltip', hidden: '' });
    this.status = h('div', { class: 'map-status', 'aria-live': 'polite' });
    this.labels = new MapLabels(o);
    this.element = h('div', { class: 'map' }, this.canvas, this.labels.element, this.tooltip, this.status);
    this.readTheme();
    this.pendingInitial = initial;
    this.bindInput();
  }

  private pendingInitial: View | undefined;

  /** Rank of every cell value in the zoomed-out picture; the diff panel replaces it (its cells are display bytes). */
  ranksFor = (hidden: ReadonlySet<number>): Uint8Array => priorityRanks(this.o.classNames, hidden);

  /** Call once the element is in the document (it needs a size). */
  start(): void {
    this.src = this.buildSources(this.layout);
    performance.mark('kmemmap-pyramid-built');
    this.renderer = this.makeRenderer();
    performance.mark('kmemmap-renderer-ready');
    this.canvas.dataset.renderer = this.renderer.kind;
    new ResizeObserver(() => this.resize()).observe(this.element);
    this.resize();
    this.view = this.pendingInitial ? this.clamped(this.pendingInitial) : this.fitted();
    this.changed();
  }

  private idleScheduled = false;
  /** After the first picture: upload what no view needed yet, a slice at a time, never during a gesture. */
  private scheduleIdle(): void {
    if (this.idleScheduled) return;
    this.idleScheduled = true;
    setTimeout(() => {
      this.idleScheduled = false;
      if (performance.now() < this.gestureUntil) this.scheduleIdle();
      else if (this.renderer.idle(8)) this.scheduleIdle();
    }, 30);
  }

  private buildSources(l: MapLayout): MapSources {
    const rows = new MapRows(l, this.store.cells);
    const maxLevel = pyramidLevels(l.rowPfns);
    const pyramid = new PriorityPyramid(rows, paddedRows(l.rows, maxLevel), maxLevel, this.ranksFor(this.hidden));
    this.counters.rebuilds++;
    return { rows, pyramid, flags: rowFlags(l, this.o.blocks) };
  }

  private makeRenderer(): MapRenderer {
    const forceCanvas = document.body.dataset.renderer === 'canvas2d';
    if (!forceCanvas) {
      if (this.gl === undefined)
        this.gl = this.canvas.getContext('webgl2', {
          antialias: false,
          preserveDrawingBuffer: false,
          desynchronized: true,
        });
      if (this.gl) {
        try {
          return new GlRenderer(this.gl, this.src);
        } catch (e) {
          console.warn('WebGL2 renderer unavailable, using Canvas2D:', e);
        }
      }
    }
    return new CanvasRenderer(this.canvas.getContext('2d')!, this.src);
  }

  /** Swaps the layout (absent memory folded or not): same class bytes, new rows and pyramid. */
  setLayout(l: MapLayout): void {
    const centre = this.pfnAt(...this.centreClient());
    this.layout = l;
    this.src = this.buildSources(l);
    this.renderer.dispose();
    this.renderer = this.makeRenderer();
    if (this.paletteRgba) this.renderer.setPalette(this.paletteRgba);
    if (this.selected !== undefined) this.deco.selected = pfnToCell(l, this.selected);
    this.view = this.fitted();
    if (centre !== undefined && this.view.cellPx > this.fitted().cellPx * 1.01) this.view = this.fitted();
    this.changed();
  }

  readTheme(): void {
    const cs = getComputedStyle(document.body);
    const get = (name: string, fb: Rgb): Rgb => parseCssColour(cs.getPropertyValue(name), fb);
    this.deco = {
      sectionLine: get('--vscode-editorGroup-border', [68, 68, 68]),
      blockLine: get('--vscode-focusBorder', [0, 127, 212]),
      cursor: get('--vscode-editorCursor-foreground', [255, 255, 255]),
      selected: this.deco?.selected,
      halo: this.presentHalo(this.hidden),
    };
  }

  /** Halo classes this snapshot holds at least one page of (none: the shader skips the halo). */
  private presentHalo(hidden: ReadonlySet<number>): number[] {
    return haloClasses(this.o.classNames, hidden).filter((id) =>
      this.o.sections.some((s) => s.counts.some(([c, n]) => c === id && n > 0)),
    );
  }

  setPalette(rgba: Uint8Array): void {
    this.renderer?.setPalette(rgba);
    this.paletteRgba = rgba;
    this.requestDraw();
  }
  private paletteRgba: Uint8Array | undefined;

  /** Legend filter: hidden classes also give way in the zoomed-out (max-priority) picture. */
  setHidden(hidden: ReadonlySet<number>): void {
    this.hidden = hidden;
    this.deco.halo = this.presentHalo(hidden);
    if (!this.src) return;
    this.src.pyramid.setRanks(this.ranksFor(hidden));
    this.renderer.update(this.src.pyramid.heights.map((hgt, L) => (L === 0 ? [0, 0] : [0, hgt])));
    this.requestDraw();
  }

  /** Exact bytes of PFNs [from, to) arrived in the store. */
  dataArrived(from: number, to: number): void {
    if (!this.src) return;
    const [y0, y1] = rowsOfPfns(this.layout, from, to);
    if (y1 <= y0) return;
    this.renderer.update(this.src.pyramid.update(y0, y1));
    this.requestDraw();
  }

  get currentView(): View {
    return this.view;
  }

  get rendererKind(): string {
    return this.renderer?.kind ?? 'none';
  }

  private dpr(): number {
    return this.canvas.width / Math.max(1, this.canvas.getBoundingClientRect().width);
  }

  private gutterPx(): number {
    return LABEL_GUTTER_CSS * (window.devicePixelRatio || 1);
  }

  /** The view kept on the map (viewport.ts clampView), the label gutter allowed on the left. */
  private clamped(v: View): View {
    return clampView(this.layout, v, this.canvas.width, this.canvas.height, this.gutterPx());
  }

  private fitted(): View {
    return fitView(this.layout, this.canvas.width, this.canvas.height, this.gutterPx());
  }

  setView(v: View): void {
    this.view = this.clamped(v);
    this.changed();
  }

  /** A view change that is part of a gesture (drag, wheel): drawn coarser until it settles. */
  private gesture(v: View): void {
    this.gestureUntil = performance.now() + SETTLE_MS;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.requestDraw(), SETTLE_MS + 10);
    this.setView(v);
  }

  /** Marks the next draws as part of a gesture (the benchmark's synthetic drag uses this). */
  beginGesture(): void {
    this.gestureUntil = performance.now() + SETTLE_MS;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.requestDraw(), SETTLE_MS + 10);
  }

  fit(): void {
    this.setView(this.fitted());
  }

  /** Shows PFNs [start, start + n) as large as they fit. */
  showRange(start: number, n: number): void {
    const a = pfnToCell(this.layout, start);
    const b = pfnToCell(this.layout, start + Math.max(1, n) - 1);
    this.setView(showRows(this.layout, a.y, b.y + 1, this.canvas.width, this.canvas.height));
  }

  /** Selects a PFN and centres it, zooming in so single pages are visible. */
  reveal(pfn: number, zoom = true): void {
    this.select(pfn);
    const c = pfnToCell(this.layout, pfn);
    this.setView(
      centreOn(
        this.view,
        c.x,
        c.y,
        this.canvas.width,
        this.canvas.height,
        zoom ? Math.max(this.view.cellPx, 12) : this.view.cellPx,
      ),
    );
  }

  /** Cell of a PFN in the current layout (tests, benchmark). */
  cellOf(pfn: number): { x: number; y: number } {
    return pfnToCell(this.layout, pfn);
  }

  select(pfn: number | undefined): void {
    this.selected = pfn;
    this.deco.selected = pfn === undefined ? undefined : pfnToCell(this.layout, pfn);
    this.requestDraw();
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const r = this.element.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width * dpr));
    const hgt = Math.max(1, Math.round(r.height * dpr));
    if (w === this.canvas.width && hgt === this.canvas.height) return;
    const wasFit = this.canvas.width <= 1 || (!this.pendingInitial && this.isFitted());
    this.canvas.width = w;
    this.canvas.height = hgt;
    if (wasFit) this.view = this.fitted();
    this.changed();
  }

  private isFitted(): boolean {
    const f = this.fitted();
    return (
      Math.abs(f.cellPx - this.view.cellPx) < 1e-9 &&
      Math.abs(f.x - this.view.x) < 1e-6 &&
      Math.abs(f.y - this.view.y) < 1e-6
    );
  }

  private changed(): void {
    this.requestDraw();
    const l = this.layout;
    const [y0, y1] = visibleRows(l, this.view, this.canvas.height);
    // Exact bytes for what is visible first (from the centre out), then a screen above and below.
    const toPfns = (a: number, b: number): PfnRange => {
      let p0 = Infinity;
      let p1 = -Infinity;
      for (let y = Math.max(0, a); y < Math.min(l.rows, b);) {
        const s = segmentOfRow(l, y)!;
        const end = Math.min(b, s.row + s.rows);
        if (!s.absent) {
          p0 = Math.min(p0, s.pfn + (y - s.row) * l.rowPfns);
          p1 = Math.max(p1, Math.min(s.pfnEnd, s.pfn + (end - s.row) * l.rowPfns));
        }
        y = end;
      }
      return p0 < p1 ? [p0, p1] : [0, 0];
    };
    const mid = (y0 + y1) >> 1;
    const margin = y1 - y0;
    this.store.want([toPfns(mid, y1), toPfns(y0, mid), toPfns(y1, y1 + margin), toPfns(y0 - margin, y0)]);
    this.events.viewChanged(this.view);
  }

  requestDraw(): void {
    if (this.frameRequested || !this.renderer) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.drawNow();
    });
  }

  drawNow(): void {
    if (!this.renderer || !this.paletteRgba) return;
    const t0 = performance.now();
    const inGesture = t0 < this.gestureUntil;
    if (inGesture && t0 - this.lastGestureDraw < 100) {
      // Consecutive gesture frames: step the resolution so they come one animation frame apart.
      const interval = t0 - this.lastGestureDraw;
      const i = GESTURE_SCALES.indexOf(this.gestureScale);
      if (interval > 24 && i > 0) this.gestureScale = GESTURE_SCALES[i - 1];
      else if (interval < 12 && i < GESTURE_SCALES.length - 1) this.gestureScale = GESTURE_SCALES[i + 1];
    }
    if (inGesture) this.lastGestureDraw = t0;
    const scale = inGesture ? this.gestureScale : 1;
    this.renderer.draw(this.view, this.deco, scale);
    this.lastDrawMs = performance.now() - t0;
    this.lastDrawScale = scale;
    this.counters.draws++;
    this.counters.uploads = this.renderer.uploads;
    this.labels.render(this.layout, this.src.flags, this.view, this.canvas.height, this.dpr());
    this.updateStatus();
    if (!performance.getEntriesByName('kmemmap-first-picture').length) {
      this.renderer.finish(); // the mark means "on the canvas", not "queued for the GPU"
      performance.mark('kmemmap-first-picture');
    }
    if (!this.idleScheduled) this.scheduleIdle();
    this.resolveFirst();
  }

  private updateStatus(): void {
    const l = this.layout;
    const pagesPerPx = 1 / this.view.cellPx;
    const zoom =
      pagesPerPx >= 1
        ? `${pagesPerPx < 10 ? pagesPerPx.toFixed(1) : Math.round(pagesPerPx)} pages per pixel`
        : `${Math.round(this.view.cellPx)} px per page`;
    const loaded =
      this.store.loadedSections < this.store.totalSections
        ? ` · loading ${this.store.loadedSections}/${this.store.totalSections} sections`
        : '';
    this.status.textContent = `${l.rowPfns} pages per row · ${zoom}${loaded}`;
  }

  /** PFN under a client-space point. */
  pfnAt(clientX: number, clientY: number): number | undefined {
    const r = this.canvas.getBoundingClientRect();
    const dpr = this.canvas.width / r.width;
    const cx = this.view.x + ((clientX - r.left) * dpr) / this.view.cellPx;
    const cy = this.view.y + ((clientY - r.top) * dpr) / this.view.cellPx;
    const pfn = cellToPfn(this.layout, cx, cy);
    return pfn !== undefined && pfn >= this.o.startPfn && pfn < this.o.endPfn ? pfn : undefined;
  }

  /** The collapsed absent run under a client-space point, if any. */
  absentAt(clientX: number, clientY: number): MapSegment | undefined {
    const r = this.canvas.getBoundingClientRect();
    const dpr = this.canvas.width / r.width;
    const cx = this.view.x + ((clientX - r.left) * dpr) / this.view.cellPx;
    const cy = this.view.y + ((clientY - r.top) * dpr) / this.view.cellPx;
    if (cx < 0 || cx >= this.layout.rowPfns) return undefined;
    const s = segmentOfRow(this.layout, Math.floor(cy));
    return s?.absent ? s : undefined;
  }

  private bindInput(): void {
    let drag: { x: number; y: number; moved: boolean } | undefined;
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (drag && e.buttons) {
        const dpr = c.width / c.getBoundingClientRect().width;
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (drag.moved || Math.abs(dx) + Math.abs(dy) > 3) {
          drag.moved = true;
          this.gesture(panBy(this.view, dx * dpr, dy * dpr));
          drag.x = e.clientX;
          drag.y = e.clientY;
          this.tooltip.hidden = true;
          return;
        }
      }
      this.showTooltip(e.clientX, e.clientY);
    });
    c.addEventListener('pointerup', (e) => {
      if (drag && !drag.moved) {
        const pfn = this.pfnAt(e.clientX, e.clientY);
        if (pfn !== undefined) {
          this.select(pfn);
          this.events.select(pfn);
        }
      }
      drag = undefined;
    });
    c.addEventListener('pointerleave', () => (this.tooltip.hidden = true));
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        const dpr = c.width / r.width;
        const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
        this.gesture(zoomAt(this.view, factor, (e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr, this.minCell()));
      },
      { passive: false },
    );
    c.addEventListener('keydown', (e) => this.onKey(e));
  }

  private minCell(): number {
    return minCellPx(this.layout, this.canvas.width, this.canvas.height);
  }

  /** Keyboard: arrows move the page cursor (Shift: a row of 64, PageUp/Down: a section), +/- zoom, 0 fit, Enter inspect. */
  private onKey(e: KeyboardEvent): void {
    const l = this.layout;
    const cur = this.selected ?? this.pfnAt(...this.centreClient()) ?? this.o.startPfn;
    const step: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -l.rowPfns,
      ArrowDown: l.rowPfns,
      PageUp: -l.pfnsPerSection,
      PageDown: l.pfnsPerSection,
    };
    const w = this.canvas.width;
    const hh = this.canvas.height;
    if (e.key in step) {
      let d = step[e.key];
      if (e.shiftKey && Math.abs(d) === 1) d *= 64;
      const pfn = Math.min(this.o.endPfn - 1, Math.max(this.o.startPfn, cur + d));
      this.select(pfn);
      const cell = pfnToCell(l, pfn);
      // Keep the cursor on screen: re-centre only when it leaves the view.
      const sx = (cell.x - this.view.x) * this.view.cellPx;
      const sy = (cell.y - this.view.y) * this.view.cellPx;
      if (sx < 0 || sy < 0 || sx > w || sy > hh) this.setView(centreOn(this.view, cell.x, cell.y, w, hh));
      this.announce(pfn);
    } else if (e.key === '+' || e.key === '=') {
      this.zoomAround(cur, 1.6);
    } else if (e.key === '-' || e.key === '_') {
      this.zoomAround(cur, 1 / 1.6);
    } else if (e.key === '0' || e.key === 'Home') {
      this.fit();
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.select(cur);
      this.events.select(cur);
    } else if (e.key === 'Escape') {
      this.tooltip.hidden = true;
    } else return;
    e.preventDefault();
  }

  private zoomAround(pfn: number, factor: number): void {
    const c = pfnToCell(this.layout, pfn);
    const px = (c.x + 0.5 - this.view.x) * this.view.cellPx;
    const py = (c.y + 0.5 - this.view.y) * this.view.cellPx;
    const inside = px >= 0 && py >= 0 && px <= this.canvas.width && py <= this.canvas.height;
    this.setView(
      zoomAt(
        this.view,
        factor,
        inside ? px : this.canvas.width / 2,
        inside ? py : this.canvas.height / 2,
        this.minCell(),
      ),
    );
  }

  private centreClient(): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [r.left + r.width / 2, r.top + r.height / 2];
  }

  /** Where a PFN is, in words: for the tooltip and for screen readers. */
  describe(pfn: number): string[] {
    const o = this.o;
    const sec = findByPfn(o.sections, pfn);
    const blk = findByPfn(o.blocks, pfn);
    const cls = this.store.classAt(pfn);
    return [
      `PFN ${hex(pfn)} (${pfn})`,
      `phys ${physHex(pfn, o.kernel.pageShift)}`,
      sec
        ? `section ${sec.nr} · ${sec.state}${sec.zone ? ` · ${sec.zone}` : ''}${sec.node !== undefined ? ` · node ${sec.node}` : ''}`
        : `section ${Math.floor(pfn / o.pfnsPerSection)}`,
      blk ? `memory${blk.id} · ${blk.state}` : o.pfnsPerBlock ? `memory${Math.floor(pfn / o.pfnsPerBlock)}` : '',
      cls === undefined ? 'class: loading…' : `class: ${o.classNames[cls]}`,
    ].filter(Boolean);
  }

  /** A collapsed absent run, in words: its size, physical range, PFN range and sections. */
  describeAbsent(s: MapSegment): string[] {
    const pps = this.o.pfnsPerSection;
    return [
      describeAbsent([s.pfn, s.pfnEnd], this.o.kernel.pageSize),
      `PFN ${hex(s.pfn)}–${hex(s.pfnEnd - 1)}`,
      `sections ${Math.floor(s.pfn / pps)}–${Math.ceil(s.pfnEnd / pps) - 1}: no memmap (hole or unpopulated hotplug space)`,
      'folded: use the "Fold absent memory" button to show it cell by cell',
    ];
  }

  private announce(pfn: number): void {
    this.canvas.setAttribute('aria-description', this.describe(pfn).join(', '));
  }

  private showTooltip(clientX: number, clientY: number): void {
    const pfn = this.pfnAt(clientX, clientY);
    const absent = pfn === undefined ? this.absentAt(clientX, clientY) : undefined;
    if (pfn === undefined && !absent) {
      this.tooltip.hidden = true;
      return;
    }
    const lines = absent ? this.describeAbsent(absent) : this.describe(pfn!);
    this.tooltip.replaceChildren(...lines.map((t, i) => h('div', { class: i === 0 ? 'tt-title' : 'tt-line' }, t)));
    const r = this.element.getBoundingClientRect();
    this.tooltip.hidden = false;
    const x = clientX - r.left + 14;
    const y = clientY - r.top + 14;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    this.tooltip.style.left = `${Math.min(x, r.width - tw - 4)}px`;
    this.tooltip.style.top = `${y + th > r.height ? clientY - r.top - th - 8 : y}px`;
  }
}
