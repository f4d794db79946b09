// The diff panel's toolbar: the search field (PFN, physical address, section, block), zoom and
// whole-machine buttons, previous/next changed page, and the view mode (old or new class of changed
// pages, the transition filter) with its message.

import type { DiffBlockRow, DiffOverview } from '../shared/diffProtocol';
import type { MessageChannel } from '../shared/messageChannel';
import type { HostEvent, WebviewEvent } from '../shared/protocol';
import type { DiffCells } from './diffCells';
import { h, hx } from './dom';
import type { MapView } from './mapView';
import { runSearch } from './searchQuery';

export interface DiffToolbarDeps {
  d: DiffOverview;
  map: MapView;
  cells: DiffCells;
  channel: MessageChannel<HostEvent, WebviewEvent>;
  /** The page last inspected, where n / N start from. */
  selected(): number | undefined;
  reveal(pfn: number): void;
  inspectPage(pfn: number, show?: boolean): void;
  inspectBlock(r: DiffBlockRow): void;
  /** The view mode changed (the map is already redrawn). */
  modeChanged(): void;
}

export interface DiffToolbar {
  element: HTMLElement;
  setMode(patch: Partial<DiffCells['mode']>): void;
  /** Moves to the next (1) or previous (-1) changed page of the filtered transition, or of any. */
  jump(direction: 1 | -1, from?: number, show?: boolean): Promise<void>;
}

export function createDiffToolbar(deps: DiffToolbarDeps): DiffToolbar {
  const { d, map, cells, channel } = deps;
  const o = d.map;
  const filterMsg = h('span', { class: 'diff-filter-msg', 'aria-live': 'polite' });
  const searchMsg = h('span', { class: 'search-msg', 'aria-live': 'polite' });
  const setMode = (patch: Partial<DiffCells['mode']>) => {
    cells.mode = { ...cells.mode, ...patch };
    cells.redraw();
    map.dataArrived(o.startPfn, o.endPfn);
    oldToggle.setAttribute('aria-pressed', String(cells.mode.old));
    const f = cells.mode.filter;
    filterMsg.textContent = f ? `showing only ${o.classNames[f[0]]} → ${o.classNames[f[1]]}` : '';
    deps.modeChanged();
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

  async function jump(direction: 1 | -1, from = deps.selected() ?? o.startPfn - 1, show = true): Promise<void> {
    const pfn = await channel.request('nextChange', { fromPfn: from, direction, transition: cells.mode.filter });
    if (pfn === null) searchMsg.textContent = direction === 1 ? 'no further changed page' : 'no earlier changed page';
    else {
      searchMsg.textContent = '';
      map.reveal(pfn);
      deps.inspectPage(pfn, show);
    }
  }

  const searchBox = hx('vscode-textfield', {
    placeholder: 'PFN, pa 0x…, section N, block N',
    'aria-label': 'Search by PFN, physical address, section or block',
    class: 'search',
  });
  searchBox.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key !== 'Enter') return;
    searchMsg.textContent = '';
    search((searchBox as unknown as { value: string }).value, deps, (m) => (searchMsg.textContent = m));
  });
  const zoomCentre = (f: number) => {
    const v = map.currentView;
    const cx = v.x + map.canvas.width / 2 / v.cellPx;
    const cy = v.y + map.canvas.height / 2 / v.cellPx;
    const cellPx = Math.min(48, v.cellPx * f);
    return { x: cx - map.canvas.width / 2 / cellPx, y: cy - map.canvas.height / 2 / cellPx, cellPx };
  };
  const element = h(
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
  return { element, setMode, jump };
}

/** The diff panel's search: a page is inspected, a section shown, a block its changes (or shown, when unchanged). */
function search(q: string, deps: DiffToolbarDeps, say: (msg: string) => void): void {
  const { d, map } = deps;
  runSearch(q, {
    ...d.map,
    pageShift: d.map.kernel.pageShift,
    where: 'either snapshot',
    outside: 'both snapshots',
    reveal: (pfn) => deps.reveal(pfn),
    showRange: (start, n) => map.showRange(start, n),
    openBlock: (b) => {
      const row = d.blocks.find((x) => x.id === b.id);
      if (row) deps.inspectBlock(row);
      else map.showRange(b.startPfn, b.nrPfns);
    },
    say,
  });
}

function button(icon: string, label: string, onClick: () => void): HTMLElement {
  const b = hx('vscode-button', { icon, secondary: '', title: label, 'aria-label': label });
  b.addEventListener('click', onClick);
  return b;
}
