// The side panel: tabs for the overview table (memory blocks, or sections) and the inspector, and
// the requests that fill the inspector with a page's details or a block's verdict (the newest wins).

import type { MessageChannel } from '../shared/messageChannel';
import type { BlockInfo, HostEvent, Overview, SectionInfo, ViewSettings, WebviewEvent } from '../shared/protocol';
import { renderBlockTable } from './blockTable';
import { h, hx } from './dom';
import { renderBlockDetail, renderPageDetail, type InspectorActions } from './inspector';
import type { MapView } from './mapView';
import type { ThemeColours } from './palette';
import { saveState } from './viewState';

export interface SidePanelDeps {
  o: Overview;
  theme: ThemeColours;
  channel: MessageChannel<HostEvent, WebviewEvent>;
  map: MapView;
  /** The view settings in force (they change with the host's settings events). */
  settings: () => ViewSettings;
  /** The tab saved in the panel state. */
  tab?: string;
}

export interface SidePanel {
  /** The tabs, for the page's aside. */
  element: HTMLElement;
  /** What the inspector's links do (also the host's reveal event and the search). */
  actions: InspectorActions;
  inspectPage(pfn: number): void;
  inspectBlock(b: BlockInfo): void;
  /** (Re)draws the overview table, after the first picture and when settings or theme change. */
  renderOverview(): void;
}

export function createSidePanel(d: SidePanelDeps): SidePanel {
  const { o, theme, channel, map } = d;
  const inspector = h(
    'div',
    { class: 'inspector', 'aria-live': 'polite' },
    h(
      'p',
      { class: 'hint' },
      'Click a page on the map (or press Enter on it) to see its flags, type, counts and the rule that classified it. Click a block in the overview for its offlining verdict and blocking pages.',
    ),
  );
  const overviewPanel = h('div', { class: 'overview' });
  const tabs = hx(
    'vscode-tabs',
    { 'selected-index': d.tab === 'inspector' ? '1' : '0', class: 'side-tabs' },
    hx('vscode-tab-header', { slot: 'header' }, o.blocks.length ? 'Memory blocks' : 'Sections'),
    hx('vscode-tab-panel', {}, overviewPanel),
    hx('vscode-tab-header', { slot: 'header' }, 'Inspector'),
    hx('vscode-tab-panel', {}, inspector),
  );
  tabs.addEventListener('vsc-tabs-select', (e) =>
    saveState({
      tab: (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex === 1 ? 'inspector' : 'overview',
    }),
  );
  const showTab = (i: number) => ((tabs as unknown as { selectedIndex: number }).selectedIndex = i);

  const act: InspectorActions = {
    openSource: (ref) => channel.event({ type: 'openSource', ref }),
    askDebugger: (pfn) => channel.event({ type: 'askDebugger', pfn }),
    reveal: (pfn) => {
      map.reveal(pfn);
      inspectPage(pfn);
    },
  };

  let pageRequest = 0;
  function inspectPage(pfn: number): void {
    saveState({ selectedPfn: pfn });
    showTab(1);
    const my = ++pageRequest;
    inspector.replaceChildren(
      h('p', {}, map.describe(pfn).join(' · ')),
      h('p', { class: 'hint' }, 'reading page details…'),
    );
    channel.request('pageDetail', { pfn }).then(
      (detail) => {
        if (my !== pageRequest) return;
        inspector.replaceChildren(
          detail ? renderPageDetail(detail, o, theme, act) : h('p', {}, `PFN ${pfn} is outside this snapshot.`),
        );
      },
      (e) =>
        my === pageRequest &&
        inspector.replaceChildren(
          h('p', { class: 'error' }, `Cannot read page ${pfn}: ${e instanceof Error ? e.message : e}`),
        ),
    );
  }

  function inspectBlock(b: BlockInfo): void {
    showTab(1);
    map.showRange(b.startPfn, b.nrPfns);
    const my = ++pageRequest;
    const rules = d.settings().offlineRules;
    inspector.replaceChildren(renderBlockDetail(b, o, theme, rules, undefined, act));
    channel.request('blockingPages', { block: b.id, rules, limit: 200 }).then(
      (r) =>
        my === pageRequest &&
        inspector.replaceChildren(renderBlockDetail(b, o, theme, d.settings().offlineRules, r, act)),
      () => undefined,
    );
  }

  const pick = (it: BlockInfo | SectionInfo, kind: 'block' | 'section') => {
    if (kind === 'block') inspectBlock(it as BlockInfo);
    else map.showRange(it.startPfn, it.nrPfns);
  };
  const renderOverview = () =>
    overviewPanel.replaceChildren(renderBlockTable(o, theme, d.settings().offlineRules, pick));

  return { element: tabs, actions: act, inspectPage, inspectBlock, renderOverview };
}
