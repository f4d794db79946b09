// The diff panel's side: tabs for the changes (the transition matrix that filters the map, and the
// memory blocks that changed) and the inspector of a page on both sides or of a changed block (the
// newest request wins).

import type { DiffBlockRow, DiffOverview } from '../shared/diffProtocol';
import type { MessageChannel } from '../shared/messageChannel';
import type { HostEvent, WebviewEvent } from '../shared/protocol';
import type { DiffCells } from './diffCells';
import { renderDiffBlock, renderDiffBlocks, renderDiffPage, renderMatrix } from './diffViews';
import { h, hx } from './dom';
import type { InspectorActions } from './inspector';
import type { MapView } from './mapView';
import type { ThemeColours } from './palette';
import { saveState } from './viewState';

export interface DiffSidePanelDeps {
  d: DiffOverview;
  theme: ThemeColours;
  channel: MessageChannel<HostEvent, WebviewEvent>;
  map: MapView;
  cells: DiffCells;
  /** A cell of the transition matrix was clicked: the transition to filter by, or undefined for none. */
  onTransition(t: DiffCells['mode']['filter']): void;
}

export interface DiffSidePanel {
  /** The tabs. */
  element: HTMLElement;
  actions: InspectorActions;
  /** The page last inspected. */
  selected(): number | undefined;
  /** Shows a page on both sides; show false keeps the changes tab in front so the matrix stays at hand. */
  inspectPage(pfn: number, show?: boolean): void;
  inspectBlock(r: DiffBlockRow): void;
  /** Redraws the matrix and the changed blocks (filter, palette or theme changed). */
  renderChanges(): void;
}

export function createDiffSidePanel(deps: DiffSidePanelDeps): DiffSidePanel {
  const { d, theme, channel, map, cells } = deps;
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

  const actions: InspectorActions = {
    openSource: (ref) => channel.event({ type: 'openSource', ref }),
    reveal: (pfn) => {
      map.reveal(pfn);
      inspectPage(pfn);
    },
  };

  let selected: number | undefined;
  let request = 0;
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
      (p) => my === request && inspector.replaceChildren(renderDiffPage(pfn, p, d, theme, actions)),
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
    inspector.replaceChildren(renderDiffBlock(r, d, actions.reveal));
  }
  const renderChanges = () =>
    changes.replaceChildren(
      h('h3', {}, 'Transitions (from a to b)'),
      renderMatrix(d, theme, cells.mode.filter, deps.onTransition),
      h('h3', {}, 'Memory blocks that changed'),
      renderDiffBlocks(d, inspectBlock, actions.reveal),
    );

  return { element: tabs, actions, selected: () => selected, inspectPage, inspectBlock, renderChanges };
}
