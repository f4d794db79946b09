// The overview of memory blocks (or sections when the block size is unknown): state, zone, node,
// what the block holds, and the offlining verdict with its reason. Rows are buttons-in-a-table:
// click or Enter zooms the map to the block and lists its blocking pages.

import type { BlockInfo, ClassCounts, OfflineRules, Overview, SectionInfo, VerdictInfo } from '../shared/protocol';
import { formatBytes, formatCount, h, hex, icon } from './dom';
import { physOfPfn } from '../shared/geometry';
import { classColour, cssColour, type ThemeColours } from './palette';

export function verdictOf(b: BlockInfo, rules: OfflineRules): VerdictInfo | undefined {
  return rules === 'skippable' ? b.skippable : b.mainline;
}

/** The table's verdict cell: the outcome on one line (icon, errno), the reason below it in small print. */
export function verdictCell(v: VerdictInfo | undefined): HTMLElement {
  if (!v) return h('span', { class: 'verdict verdict-unknown' }, icon('question'), ' no verdict');
  const cls = v.ok === true ? 'verdict-ok' : v.ok === false ? 'verdict-fail' : 'verdict-unknown';
  const head = v.ok === true ? ' can offline' : v.ok === false ? ` ${v.errno ?? 'fails'}` : ' cannot tell';
  return h(
    'span',
    { class: `verdict verdict-cell ${cls}`, title: v.explanation },
    h('span', { class: 'verdict-head' }, icon(v.ok === true ? 'pass' : v.ok === false ? 'error' : 'question'), head),
    v.ok === false && v.reason ? h('span', { class: 'verdict-reason' }, v.reason) : null,
  );
}

export function verdictBadge(v: VerdictInfo | undefined): HTMLElement {
  if (!v) return h('span', { class: 'verdict verdict-unknown' }, icon('question'), ' no verdict');
  if (v.ok === true)
    return h('span', { class: 'verdict verdict-ok', title: v.explanation }, icon('pass'), ' can offline');
  if (v.ok === false)
    return h(
      'span',
      { class: 'verdict verdict-fail', title: v.explanation },
      icon('error'),
      ` ${v.errno ?? 'fails'}${v.reason ? `: ${v.reason}` : ''}`,
    );
  return h('span', { class: 'verdict verdict-unknown', title: v.explanation }, icon('question'), ' cannot tell');
}

/** A bar of the block's class mix, widths proportional to counts. */
function mixBar(counts: ClassCounts, total: number, o: Overview, theme: ThemeColours): HTMLElement {
  const bar = h('span', { class: 'mix', 'aria-hidden': 'true' });
  for (const [id, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    const seg = h('span', { class: 'mix-seg' });
    seg.style.width = `${(100 * n) / Math.max(1, total)}%`;
    seg.style.background = cssColour(classColour(o.classNames[id], o.settings.palette, theme));
    bar.append(seg);
  }
  return bar;
}

function topClasses(counts: ClassCounts, o: Overview): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([id, n]) => `${o.classNames[id]} ${formatCount(n)}`)
    .join(', ');
}

export function renderBlockTable(
  o: Overview,
  theme: ThemeColours,
  rules: OfflineRules,
  onPick: (b: BlockInfo | SectionInfo, kind: 'block' | 'section') => void,
): HTMLElement {
  const useBlocks = o.blocks.length > 0;
  const unit = useBlocks ? o.pfnsPerBlock : o.pfnsPerSection;
  const head = h(
    'tr',
    {},
    ...(useBlocks
      ? ['block', `offline? (${rules})`, 'physical range', 'contents']
      : ['section', 'flags', 'physical range', 'contents']
    ).map((t) => h('th', { scope: 'col' }, t)),
  );
  const body = h('tbody');
  const items: (BlockInfo | SectionInfo)[] = useBlocks ? o.blocks : o.sections;
  for (const it of items) {
    const b = it as BlockInfo;
    const s = it as SectionInfo;
    const nr = useBlocks ? b.id : s.nr;
    const start = physOfPfn(it.startPfn, o.kernel.pageShift);
    const end = physOfPfn(it.startPfn + it.nrPfns, o.kernel.pageShift);
    const row = h(
      'tr',
      {
        tabindex: '0',
        'data-kind': useBlocks ? 'block' : 'section',
        'data-nr': String(nr),
        class: `state-${it.state}`,
      },
      // Name, then state and zone on a second line: the verdict column stays in sight on a narrow panel.
      h(
        'td',
        { class: 'name-cell', title: it.node !== undefined ? `node ${it.node}` : undefined },
        h('span', { class: 'mono' }, useBlocks ? `memory${nr}` : String(nr)),
        h(
          'span',
          { class: 'sub' },
          [it.state, useBlocks ? (b.zones ?? []).join(', ') : (s.zone ?? '')].filter(Boolean).join(' · '),
        ),
      ),
      h('td', { class: 'verdict-col' }, useBlocks ? verdictCell(verdictOf(b, rules)) : (s.flags ?? '')),
      h(
        'td',
        {
          class: 'mono range',
          title: `${hex(start)}–${hex(end)}, PFN ${hex(it.startPfn)}–${hex(it.startPfn + it.nrPfns)}`,
        },
        hex(start),
      ),
      h(
        'td',
        { class: 'contents', title: topClasses(it.counts, o) },
        mixBar(it.counts, it.nrPfns || unit, o, theme),
        h('span', { class: 'mix-text' }, topClasses(it.counts, o)),
      ),
    );
    const pick = () => onPick(it, useBlocks ? 'block' : 'section');
    row.addEventListener('click', pick);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick();
      }
    });
    body.append(row);
  }
  const failing = useBlocks ? o.blocks.filter((b) => verdictOf(b, rules)?.ok === false).length : 0;
  const caption = useBlocks
    ? `${o.blocks.length} memory blocks of ${formatBytes(o.pfnsPerBlock * o.kernel.pageSize)}; ${o.blocks.length - failing} can be offlined, ${failing} cannot (${rules === 'mainline' ? 'mainline rules' : 'with the PG_offline_skippable patch'}).`
    : `${o.sections.length} memory sections of ${formatBytes(o.pfnsPerSection * o.kernel.pageSize)} (memory block size unknown in this snapshot).`;
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'blocks' }, h('caption', {}, caption), h('thead', {}, head), body),
  );
}
