// The diff panel's tables: the header (both sides), the transition matrix (from × to, counts; a cell
// filters the map), the changed memory blocks with both sides' verdicts and deciding pages, and the
// inspector of one page on both sides (the single panel's page detail, side by side).

import type { DiffBlockRow, DiffBlockSide, DiffOverview, DiffPageDetail, DiffSideInfo } from '../shared/diffProtocol';
import type { Overview, VerdictInfo } from '../shared/protocol';
import { formatBytes, formatCount, h, hex, icon } from './dom';
import { machineLabel } from '../shared/geometry';
import { renderPageDetail, type InspectorActions } from './inspector';
import { verdictCell } from './blockTable';
import { classColour, cssColour, type ThemeColours } from './palette';

function swatch(name: string, o: Overview, theme: ThemeColours): HTMLElement {
  const s = h('span', { class: 'swatch' });
  s.style.background = cssColour(classColour(name, o.settings.palette, theme));
  return s;
}

function sideFacts(label: string, s: DiffSideInfo): HTMLElement {
  return h(
    'div',
    { class: 'diff-side', 'data-side': label },
    h('span', { class: 'fact-label' }, label === 'a' ? 'before (a) ' : 'after (b) '),
    h('strong', { class: 'diff-side-title' }, s.title),
    h(
      'span',
      { class: 'fact-value' },
      ` · ${s.release ?? 'unknown release'} · ${machineLabel(s.machine)}, ${formatBytes(s.pageSize)} pages · ${s.format} · PFNs ${hex(s.startPfn)}–${hex(s.endPfn)}`,
    ),
  );
}

export function renderDiffHeader(d: DiffOverview, renderer: string): HTMLElement {
  const header = h(
    'header',
    { class: 'header' },
    h('h1', { class: 'title' }, icon('diff'), ' ', d.title),
    sideFacts('a', d.a),
    sideFacts('b', d.b),
    h(
      'div',
      { class: 'facts' },
      h(
        'span',
        { class: 'fact diff-changed' },
        h('span', { class: 'fact-label' }, 'changed pages'),
        h('span', { class: 'fact-value' }, formatCount(d.changedPages)),
      ),
      h(
        'span',
        { class: 'fact' },
        h('span', { class: 'fact-label' }, 'changed blocks'),
        h('span', { class: 'fact-value' }, formatCount(d.blocks.length)),
      ),
      h(
        'span',
        { class: 'fact' },
        h('span', { class: 'fact-label' }, 'map'),
        h('span', { class: 'fact-value' }, renderer === 'webgl2' ? 'WebGL2' : 'Canvas2D'),
      ),
    ),
  );
  const warnings = [...d.a.warnings.map((w) => `a: ${w}`), ...d.b.warnings.map((w) => `b: ${w}`)];
  if (warnings.length)
    header.append(
      h(
        'details',
        { class: 'warnings' },
        h('summary', {}, icon('warning'), ` ${warnings.length} warning${warnings.length > 1 ? 's' : ''} while reading`),
        h('ul', {}, ...warnings.map((w) => h('li', {}, w))),
      ),
    );
  return header;
}

/** The transition matrix: one row per old class, one column per new class, counts in the cells. */
export function renderMatrix(
  d: DiffOverview,
  theme: ThemeColours,
  filter: [number, number] | undefined,
  onPick: (t: [number, number] | undefined) => void,
): HTMLElement {
  const o = d.map;
  if (!d.transitions.length)
    return h('p', { class: 'diff-none' }, 'No page changed class: the two snapshots agree on every PFN.');
  const from = [...new Set(d.transitions.map((t) => t[0]))].sort((x, y) => x - y);
  const to = [...new Set(d.transitions.map((t) => t[1]))].sort((x, y) => x - y);
  const count = new Map(d.transitions.map(([f, t, n]) => [`${f}>${t}`, n]));
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col', class: 'corner' }, 'from \\ to'),
    ...to.map((t) => h('th', { scope: 'col', class: 'to' }, swatch(o.classNames[t], o, theme), ' ', o.classNames[t])),
  );
  const rows = from.map((f) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, swatch(o.classNames[f], o, theme), ' ', o.classNames[f]),
      ...to.map((t) => {
        const n = count.get(`${f}>${t}`);
        if (!n) return h('td', { class: 'empty' });
        const on = filter?.[0] === f && filter?.[1] === t;
        const b = h(
          'button',
          {
            class: 'matrix-cell',
            'data-from': o.classNames[f],
            'data-to': o.classNames[t],
            'aria-pressed': String(on),
            title: `${formatCount(n)} pages went from ${o.classNames[f]} to ${o.classNames[t]}. Press to show only them on the map.`,
          },
          formatCount(n),
        );
        b.addEventListener('click', () => onPick(on ? undefined : [f, t]));
        return h('td', {}, b);
      }),
    ),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'matrix' },
      h(
        'caption',
        {},
        `${formatCount(d.changedPages)} pages changed class. A cell shows only its pages on the map; press it again to show all changes.`,
      ),
      h('thead', {}, head),
      h('tbody', {}, ...rows),
    ),
  );
}

function verdictWithPage(
  v: VerdictInfo | undefined,
  side: DiffBlockSide | undefined,
  reveal: (pfn: number) => void,
): HTMLElement {
  if (!side) return h('span', { class: 'verdict verdict-unknown' }, 'no such block');
  const cell = h('div', { class: 'diff-verdict' }, h('span', { class: 'sub' }, side.state), verdictCell(v));
  if (v?.blockingPfn !== undefined) {
    const b = h(
      'button',
      { class: 'link mono deciding', title: 'the page that decides the verdict: show it on both sides' },
      icon('target'),
      ` ${hex(v.blockingPfn)}${v.blockingClass ? ` ${v.blockingClass}` : ''}`,
    );
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      reveal(v.blockingPfn!);
    });
    cell.append(b);
  }
  return cell;
}

