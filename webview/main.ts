// Webview entry: asks the host for the overview, then builds the header, legend, map, block
// overview and inspector. Everything from a dump reaches the DOM through textContent (dom.ts).

import '@vscode/codicons/dist/codicon.css';
import './styles.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';

import type { BlockInfo, HostEvent, Overview, SectionInfo } from '../shared/protocol';
import { findByPfn, PROTOCOL_VERSION } from '../shared/protocol';
import { renderBlockTable } from './blockTable';
import { ClassStore } from './classStore';
import { h, hx } from './dom';
import { renderFailure, renderLoading } from './errorView';
import { renderHeader } from './header';
import { connectHost } from './hostChannel';
import { renderBlockDetail, renderPageDetail, type InspectorActions } from './inspector';
import { Legend } from './legend';
import { absentRuns } from './absentRuns';
import { chooseLayout } from './mapLayout';
import { MapView } from './mapView';
import { paletteRgba, themeColours } from './palette';
import { parseSearch } from './searchQuery';
import { loadState, saveState } from './viewState';

const app = document.getElementById('app')!;
const uri = document.body.dataset.snapshotUri ?? '';
const title = document.body.dataset.snapshotTitle ?? 'snapshot';
saveState({ uri });

const loading = renderLoading(title);
app.replaceChildren(loading.element);

let failed = false;
let onSettings: ((o: Overview['settings']) => void) | undefined;
const channel = connectHost((e: HostEvent) => {
  if (e.type === 'progress') loading.setProgress(e.message, e.fraction);
  else if (e.type === 'failed') showFailure(e);
  else if (e.type === 'settings') onSettings?.(e.settings);
  else if (e.type === 'reveal') revealHook?.(e.pfn);
});
let revealHook: ((pfn: number) => void) | undefined;

function showFailure(f: { file: string; problem: string; hint?: string }): void {
  failed = true;
  app.replaceChildren(renderFailure(f, () => channel.event({ type: 'retry' })));
}

channel
  .request('ready', { protocolVersion: PROTOCOL_VERSION })
  .then((o) => {
    performance.mark('kmemmap-overview');
    try {
      buildApp(o);
    } catch (e) {
      showFailure({ file: title, problem: `the panel could not show this snapshot: ${e instanceof Error ? e.message : e}`, hint: 'please report this with the "Kernel Memmap" output channel contents' });
      channel.event({ type: 'log', message: `webview error: ${e instanceof Error ? e.stack : e}` });
    }
  })
  .catch((e) => {
    // The host also sends a 'failed' event with the file and a hint; this covers everything else.
    if (!failed) showFailure({ file: title, problem: e instanceof Error ? e.message : String(e) });
  });

