// Diff panel entry: two snapshots of one PFN layout compared. Asks the host for the DiffOverview, then
// builds the header, the map (the single panel's MapView over display bytes: changed pages bright in
// their new class's colour, unchanged ones dimmed; a toggle shows the old class), the transition matrix
// that filters the map, the changed blocks, and the inspector of a page on both sides. Everything from a
// dump reaches the DOM through textContent (dom.ts).

import '@vscode/codicons/dist/codicon.css';
import './styles.css';
import './diff.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';

import type { DiffBlockRow, DiffOverview } from '../shared/diffProtocol';
import type { HostEvent } from '../shared/protocol';
import { findByPfn, PROTOCOL_VERSION } from '../shared/protocol';
import { absentRuns } from './absentRuns';
import { ClassStore } from './classStore';
import { DiffCells, diffPaletteRgba, diffRanks } from './diffCells';
import { renderDiffBlock, renderDiffBlocks, renderDiffHeader, renderDiffPage, renderMatrix } from './diffViews';
import { h, hex, hx } from './dom';
import { renderFailure, renderLoading } from './errorView';
import { connectHost, vscodeApi } from './hostChannel';
import type { InspectorActions } from './inspector';
import { chooseLayout } from './mapLayout';
import { MapView } from './mapView';
import { themeColours } from './palette';
import { parseSearch } from './searchQuery';
import { loadState, saveState } from './viewState';

const app = document.getElementById('app')!;
const key = document.body.dataset.snapshotUri ?? '[]';
const title = document.body.dataset.snapshotTitle ?? 'comparison';
try {
  vscodeApi.setState({ ...loadState(), diff: JSON.parse(key) }); // for the panel serializer
} catch {
  // not a pair: nothing to restore
}

const loading = renderLoading(title);
app.replaceChildren(loading.element);
let failed = false;
const channel = connectHost((e: HostEvent) => {
  if (e.type === 'progress') loading.setProgress(e.message, e.fraction);
  else if (e.type === 'failed') showFailure(e);
  else if (e.type === 'settings') onSettings?.(e.settings);
});
let onSettings: ((s: DiffOverview['map']['settings']) => void) | undefined;

function showFailure(f: { file: string; problem: string; hint?: string }): void {
  failed = true;
  app.replaceChildren(renderFailure(f, () => channel.event({ type: 'retry' }), 'Cannot compare these snapshots'));
}

channel
  .request('diffReady', { protocolVersion: PROTOCOL_VERSION })
  .then((d) => {
    try {
      buildDiffApp(d);
    } catch (e) {
      showFailure({
        file: title,
        problem: `the panel could not show this comparison: ${e instanceof Error ? e.message : e}`,
        hint: 'please report this with the "Kernel Memmap" output channel contents',
      });
      channel.event({ type: 'log', message: `webview error: ${e instanceof Error ? e.stack : e}` });
    }
  })
  .catch((e) => {
    if (!failed) showFailure({ file: title, problem: e instanceof Error ? e.message : String(e) });
  });

/** The single panel's map, with the tooltip naming both sides of a page. */
class DiffMapView extends MapView {
  constructor(
    private readonly d: DiffOverview,
    private readonly diffCells: DiffCells,
    ...rest: ConstructorParameters<typeof MapView>
  ) {
    super(...rest);
  }

  override describe(pfn: number): string[] {
    const o = this.d.map;
    const sec = findByPfn(o.sections, pfn);
    const blk = findByPfn(o.blocks, pfn);
    const c = this.diffCells.classesAt(pfn);
    return [
      `PFN ${hex(pfn)} (${pfn})`,
      `phys ${hex(BigInt(pfn) * BigInt(o.kernel.pageSize))}`,
      sec ? `section ${sec.nr} · ${sec.state}` : `section ${Math.floor(pfn / o.pfnsPerSection)}`,
      blk ? `memory${blk.id}` : '',
      c === undefined
        ? 'class: loading…'
        : c[0] === c[1]
          ? `unchanged: ${o.classNames[c[0]]}`
          : `changed: ${o.classNames[c[0]]} → ${o.classNames[c[1]]}`,
    ].filter(Boolean);
  }
}

