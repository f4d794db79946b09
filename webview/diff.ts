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

import type { DiffOverview } from '../shared/diffProtocol';
import type { HostEvent } from '../shared/protocol';
import { findByPfn, PROTOCOL_VERSION } from '../shared/protocol';
import { absentRuns } from './absentRuns';
import { ClassStore } from './classStore';
import { DiffCells, diffPaletteRgba, diffRanks } from './diffCells';
import { createDiffSidePanel, type DiffSidePanel } from './diffSidePanel';
import { createDiffToolbar, type DiffToolbar } from './diffToolbar';
import { renderDiffHeader } from './diffViews';
import { h, hex } from './dom';
import { physHex } from '../shared/geometry';
import { renderFailure, renderLoading } from './errorView';
import { connectHost, vscodeApi } from './hostChannel';
import { chooseLayout } from './mapLayout';
import { MapView } from './mapView';
import { themeColours, type ThemeColours } from './palette';
import { loadState, saveState, type PanelState } from './viewState';

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
      `phys ${physHex(pfn, o.kernel.pageShift)}`,
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

/** The map over display bytes, the class store that fills it from the host, and the cells behind both. */
function createDiffMap(d: DiffOverview, saved: PanelState, select: (pfn: number) => void) {
  const o = d.map;
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
  map = new DiffMapView(
    d,
    cells,
    o,
    layout,
    store,
    { select, viewChanged: (view) => saveState({ view }) },
    saved.view,
    new Set(),
  );
  map.ranksFor = () => diffRanks(o.classNames);
  return { map, store, cells, layout };
}

/** The map's help: what bright and dim mean, and the keys. */
function mapHelp(d: DiffOverview): HTMLElement {
  return h(
    'details',
    { class: 'map-help' },
    h(
      'summary',
      {},
      `1 cell = 1 page (${d.map.kernel.pageSize / 1024} KiB) · bright: changed (colour of its class in ${d.b.title}; "Show old class": in ${d.a.title}) · dim: unchanged`,
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
}

/** Palette, changes and map follow the host's settings and the VS Code theme. */
function followSettingsAndTheme(
  o: DiffOverview['map'],
  theme: ThemeColours,
  map: DiffMapView,
  side: DiffSidePanel,
): void {
  const palette = () => map.setPalette(diffPaletteRgba(o.classNames, o.settings.palette, theme));
  palette();
  map.drawNow();
  side.renderChanges();
  onSettings = (s) => {
    o.settings = s;
    palette();
    side.renderChanges();
  };
  new MutationObserver(() => {
    Object.assign(theme, themeColours());
    map.readTheme();
    palette();
    side.renderChanges();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

function buildDiffApp(d: DiffOverview): void {
  const o = d.map;
  const theme = themeColours();
  // hidden and shown again, the panel comes back where it was (webview state, like the single panel's)
  const saved = loadState();
  let side!: DiffSidePanel;
  let toolbar!: DiffToolbar;
  const { map, store, cells, layout } = createDiffMap(d, saved, (pfn) => side.inspectPage(pfn));
  side = createDiffSidePanel({
    d,
    theme,
    channel,
    map,
    cells,
    onTransition: (t) => {
      toolbar.setMode({ filter: t });
      if (t) void toolbar.jump(1, o.startPfn - 1, false);
    },
  });
  toolbar = createDiffToolbar({
    d,
    map,
    cells,
    channel,
    selected: side.selected,
    reveal: side.actions.reveal,
    inspectPage: side.inspectPage,
    inspectBlock: side.inspectBlock,
    modeChanged: () => side.renderChanges(),
  });
  map.canvas.addEventListener('keydown', (e) => {
    if (e.key === 'n' || e.key === 'N') {
      e.preventDefault();
      void toolbar.jump(e.key === 'n' ? 1 : -1);
    }
  });

  const headerEl = renderDiffHeader(d, 'webgl2');
  app.replaceChildren(
    headerEl,
    h(
      'main',
      { class: 'body' },
      h(
        'section',
        { class: 'map-col', 'aria-label': 'Memory map of the changes' },
        toolbar.element,
        mapHelp(d),
        map.element,
      ),
      h('aside', { class: 'side' }, side.element),
    ),
  );
  map.start();
  headerEl.replaceWith(renderDiffHeader(d, map.rendererKind));
  followSettingsAndTheme(o, theme, map, side);
  if (saved.selectedPfn !== undefined && saved.selectedPfn >= o.startPfn && saved.selectedPfn < o.endPfn) {
    map.select(saved.selectedPfn);
    side.inspectPage(saved.selectedPfn);
  }
  document.body.dataset.ready = 'true';

  // Read-only facts for the Chromium tests.
  (window as unknown as { kmemmapDiff: unknown }).kmemmapDiff = { overview: d, map, store, cells, layout };
}
