// The page inspector (one PFN in detail) and the block inspector (a block's verdict and the pages
// that stop offlining). Source links ask the host to open the kernel source.

import type { BlockInfo, BlockingPage, OfflineRules, Overview, PageDetailInfo, SourceRef } from '../shared/protocol';
import { findByPfn } from '../shared/protocol';
import { formatCount, h, hex, icon } from './dom';
import { classColour, cssColour, type ThemeColours } from './palette';
import { verdictBadge, verdictOf } from './blockTable';

export interface InspectorActions {
  openSource(ref: SourceRef): void;
  /** Ask crash/drgn about the page (dumps only: the tools need the dump file). */
  askDebugger?(pfn: number): void;
  reveal(pfn: number): void;
}

function row(label: string, value: string | Node | undefined): HTMLElement | null {
  if (value === undefined || value === '') return null;
  return h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, value));
}

function swatch(name: string, o: Overview, theme: ThemeColours): HTMLElement {
  const s = h('span', { class: 'swatch' });
  s.style.background = cssColour(classColour(name, o.settings.palette, theme));
  return s;
}

export function renderPageDetail(
  d: PageDetailInfo,
  o: Overview,
  theme: ThemeColours,
  act: InspectorActions,
): HTMLElement {
  const classId = o.classNames.indexOf(d.class);
  const sec = findByPfn(o.sections, d.pfn);
  const blk = findByPfn(o.blocks, d.pfn);
  const table = h(
    'table',
    { class: 'kv' },
    h(
      'tbody',
      {},
      row('PFN', `${hex(d.pfn)} (${d.pfn})`),
      row('physical', d.physAddr),
      row('class', h('span', {}, swatch(d.class, o, theme), ' ', d.class)),
      row('why', d.why),
      row('rule', d.rule),
      row('section', `${d.section}${sec ? ` · ${sec.state}${sec.flags ? ` · ${sec.flags}` : ''}` : ''}`),
      row('block', d.block !== undefined ? `memory${d.block}${blk ? ` · ${blk.state}` : ''}` : undefined),
      row('zone', d.zone),
      row('node', d.node !== undefined ? String(d.node) : undefined),
      row('page type', d.pageType),
      row('refcount', d.refcount !== undefined ? String(d.refcount) : undefined),
      row('mapcount', d.mapcount !== undefined ? String(d.mapcount) : undefined),
    ),
  );
  const parts: (Node | null)[] = [
    h('h2', {}, `Page ${hex(d.pfn)}`),
    h('p', { class: 'class-desc' }, classId >= 0 ? o.classDescriptions[classId] : ''),
    table,
  ];
  if (d.flags?.length)
    parts.push(
      h('h3', {}, 'Flags (this kernel\u2019s names)'),
      h('div', { class: 'flags' }, ...d.flags.map((f) => h('code', { class: 'flag' }, f))),
    );
  const raw = Object.entries(d.raw);
  if (raw.length)
    parts.push(
      h('h3', {}, 'Raw values'),
      h('table', { class: 'kv mono' }, h('tbody', {}, ...raw.map(([k, v]) => row(k, String(v))))),
    );
  if (d.notes?.length)
    parts.push(h('h3', {}, 'Notes'), h('ul', { class: 'notes' }, ...d.notes.map((n) => h('li', {}, n))));
  if (d.sources.length) {
    const list = h('ul', { class: 'sources' });
    for (const ref of d.sources) {
      const b = h(
        'button',
        { class: 'link', title: `${ref.path}${ref.symbol ? ` (${ref.symbol})` : ''}` },
        icon('go-to-file'),
        ` ${ref.label}`,
        h('span', { class: 'path' }, ` ${ref.path}`),
      );
      b.addEventListener('click', () => act.openSource(ref));
      list.append(h('li', {}, b));
    }
    parts.push(h('h3', {}, 'Kernel source'), list);
  }
  if (act.askDebugger && isDumpFormat(o.format)) {
    const ask = h(
      'button',
      { class: 'link ask-debugger', title: 'Kernel Memmap: Ask crash/drgn About a Page (settings kmemmap.debugger.*)' },
      icon('debug'),
      ' Ask crash/drgn about this page (slab cache, file)',
    );
    ask.addEventListener('click', () => act.askDebugger?.(d.pfn));
    parts.push(h('h3', {}, 'With debuginfo'), ask);
  }
  return h('div', { class: 'inspector-page' }, ...parts.filter((p): p is Node => p !== null));
}

/** vmcore formats (ELF, kdump, flattened) as the readers name them; captures and tool outputs are not dumps. */
function isDumpFormat(format: string): boolean {
  return /^(elf|kdump|diskdump)/.test(format);
}

export function renderBlockDetail(
  b: BlockInfo,
  o: Overview,
  theme: ThemeColours,
  rules: OfflineRules,
  blocking: { pages: BlockingPage[]; total: number } | undefined,
  act: InspectorActions,
): HTMLElement {
  const v = verdictOf(b, rules);
  const other = verdictOf(b, rules === 'mainline' ? 'skippable' : 'mainline');
  const parts: Node[] = [
    h('h2', {}, `memory${b.id}`),
    h(
      'table',
      { class: 'kv' },
      h(
        'tbody',
        {},
        row('state', b.state),
        row('PFNs', `${hex(b.startPfn)}–${hex(b.startPfn + b.nrPfns)}`),
        row('zones', (b.zones ?? []).join(', ')),
        row('node', b.node !== undefined ? String(b.node) : undefined),
        row('removable', b.removable === undefined ? undefined : String(b.removable)),
      ) as Node,
    ),
    h('h3', {}, `Offlining (${rules === 'mainline' ? 'mainline rules' : 'PG_offline_skippable patch'})`),
    verdictBadge(v),
    h('p', { class: 'explanation' }, v?.explanation ?? 'This snapshot has no verdict for the block.'),
  ];
  if (v?.blockingPfn !== undefined) {
    const b1 = h(
      'button',
      { class: 'link' },
      icon('target'),
      ` first blocking page ${hex(v.blockingPfn)}${v.blockingClass ? ` (${v.blockingClass})` : ''}`,
    );
    b1.addEventListener('click', () => act.reveal(v.blockingPfn!));
    parts.push(b1);
  }
  if (other && (other.ok !== v?.ok || other.reason !== v?.reason))
    parts.push(
      h(
        'p',
        { class: 'other-rules' },
        `Under the ${rules === 'mainline' ? 'PG_offline_skippable patch' : 'mainline'} rules: `,
        verdictBadge(other),
        ` ${other.explanation}`,
      ),
    );
  parts.push(h('h3', {}, 'Pages that stop offlining'));
  if (!blocking) parts.push(h('p', {}, 'loading…'));
  else if (!blocking.total) parts.push(h('p', {}, 'None: no page in this block is of a class that blocks offlining.'));
  else {
    const list = h('ol', { class: 'blocking' });
    for (const p of blocking.pages) {
      const name = o.classNames[p.classId];
      const btn = h('button', { class: 'link mono' }, swatch(name, o, theme), ` ${hex(p.pfn)} ${name}`);
      btn.addEventListener('click', () => act.reveal(p.pfn));
      list.append(h('li', {}, btn));
    }
    parts.push(
      h(
        'p',
        {},
        `${formatCount(blocking.total)} page${blocking.total > 1 ? 's' : ''}${blocking.total > blocking.pages.length ? `, the first ${blocking.pages.length} listed` : ''}:`,
      ),
      list,
    );
  }
  return h('div', { class: 'inspector-block' }, ...parts);
}
