// Address labels over the map: physical address, section number and memory block at the rows where
// they start, and the size and range of each collapsed absent run. Only the handful that fit on
// screen (at least MIN_GAP CSS pixels apart) get a DOM node, from a small reused pool; never one
// node per page or per row of the machine.

import type { Overview } from '../shared/protocol';
import { describeAbsent } from './absentRuns';
import { h } from './dom';
import { physHex } from '../shared/geometry';
import { rowStartPfn, type MapLayout } from './mapLayout';
import { ROW_BLOCK, ROW_SECTION } from './rowFlags';
import type { View } from './viewport';

const MIN_GAP = 16;
const MAX_LABELS = 80;

export class MapLabels {
  readonly element = h('div', { class: 'map-labels', 'aria-hidden': 'true' });
  private pool: HTMLElement[] = [];

  constructor(private readonly o: Overview) {}

  /** Places the labels for a view; dpr converts device pixels (the view's unit) to CSS pixels. */
  render(l: MapLayout, flags: Uint8Array, v: View, heightPx: number, dpr: number): void {
    const rowCss = v.cellPx / dpr;
    const y0 = Math.max(0, Math.floor(v.y));
    const y1 = Math.min(l.rows, Math.ceil(v.y + heightPx / v.cellPx) + 1);
    const topOf = (y: number) => (y - v.y) * rowCss;
    const out: { y: number; text: string; kind: string }[] = [];
    // Separators first: they always get their label.
    for (const s of l.segments)
      if (s.absent && s.row + s.rows > y0 && s.row < y1)
        out.push({
          y: Math.max(0, topOf(s.row + s.rows / 2) - 8),
          text: describeAbsent([s.pfn, s.pfnEnd], this.o.kernel.pageSize),
          kind: 'absent',
        });
    // Then row starts: every row when rows are tall enough, else section/block starts, greedily spaced.
    // Rows tall enough to read: every k-th row start (k a power of two, labels ≥ MIN_GAP apart).
    const k = rowCss >= MIN_GAP ? 1 : 2 ** Math.ceil(Math.log2(MIN_GAP / Math.max(rowCss, 1e-9)));
    const rowLabels = k <= 64;
    let last = -Infinity;
    for (let y = y0; y < y1 && out.length < MAX_LABELS; y++) {
      const f = flags[y] ?? 0;
      if (!(f & (ROW_SECTION | ROW_BLOCK)) && !(rowLabels && y % k === 0)) continue;
      const pfn = rowStartPfn(l, y);
      if (pfn === undefined) continue;
      const top = topOf(y);
      if (top - last < MIN_GAP) continue;
      last = top;
      out.push({
        y: Math.max(0, top),
        text: this.rowText(l, pfn, f),
        kind: f & ROW_BLOCK ? 'block' : f & ROW_SECTION ? 'section' : 'row',
      });
    }
    while (this.pool.length < out.length) this.pool.push(this.element.appendChild(h('div', { class: 'map-label' })));
    this.pool.forEach((el, i) => {
      const it = out[i];
      el.hidden = !it;
      if (!it) return;
      if (el.textContent !== it.text) el.textContent = it.text;
      el.className = `map-label map-label-${it.kind}`;
      el.style.transform = `translateY(${Math.round(it.y)}px)`;
    });
  }

  private rowText(l: MapLayout, pfn: number, f: number): string {
    const phys = physHex(pfn, this.o.kernel.pageShift);
    if (!(pfn % l.pfnsPerSection === 0 || f & ROW_SECTION)) return phys;
    const section = `§${Math.floor(pfn / l.pfnsPerSection)}`;
    const block =
      l.pfnsPerBlock && pfn % l.pfnsPerBlock === 0 && this.o.blocks.length
        ? `memory${Math.floor(pfn / l.pfnsPerBlock)}`
        : '';
    // One section per block (x86 up to 64 GiB): the block name says both.
    if (block && l.pfnsPerBlock === l.pfnsPerSection) return `${phys} ${block}`;
    return [phys, section, block].filter(Boolean).join(' ');
  }
}