/** Changed memory blocks: state and verdict before and after, under both rule sets, with the deciding pages. */
export function renderDiffBlocks(
  d: DiffOverview,
  onPick: (b: DiffBlockRow) => void,
  reveal: (pfn: number) => void,
): HTMLElement {
  if (!d.blocks.length)
    return h('p', { class: 'diff-none' }, 'No memory block changed state, zones or offlining verdict.');
  const head = h(
    'tr',
    {},
    ...['block', 'mainline: a', 'mainline: b', 'PG_offline_skippable: a', 'PG_offline_skippable: b'].map((t) =>
      h('th', { scope: 'col' }, t),
    ),
  );
  const body = h('tbody');
  for (const r of d.blocks) {
    const flips = (x?: VerdictInfo, y?: VerdictInfo) => x?.ok !== y?.ok;
    const changed = flips(r.a?.mainline, r.b?.mainline) || flips(r.a?.skippable, r.b?.skippable);
    const row = h(
      'tr',
      { tabindex: '0', 'data-block': String(r.id), class: changed ? 'verdict-changed' : '' },
      h(
        'td',
        { class: 'name-cell' },
        h('span', { class: 'mono' }, `memory${r.id}`),
        h(
          'span',
          { class: 'sub' },
          `${formatCount(r.changedPages)} pages changed${changed ? ' · verdict changed' : ''}`,
        ),
      ),
      h('td', {}, verdictWithPage(r.a?.mainline, r.a, reveal)),
      h('td', {}, verdictWithPage(r.b?.mainline, r.b, reveal)),
      h('td', {}, verdictWithPage(r.a?.skippable, r.a, reveal)),
      h('td', {}, verdictWithPage(r.b?.skippable, r.b, reveal)),
    );
    row.addEventListener('click', () => onPick(r));
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onPick(r);
      }
    });
    body.append(row);
  }
  const flipped = d.blocks.filter(
    (r) => r.a?.mainline?.ok !== r.b?.mainline?.ok || r.a?.skippable?.ok !== r.b?.skippable?.ok,
  ).length;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'blocks diff-blocks' },
      h('caption', {}, `${d.blocks.length} memory blocks changed; the offlining verdict of ${flipped} changed.`),
      h('thead', {}, head),
      body,
    ),
  );
}

/** One page on both sides: the single panel's page detail for a and for b. */
export function renderDiffPage(
  pfn: number,
  p: DiffPageDetail,
  d: DiffOverview,
  theme: ThemeColours,
  act: InspectorActions,
): HTMLElement {
  const col = (side: 'a' | 'b') => {
    const s = d[side];
    const detail = p[side];
    const o: Overview = { ...d.map, format: s.format, title: s.title };
    const heading = h('h2', { class: 'diff-col-title' }, side === 'a' ? 'before (a): ' : 'after (b): ', s.title);
    if (!detail)
      return h(
        'div',
        { class: 'diff-col', 'data-side': side },
        heading,
        h(
          'p',
          {},
          `PFN ${hex(pfn)} is outside ${s.title} (PFNs ${hex(s.startPfn)}–${hex(s.endPfn)}); compared as ${d.map.classNames[s.outsideClass]}.`,
        ),
      );
    return h(
      'div',
      { class: 'diff-col', 'data-side': side },
      heading,
      renderPageDetail(detail, o, theme, { openSource: act.openSource, reveal: act.reveal }),
    );
  };
  const ca = p.a?.class ?? d.map.classNames[d.a.outsideClass],
    cb = p.b?.class ?? d.map.classNames[d.b.outsideClass];
  const summary = ca === cb ? `unchanged: ${cb}` : `changed: ${ca} → ${cb}`;
  return h(
    'div',
    { class: 'diff-page' },
    h('p', { class: 'diff-page-summary' }, `Page ${hex(pfn)} ${summary}`),
    h('div', { class: 'diff-cols' }, col('a'), col('b')),
  );
}

export function renderDiffBlock(r: DiffBlockRow, d: DiffOverview, reveal: (pfn: number) => void): HTMLElement {
  const side = (label: 'a' | 'b') => {
    const s = r[label];
    const parts: Node[] = [h('h3', {}, label === 'a' ? `before (a): ${d.a.title}` : `after (b): ${d.b.title}`)];
    if (!s) return h('div', { class: 'diff-col' }, ...parts, h('p', {}, 'no such block in this snapshot'));
    parts.push(h('p', {}, `state ${s.state}${s.zones?.length ? ` · ${s.zones.join(', ')}` : ''}`));
    for (const [name, v] of [
      ['mainline rules', s.mainline],
      ['PG_offline_skippable patch', s.skippable],
    ] as const) {
      parts.push(h('h4', {}, name), verdictWithPage(v, s, reveal));
      if (v?.explanation) parts.push(h('p', { class: 'explanation' }, v.explanation));
    }
    return h('div', { class: 'diff-col' }, ...parts);
  };
  return h(
    'div',
    { class: 'inspector-block' },
    h('h2', {}, `memory${r.id}`),
    h('p', {}, `${formatCount(r.changedPages)} pages changed class in this block.`),
    h('div', { class: 'diff-cols' }, side('a'), side('b')),
  );
}