function buildDiffApp(d: DiffOverview): void {
  const o = d.map;
  const theme = themeColours();
  const aspect = (window.innerWidth * 0.6) / Math.max(200, window.innerHeight - 230);
  const absent = absentRuns(o);
  const layout = chooseLayout(o.startPfn, o.endPfn, o.pfnsPerSection, o.pfnsPerBlock, aspect, absent);
  const cells = new DiffCells(d);
  let map!: DiffMapView;
  const store = new ClassStore(
    o,
    absent,
    async (startPfn, count) => {
      const r = await channel.request('diffSectionData', { startPfn, count });
      return { startPfn: r.startPfn, classes: cells.arrived(r.startPfn, r.a, r.b) };
    },
    (from, to) => map.dataArrived(from, to),
  );
  cells.attach(store);
  let selected: number | undefined;
  // hidden and shown again, the panel comes back where it was (webview state, like the single panel's)
  const saved = loadState();
  map = new DiffMapView(
    d,
    cells,
    o,
    layout,
    store,
    { select: (pfn) => inspectPage(pfn), viewChanged: (view) => saveState({ view }) },
    saved.view,
    new Set(),
  );
  map.ranksFor = () => diffRanks(o.classNames);

  const inspector = h(
    'div',
    { class: 'inspector', 'aria-live': 'polite' },
    h(
      'p',
      { class: 'hint' },
      'Click a page on the map (or press Enter on it) to see it in both snapshots. n / N: next / previous changed page.',
    ),
  );
  const changes = h('div', { class: 'overview diff-changes' });
  const tabs = hx(
    'vscode-tabs',
    { 'selected-index': '0', class: 'side-tabs' },
    hx('vscode-tab-header', { slot: 'header' }, 'Changes'),
    hx('vscode-tab-panel', {}, changes),
    hx('vscode-tab-header', { slot: 'header' }, 'Inspector'),
    hx('vscode-tab-panel', {}, inspector),
  );
  const showTab = (i: number) => ((tabs as unknown as { selectedIndex: number }).selectedIndex = i);

  const act: InspectorActions = {
    openSource: (ref) => channel.event({ type: 'openSource', ref }),
    reveal: (pfn) => {
      map.reveal(pfn);
      inspectPage(pfn);
    },
  };

  let request = 0;
  /** Shows a page on both sides; the matrix keeps its tab in front (showTab false) so its cells stay at hand. */
  function inspectPage(pfn: number, show = true): void {
    selected = pfn;
    saveState({ selectedPfn: pfn });
    if (show) showTab(1);
    const my = ++request;
    inspector.replaceChildren(
      h('p', {}, map.describe(pfn).join(' · ')),
      h('p', { class: 'hint' }, 'reading the page in both snapshots…'),
    );
    channel.request('diffPageDetail', { pfn }).then(
      (p) => my === request && inspector.replaceChildren(renderDiffPage(pfn, p, d, theme, act)),
      (e) =>
        my === request &&
        inspector.replaceChildren(
          h('p', { class: 'error' }, `Cannot read page ${pfn}: ${e instanceof Error ? e.message : e}`),
        ),
    );
  }
  function inspectBlock(r: DiffBlockRow): void {
    showTab(1);
    map.showRange(r.startPfn, r.nrPfns);
    ++request;
    inspector.replaceChildren(renderDiffBlock(r, d, act.reveal));
  }

  // The view mode: new or old class of changed pages, and the transition filter.
  const filterMsg = h('span', { class: 'diff-filter-msg', 'aria-live': 'polite' });
  const setMode = (patch: Partial<DiffCells['mode']>) => {
    cells.mode = { ...cells.mode, ...patch };
    cells.redraw();
    map.dataArrived(o.startPfn, o.endPfn);
    oldToggle.setAttribute('aria-pressed', String(cells.mode.old));
    const f = cells.mode.filter;
    filterMsg.textContent = f ? `showing only ${o.classNames[f[0]]} → ${o.classNames[f[1]]}` : '';
    renderChanges();
  };
  const oldToggle = h(
    'button',
    {
      class: 'fold-toggle diff-old-toggle',
      type: 'button',
      'aria-pressed': 'false',
      title: 'Changed pages in the colour of their class in the first snapshot (a) instead of the second (b)',
    },
    h('span', { class: 'codicon codicon-history' }),
    ' Show old class',
  );
  oldToggle.addEventListener('click', () => setMode({ old: !cells.mode.old }));
  const renderChanges = () =>
    changes.replaceChildren(
      h('h3', {}, 'Transitions (from a to b)'),
      renderMatrix(d, theme, cells.mode.filter, (t) => {
        setMode({ filter: t });
        if (t) void jump(1, o.startPfn - 1, false);
      }),
      h('h3', {}, 'Memory blocks that changed'),
      renderDiffBlocks(d, inspectBlock, act.reveal),
    );

  /** Moves to the next (1) or previous (-1) changed page of the filtered transition, or of any. */
  async function jump(direction: 1 | -1, from = selected ?? o.startPfn - 1, show = true): Promise<void> {
    const pfn = await channel.request('nextChange', { fromPfn: from, direction, transition: cells.mode.filter });
    if (pfn === null) searchMsg.textContent = direction === 1 ? 'no further changed page' : 'no earlier changed page';
    else {
      searchMsg.textContent = '';
      map.reveal(pfn);
      inspectPage(pfn, show);
    }
  }

  const searchBox = hx('vscode-textfield', {
    placeholder: 'PFN, pa 0x…, section N, block N',
    'aria-label': 'Search by PFN, physical address, section or block',
    class: 'search',
  });
  const searchMsg = h('span', { class: 'search-msg', 'aria-live': 'polite' });
  searchBox.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key !== 'Enter') return;
    const t = parseSearch((searchBox as unknown as { value: string }).value, o.kernel.pageSize, o.endPfn);
    searchMsg.textContent = '';
    if (t.kind === 'error') searchMsg.textContent = t.message;
    else if (t.kind === 'pfn') {
      if (t.pfn < o.startPfn || t.pfn >= o.endPfn)
        searchMsg.textContent = `PFN ${t.pfn} is outside both snapshots (${o.startPfn}–${o.endPfn - 1})`;
      else {
        searchMsg.textContent = t.note ?? '';
        act.reveal(t.pfn);
      }
    } else if (t.kind === 'section') {
      const s = o.sections.find((x) => x.nr === t.nr);
      if (s) map.showRange(s.startPfn, s.nrPfns);
      else searchMsg.textContent = `no section ${t.nr} in either snapshot`;
    } else {
      const row = d.blocks.find((x) => x.id === t.id);
      const b = o.blocks.find((x) => x.id === t.id);
      if (row) inspectBlock(row);
      else if (b) map.showRange(b.startPfn, b.nrPfns);
      else searchMsg.textContent = `no memory block ${t.id} in either snapshot`;
    }
  });
  const button = (icon: string, label: string, onClick: () => void) => {
    const b = hx('vscode-button', { icon, secondary: '', title: label, 'aria-label': label });
    b.addEventListener('click', onClick);
    return b;
  };
  const zoomCentre = (f: number) => {
    const v = map.currentView;
    const cx = v.x + map.canvas.width / 2 / v.cellPx;
    const cy = v.y + map.canvas.height / 2 / v.cellPx;
    const cellPx = Math.min(48, v.cellPx * f);
    return { x: cx - map.canvas.width / 2 / cellPx, y: cy - map.canvas.height / 2 / cellPx, cellPx };
  };
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    searchBox,
    button('zoom-in', 'Zoom in (+)', () => map.setView(zoomCentre(1.6))),
    button('zoom-out', 'Zoom out (-)', () => map.setView(zoomCentre(1 / 1.6))),
    button('screen-full', 'Whole machine (0)', () => map.fit()),
    button('arrow-up', 'Previous changed page (N)', () => void jump(-1)),
    button('arrow-down', 'Next changed page (n)', () => void jump(1)),
    oldToggle,
    filterMsg,
    searchMsg,
  );
  map.canvas.addEventListener('keydown', (e) => {
    if (e.key === 'n' || e.key === 'N') {
      e.preventDefault();
      void jump(e.key === 'n' ? 1 : -1);
    }
  });
  const help = h(
    'details',
    { class: 'map-help' },
    h(
      'summary',
      {},
      `1 cell = 1 page · bright: changed (colour of its class in ${d.b.title}; "Show old class": in ${d.a.title}) · dim: unchanged`,
    ),
    h(
      'ul',
      {},
      h(
        'li',
        {},
        'Every PFN either snapshot covers is compared; outside its range a vmcore or capture counts as no-memmap, a crash/drgn listing as not-in-listing.',
      ),
      h('li', {}, 'Zoomed out, a pixel shows a changed page over unchanged ones, so a single change stays visible.'),
      h(
        'li',
        {},
        'A cell of the transition matrix shows only its pages bright (other changes half-dimmed); n / N jump to the next / previous one.',
      ),
      h(
        'li',
        {},
        'Drag to pan, wheel or +/- to zoom, 0 for the whole machine, arrow keys move the page cursor, Enter or a click inspects the page in both snapshots.',
      ),
    ),
  );

  const headerEl = renderDiffHeader(d, 'webgl2');
  app.replaceChildren(
    headerEl,
    h(
      'main',
      { class: 'body' },
      h('section', { class: 'map-col', 'aria-label': 'Memory map of the changes' }, toolbar, help, map.element),
      h('aside', { class: 'side' }, tabs),
    ),
  );
  map.start();
  headerEl.replaceWith(renderDiffHeader(d, map.rendererKind));
  const palette = () => map.setPalette(diffPaletteRgba(o.classNames, o.settings.palette, theme));
  palette();
  map.drawNow();
  renderChanges();
  if (saved.selectedPfn !== undefined && saved.selectedPfn >= o.startPfn && saved.selectedPfn < o.endPfn) {
    map.select(saved.selectedPfn);
    inspectPage(saved.selectedPfn);
  }
  document.body.dataset.ready = 'true';
  onSettings = (s) => {
    o.settings = s;
    palette();
    renderChanges();
  };
  new MutationObserver(() => {
    Object.assign(theme, themeColours());
    map.readTheme();
    palette();
    renderChanges();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  // Read-only facts for the Chromium tests.
  (window as unknown as { kmemmapDiff: unknown }).kmemmapDiff = { overview: d, map, store, cells, layout };
}