function buildApp(o: Overview): void {
  const state = loadState();
  const theme = themeColours();
  // The map takes about 60% of the width and the height below header and legend.
  const aspect = (window.innerWidth * 0.6) / Math.max(200, window.innerHeight - 230);
  const absent = absentRuns(o);
  let fold = state.foldAbsent ?? true;
  const layoutFor = (f: boolean) => chooseLayout(o.startPfn, o.endPfn, o.pfnsPerSection, o.pfnsPerBlock, aspect, f ? absent : []);
  let layout = layoutFor(fold);
  let hidden = new Set(state.hiddenClasses ?? []);
  let settings = o.settings;

  let map!: MapView;
  const store = new ClassStore(o, absent, (startPfn, count) => channel.request('sectionData', { startPfn, count }), (from, to) => map.dataArrived(from, to));
  performance.mark('kmemmap-store-filled');
  // A saved camera belongs to the layout it was saved with.
  const initialView = (state.foldAbsent ?? true) === fold ? state.view : undefined;
  map = new MapView(o, layout, store, { select: (pfn) => inspectPage(pfn), viewChanged: (view) => saveState({ view }) }, initialView, hidden);

  // Sidebar: tabs for the overview table and the inspector.
  const inspector = h('div', { class: 'inspector', 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Click a page on the map (or press Enter on it) to see its flags, type, counts and the rule that classified it. Click a block in the overview for its offlining verdict and blocking pages.'));
  const overviewPanel = h('div', { class: 'overview' });
  const tabs = hx(
    'vscode-tabs',
    { 'selected-index': state.tab === 'inspector' ? '1' : '0', class: 'side-tabs' },
    hx('vscode-tab-header', { slot: 'header' }, o.blocks.length ? 'Memory blocks' : 'Sections'),
    hx('vscode-tab-panel', {}, overviewPanel),
    hx('vscode-tab-header', { slot: 'header' }, 'Inspector'),
    hx('vscode-tab-panel', {}, inspector),
  );
  tabs.addEventListener('vsc-tabs-select', (e) => saveState({ tab: (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex === 1 ? 'inspector' : 'overview' }));
  const showTab = (i: number) => ((tabs as unknown as { selectedIndex: number }).selectedIndex = i);

  const act: InspectorActions = {
    openSource: (ref) => channel.event({ type: 'openSource', ref }),
    askDebugger: (pfn) => channel.event({ type: 'askDebugger', pfn }),
    reveal: (pfn) => {
      map.reveal(pfn);
      inspectPage(pfn);
    },
  };
  revealHook = act.reveal;

  let pageRequest = 0;
  function inspectPage(pfn: number): void {
    saveState({ selectedPfn: pfn });
    showTab(1);
    const my = ++pageRequest;
    inspector.replaceChildren(h('p', {}, map.describe(pfn).join(' · ')), h('p', { class: 'hint' }, 'reading page details…'));
    channel.request('pageDetail', { pfn }).then(
      (d) => {
        if (my !== pageRequest) return;
        inspector.replaceChildren(d ? renderPageDetail(d, o, theme, act) : h('p', {}, `PFN ${pfn} is outside this snapshot.`));
      },
      (e) => my === pageRequest && inspector.replaceChildren(h('p', { class: 'error' }, `Cannot read page ${pfn}: ${e instanceof Error ? e.message : e}`)),
    );
  }

  function inspectBlock(b: BlockInfo): void {
    showTab(1);
    map.showRange(b.startPfn, b.nrPfns);
    const my = ++pageRequest;
    inspector.replaceChildren(renderBlockDetail(b, o, theme, settings.offlineRules, undefined, act));
    channel.request('blockingPages', { block: b.id, rules: settings.offlineRules, limit: 200 }).then(
      (r) => my === pageRequest && inspector.replaceChildren(renderBlockDetail(b, o, theme, settings.offlineRules, r, act)),
      () => undefined,
    );
  }

  const pick = (it: BlockInfo | SectionInfo, kind: 'block' | 'section') => {
    if (kind === 'block') inspectBlock(it as BlockInfo);
    else map.showRange(it.startPfn, it.nrPfns);
  };
  const renderOverview = () => overviewPanel.replaceChildren(renderBlockTable(o, theme, settings.offlineRules, pick));

  // Toolbar: search and zoom.
  const searchBox = hx('vscode-textfield', { placeholder: 'PFN, pa 0x…, section N, block N', 'aria-label': 'Search by PFN, physical address, section or block', class: 'search' });
  const searchMsg = h('span', { class: 'search-msg', 'aria-live': 'polite' });
  searchBox.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key !== 'Enter') return;
    const q = (searchBox as unknown as { value: string }).value;
    const t = parseSearch(q, o.kernel.pageSize, o.endPfn);
    searchMsg.textContent = '';
    if (t.kind === 'error') searchMsg.textContent = t.message;
    else if (t.kind === 'pfn') {
      if (t.pfn < o.startPfn || t.pfn >= o.endPfn) searchMsg.textContent = `PFN ${t.pfn} is outside this snapshot (${o.startPfn}–${o.endPfn - 1})`;
      else {
        searchMsg.textContent = t.note ?? '';
        act.reveal(t.pfn);
      }
    } else if (t.kind === 'section') {
      const s = o.sections.find((x) => x.nr === t.nr);
      if (s) map.showRange(s.startPfn, s.nrPfns);
      else searchMsg.textContent = `no section ${t.nr} in this snapshot`;
    } else {
      const b = o.blocks.find((x) => x.id === t.id);
      if (b) inspectBlock(b);
      else searchMsg.textContent = `no memory block ${t.id} in this snapshot`;
    }
  });
  const button = (icon: string, label: string, onClick: () => void) => {
    const b = hx('vscode-button', { icon, secondary: '', title: label, 'aria-label': label });
    b.addEventListener('click', onClick);
    return b;
  };
  // Absent memory (holes, unpopulated hotplug space) folded into thin labelled separators.
  const foldButton = h('button', { class: 'fold-toggle', type: 'button', 'aria-pressed': String(fold), title: absent.length ? 'Fold runs of absent sections (no memmap) into one thin labelled row each' : 'This snapshot has no absent sections to fold' }, h('span', { class: 'codicon codicon-fold' }), ' Fold absent memory');
  if (!absent.length) foldButton.setAttribute('disabled', '');
  foldButton.addEventListener('click', () => {
    fold = !fold;
    foldButton.setAttribute('aria-pressed', String(fold));
    saveState({ foldAbsent: fold, view: undefined });
    layout = layoutFor(fold);
    map.setLayout(layout);
    hooks.layout = layout;
  });
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    searchBox,
    button('zoom-in', 'Zoom in (+)', () => map.setView(zoomCentre(1.6))),
    button('zoom-out', 'Zoom out (-)', () => map.setView(zoomCentre(1 / 1.6))),
    button('screen-full', 'Whole machine (0)', () => map.fit()),
    foldButton,
    searchMsg,
  );
  const zoomCentre = (f: number) => {
    const v = map.currentView;
    const cx = v.x + map.canvas.width / 2 / v.cellPx;
    const cy = v.y + map.canvas.height / 2 / v.cellPx;
    const cellPx = Math.min(48, v.cellPx * f);
    return { x: cx - map.canvas.width / 2 / cellPx, y: cy - map.canvas.height / 2 / cellPx, cellPx };
  };

  const legend = new Legend(o, hidden, (hid) => {
    hidden = hid;
    saveState({ hiddenClasses: [...hid] });
    map.setHidden(hidden);
    map.setPalette(paletteRgba(o.classNames, settings.palette, theme, hidden));
  });

  const headerEl = renderHeader(o, 'webgl2');
  app.replaceChildren(
    headerEl,
    legend.element,
    h('main', { class: 'body' }, h('section', { class: 'map-col', 'aria-label': 'Memory map' }, toolbar, mapHelp(o, layout.rowPfns), map.element), h('aside', { class: 'side' }, tabs)),
  );
  map.start();
  // The header names the renderer actually in use.
  headerEl.replaceWith(renderHeader(o, map.rendererKind));
  legend.render(theme);
  performance.mark('kmemmap-legend-built');
  map.setPalette(paletteRgba(o.classNames, settings.palette, theme, hidden));
  map.drawNow(); // the first picture now, not after the section answers that are already queued
  // The block table (hundreds of rows on big machines) after the map has been painted.
  requestAnimationFrame(() =>
    setTimeout(() => {
      renderOverview();
      performance.mark('kmemmap-table-built');
      document.body.dataset.ready = 'true';
    }),
  );
  if (state.selectedPfn !== undefined && state.selectedPfn >= o.startPfn && state.selectedPfn < o.endPfn) map.select(state.selectedPfn);

  onSettings = (s) => {
    settings = s;
    o.settings = s;
    legend.render(theme);
    renderOverview();
    map.setPalette(paletteRgba(o.classNames, settings.palette, theme, hidden));
  };
  // Theme changes: VS Code swaps the body class; re-read colours.
  new MutationObserver(() => {
    const t = themeColours();
    Object.assign(theme, t);
    map.readTheme();
    legend.render(theme);
    renderOverview();
    map.setPalette(paletteRgba(o.classNames, settings.palette, theme, hidden));
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  // Hooks for the Chromium tests and the benchmark (read-only facts, no behaviour).
  const hooks = {
    overview: o,
    layout,
    map,
    store,
    absent,
    firstPicture: map.firstPicture,
    findSection: (pfn: number) => findByPfn(o.sections, pfn),
  };
  (window as unknown as { kmemmap: unknown }).kmemmap = hooks;
}

/** One short line that tells a first-time user how to read the map; the details behind a disclosure. */
function mapHelp(o: Overview, rowPfns: number): HTMLElement {
  const kib = o.kernel.pageSize / 1024;
  const sec = (o.pfnsPerSection * o.kernel.pageSize) / 2 ** 20;
  const blk = (o.pfnsPerBlock * o.kernel.pageSize) / 2 ** 20;
  const details = [
    `One cell per ${kib} KiB page frame, ${rowPfns} per row, lowest physical address top-left; the labels give the physical address and memory block where a row starts.`,
    `Thin lines: ${sec} MiB sections` + (o.pfnsPerBlock && o.blocks.length ? `; blue lines: ${blk} MiB memory blocks.` : '.'),
    'Zoomed out, a pixel shows the most important class among its pages (PALETTE.md order) and a ring marks hwpoison and offline-unmovable pages, so a single blocking page stays visible.',
    'Hatched rows: absent memory (no memmap), folded into one row; the "Fold absent memory" button unfolds it.',
    'Drag to pan, wheel or +/- to zoom, 0 for the whole machine, click a page to inspect it; click a legend entry to hide or show a class.',
  ];
  return h(
    'details',
    { class: 'map-help' },
    h('summary', { title: details.join(' ') }, `1 cell = 1 page (${kib} KiB), ${rowPfns} per row · drag to pan, wheel to zoom, click to inspect`),
    h('ul', {}, ...details.map((d) => h('li', {}, d))),
  );
}
