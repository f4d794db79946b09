// The header: what was opened, which kernel, what format, how big, and the warnings.

import type { Overview } from '../shared/protocol';
import { formatBytes, h, hex, icon } from './dom';
import { machineLabel } from '../shared/geometry';

export function renderHeader(o: Overview, renderer: string): HTMLElement {
  const k = o.kernel;
  const bytes = (o.endPfn - o.startPfn) * k.pageSize;
  const present = o.counts
    .filter(([id]) => !['no-memmap', 'not-in-listing'].includes(o.classNames[id]))
    .reduce((a, [, n]) => a + n, 0);
  const fact = (label: string, value: string, title?: string) =>
    h(
      'span',
      { class: 'fact', title },
      h('span', { class: 'fact-label' }, label),
      h('span', { class: 'fact-value' }, value),
    );
  const facts = h(
    'div',
    { class: 'facts' },
    fact('kernel', k.release ?? 'unknown release', k.version),
    fact('flag layout', k.layoutFamily ?? 'not identified', 'Flag-bit layout family used to decode page flags'),
    fact('arch', machineLabel(k.machine), 'Machine (uname -m) the snapshot comes from'),
    fact('format', o.format),
    fact('PFNs', `${hex(o.startPfn)}–${hex(o.endPfn)}`, `${o.startPfn} to ${o.endPfn} (exclusive)`),
    fact('span', formatBytes(bytes), `${formatBytes(present * k.pageSize)} with a memmap`),
    fact(
      'page',
      formatBytes(k.pageSize),
      `PAGE_SHIFT ${k.pageShift}: one map cell is one ${formatBytes(k.pageSize)} page`,
    ),
    fact('sections', `${o.sections.length} × ${formatBytes(o.pfnsPerSection * k.pageSize)}`),
    o.pfnsPerBlock
      ? fact('memory blocks', `${o.blocks.length} × ${formatBytes(o.pfnsPerBlock * k.pageSize)}`)
      : fact('memory blocks', 'size unknown'),
    fact('map', renderer === 'webgl2' ? 'WebGL2' : 'Canvas2D'),
  );
  const header = h(
    'header',
    { class: 'header' },
    h('h1', { class: 'title' }, icon('circuit-board'), ' ', o.title),
    facts,
  );
  if (o.warnings.length) {
    const details = h(
      'details',
      { class: 'warnings' },
      h(
        'summary',
        {},
        icon('warning'),
        ` ${o.warnings.length} warning${o.warnings.length > 1 ? 's' : ''} while reading`,
      ),
      h('ul', {}, ...o.warnings.map((w) => h('li', {}, w))),
    );
    header.append(details);
  }
  if (o.notes.length || o.files.length) {
    header.append(
      h(
        'details',
        { class: 'provenance' },
        h('summary', {}, icon('info'), ' how this was read'),
        h('ul', {}, ...o.files.map((f) => h('li', {}, 'file: ', f)), ...o.notes.map((n) => h('li', {}, n))),
      ),
    );
  }
  return header;
}
