// Webview entry: asks the host for the overview, then builds the header, legend, map, block
// overview and inspector. Everything from a dump reaches the DOM through textContent (dom.ts).

import '@vscode/codicons/dist/codicon.css';
import './styles.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';

import type { HostEvent, Overview } from '../shared/protocol';
import { findByPfn, PROTOCOL_VERSION } from '../shared/protocol';
import { ClassStore } from './classStore';
import { h } from './dom';
import { renderFailure, renderLoading } from './errorView';
import { renderHeader } from './header';
import { connectHost } from './hostChannel';
import { Legend } from './legend';
import { absentRuns, type PfnRange } from './absentRuns';
import { chooseLayout, type MapLayout } from './mapLayout';
import { MapView } from './mapView';
import { paletteRgba, themeColours, type ThemeColours } from './palette';
import { createSidePanel } from './sidePanel';
import { createToolbar } from './toolbar';
import type { View } from './viewport';
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
      showFailure({
        file: title,
        problem: `the panel could not show this snapshot: ${e instanceof Error ? e.message : e}`,
        hint: 'please report this with the "Kernel Memmap" output channel contents',
      });
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
  const layoutFor = (f: boolean) =>
    chooseLayout(o.startPfn, o.endPfn, o.pfnsPerSection, o.pfnsPerBlock, aspect, f ? absent : []);
  let layout = layoutFor(fold);
  let hidden = new Set(state.hiddenClasses ?? []);
  let settings = o.settings;

  // A saved camera belongs to the layout it was saved with.
  const initialView = (state.foldAbsent ?? true) === fold ? state.view : undefined;
  const { map, store } = createMap(o, layout, absent, hidden, initialView, (pfn) => side.inspectPage(pfn));
  // Sidebar: tabs for the overview table and the inspector.
  const side = createSidePanel({ o, theme, channel, map, settings: () => settings, tab: state.tab });
  revealHook = side.actions.reveal;
  const toolbar = createToolbar({
    o,
    map,
    canFold: absent.length > 0,
    fold,
    reveal: side.actions.reveal,
    inspectBlock: side.inspectBlock,
    onFold: (f) => {
      fold = f;
      saveState({ foldAbsent: fold, view: undefined });
      layout = layoutFor(fold);
      map.setLayout(layout);
      hooks.layout = layout;
    },
  });
  const repaint = () => map.setPalette(paletteRgba(o.classNames, settings.palette, theme, hidden));
  const legend = new Legend(o, hidden, (hid) => {
    hidden = hid;
    saveState({ hiddenClasses: [...hid] });
    map.setHidden(hidden);
    repaint();
  });

  showApp(o, {
    map,
    legend,
    toolbar,
    side: side.element,
    rowPfns: layout.rowPfns,
    theme,
    repaint,
    renderOverview: side.renderOverview,
  });
  if (state.selectedPfn !== undefined && state.selectedPfn >= o.startPfn && state.selectedPfn < o.endPfn)
    map.select(state.selectedPfn);

  onSettings = (s) => {
    settings = s;
    o.settings = s;
    legend.render(theme);
    side.renderOverview();
    repaint();
  };
  followTheme(theme, map, legend, side.renderOverview, repaint);

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

/** The class store (coarse picture first, exact sections on demand) and the map drawing it. */
function createMap(
  o: Overview,
  layout: MapLayout,
  absent: PfnRange[],
  hidden: ReadonlySet<number>,
  initialView: View | undefined,
  select: (pfn: number) => void,
): { map: MapView; store: ClassStore } {
  let map!: MapView;
  const store = new ClassStore(
    o,
    absent,
    (startPfn, count) => channel.request('sectionData', { startPfn, count }),
    (from, to) => map.dataArrived(from, to),
  );
  performance.mark('kmemmap-store-filled');
  map = new MapView(o, layout, store, { select, viewChanged: (view) => saveState({ view }) }, initialView, hidden);
  return { map, store };
}

/** Puts header, legend, toolbar, map and side panel in the page and paints the first picture; the overview table follows. */
function showApp(
  o: Overview,
  p: {
    map: MapView;
    legend: Legend;
    toolbar: HTMLElement;
    side: HTMLElement;
    rowPfns: number;
    theme: ThemeColours;
    repaint: () => void;
    renderOverview: () => void;
  },
): void {
  const { map, legend } = p;
  const headerEl = renderHeader(o, 'webgl2');
  app.replaceChildren(
    headerEl,
    legend.element,
    h(
      'main',
      { class: 'body' },
      h('section', { class: 'map-col', 'aria-label': 'Memory map' }, p.toolbar, mapHelp(o, p.rowPfns), map.element),
      h('aside', { class: 'side' }, p.side),
    ),
  );
  map.start();
  // The header names the renderer actually in use.
  headerEl.replaceWith(renderHeader(o, map.rendererKind));
  legend.render(p.theme);
  performance.mark('kmemmap-legend-built');
  p.repaint();
  map.drawNow(); // the first picture now, not after the section answers that are already queued
  // The block table (hundreds of rows on big machines) after the map has been painted.
  requestAnimationFrame(() =>
    setTimeout(() => {
      p.renderOverview();
      performance.mark('kmemmap-table-built');
      document.body.dataset.ready = 'true';
    }),
  );
}

/** Theme changes: VS Code swaps the body class; re-read colours. */
function followTheme(
  theme: ThemeColours,
  map: MapView,
  legend: Legend,
  renderOverview: () => void,
  repaint: () => void,
): void {
  new MutationObserver(() => {
    const t = themeColours();
    Object.assign(theme, t);
    map.readTheme();
    legend.render(theme);
    renderOverview();
    repaint();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

/** One short line that tells a first-time user how to read the map; the details behind a disclosure. */
function mapHelp(o: Overview, rowPfns: number): HTMLElement {
  const kib = o.kernel.pageSize / 1024;
  const sec = (o.pfnsPerSection * o.kernel.pageSize) / 2 ** 20;
  const blk = (o.pfnsPerBlock * o.kernel.pageSize) / 2 ** 20;
  const details = [
    `One cell per ${kib} KiB page frame, ${rowPfns} per row, lowest physical address top-left; the labels give the physical address and memory block where a row starts.`,
    `Thin lines: ${sec} MiB sections` +
      (o.pfnsPerBlock && o.blocks.length ? `; blue lines: ${blk} MiB memory blocks.` : '.'),
    'Zoomed out, a pixel shows the most important class among its pages (PALETTE.md order) and a ring marks hwpoison and offline-unmovable pages, so a single blocking page stays visible.',
    'Hatched rows: absent memory (no memmap), folded into one row; the "Fold absent memory" button unfolds it.',
    'Drag to pan, wheel or +/- to zoom, 0 for the whole machine, click a page to inspect it; click a legend entry to hide or show a class.',
  ];
  return h(
    'details',
    { class: 'map-help' },
    h(
      'summary',
      { title: details.join(' ') },
      `1 cell = 1 page (${kib} KiB), ${rowPfns} per row · drag to pan, wheel to zoom, click to inspect`,
    ),
    h('ul', {}, ...details.map((d) => h('li', {}, d))),
  );
}
