// The toolbar above the map: the search field (PFN, physical address, section, block), zoom buttons,
// the whole-machine button and the toggle that folds absent memory into separators.

import type { BlockInfo, Overview } from '../shared/protocol';
import { h, hx } from './dom';
import type { MapView } from './mapView';
import { runSearch } from './searchQuery';

export interface ToolbarDeps {
  o: Overview;
  map: MapView;
  /** Whether the snapshot has absent runs to fold, and whether they start folded. */
  canFold: boolean;
  fold: boolean;
  reveal(pfn: number): void;
  inspectBlock(b: BlockInfo): void;
  /** The fold toggle was pressed: the new setting. */
  onFold(fold: boolean): void;
}

export function createToolbar(d: ToolbarDeps): HTMLElement {
  const { map } = d;
  const searchBox = hx('vscode-textfield', {
    placeholder: 'PFN, pa 0x…, section N, block N',
    'aria-label': 'Search by PFN, physical address, section or block',
    class: 'search',
  });
  const searchMsg = h('span', { class: 'search-msg', 'aria-live': 'polite' });
  searchBox.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key !== 'Enter') return;
    const q = (searchBox as unknown as { value: string }).value;
    searchMsg.textContent = '';
    search(q, d, (m) => (searchMsg.textContent = m));
  });
  const zoomCentre = (f: number) => {
    const v = map.currentView;
    const cx = v.x + map.canvas.width / 2 / v.cellPx;
    const cy = v.y + map.canvas.height / 2 / v.cellPx;
    const cellPx = Math.min(48, v.cellPx * f);
    return { x: cx - map.canvas.width / 2 / cellPx, y: cy - map.canvas.height / 2 / cellPx, cellPx };
  };
  return h(
    'div',
    { class: 'toolbar' },
    searchBox,
    button('zoom-in', 'Zoom in (+)', () => map.setView(zoomCentre(1.6))),
    button('zoom-out', 'Zoom out (-)', () => map.setView(zoomCentre(1 / 1.6))),
    button('screen-full', 'Whole machine (0)', () => map.fit()),
    foldToggle(d),
    searchMsg,
  );
}

/** The single panel's search: a block found is inspected. */
function search(q: string, d: ToolbarDeps, say: (msg: string) => void): void {
  const { o, map } = d;
  runSearch(q, {
    ...o,
    pageShift: o.kernel.pageShift,
    where: 'this snapshot',
    reveal: (pfn) => d.reveal(pfn),
    showRange: (start, n) => map.showRange(start, n),
    openBlock: (b) => d.inspectBlock(b),
    say,
  });
}

function button(icon: string, label: string, onClick: () => void): HTMLElement {
  const b = hx('vscode-button', { icon, secondary: '', title: label, 'aria-label': label });
  b.addEventListener('click', onClick);
  return b;
}

/** Absent memory (holes, unpopulated hotplug space) folded into thin labelled separators. */
function foldToggle(d: ToolbarDeps): HTMLElement {
  let fold = d.fold;
  const foldButton = h(
    'button',
    {
      class: 'fold-toggle',
      type: 'button',
      'aria-pressed': String(fold),
      title: d.canFold
        ? 'Fold runs of absent sections (no memmap) into one thin labelled row each'
        : 'This snapshot has no absent sections to fold',
    },
    h('span', { class: 'codicon codicon-fold' }),
    ' Fold absent memory',
  );
  if (!d.canFold) foldButton.setAttribute('disabled', '');
  foldButton.addEventListener('click', () => {
    fold = !fold;
    foldButton.setAttribute('aria-pressed', String(fold));
    d.onFold(fold);
  });
  return foldButton;
}
