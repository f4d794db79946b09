// Legend with a count per class; each entry is a toggle button that hides or shows its class on
// the map, so it doubles as a filter. Presets: all, offline family only, what blocks offlining.

import type { Overview } from '../shared/protocol';
import { formatCount, h } from './dom';
import { classColour, cssColour, type ThemeColours } from './palette';

const OFFLINE_FAMILY = ['offline-movable', 'offline-unmovable', 'offline-skippable', 'offline', 'section-offline'];
const BLOCKERS = ['reserved', 'slab', 'pagetable', 'kernel-other', 'offline-unmovable', 'offline', 'unknown'];

export class Legend {
  readonly element: HTMLElement;
  private readonly buttons = new Map<number, HTMLButtonElement>();

  constructor(
    private readonly o: Overview,
    private hidden: Set<number>,
    private readonly onChange: (hidden: Set<number>) => void,
  ) {
    this.element = h('section', { class: 'legend', 'aria-label': 'Legend and filter' });
  }

  render(theme: ThemeColours): void {
    const o = this.o;
    const total = o.counts.reduce((a, [, n]) => a + n, 0) || 1;
    const entries = [...o.counts].sort((a, b) => b[1] - a[1]);
    const list = h('div', {
      class: 'legend-items',
      role: 'group',
      'aria-label': 'Page classes (press to hide or show)',
    });
    this.buttons.clear();
    for (const [id, n] of entries) {
      const name = o.classNames[id];
      const b = h(
        'button',
        {
          class: 'legend-item',
          'data-class': name,
          title: `${name}: ${o.classDescriptions[id]}\n${formatCount(n)} pages. Press to hide or show.`,
        },
        h('span', { class: 'swatch' }),
        h('span', { class: 'legend-name' }, name),
        h(
          'span',
          { class: 'legend-count' },
          `${formatCount(n)} · ${((100 * n) / total).toFixed(n / total < 0.001 ? 3 : 1)}%`,
        ),
      );
      (b.firstChild as HTMLElement).style.background = cssColour(classColour(name, o.settings.palette, theme));
      b.addEventListener('click', () => {
        if (this.hidden.has(id)) this.hidden.delete(id);
        else this.hidden.add(id);
        this.sync();
      });
      this.buttons.set(id, b);
      list.append(b);
    }
    const preset = (label: string, keep: (name: string) => boolean) => {
      const b = h('button', { class: 'legend-preset' }, label);
      b.addEventListener('click', () => {
        this.hidden = new Set(o.counts.map(([id]) => id).filter((id) => !keep(o.classNames[id])));
        this.sync();
      });
      return b;
    };
    this.element.replaceChildren(
      h(
        'div',
        { class: 'legend-head' },
        h('span', { class: 'legend-title' }, 'Show'),
        preset('all', () => true),
        preset('offline family', (n) => OFFLINE_FAMILY.includes(n)),
        preset('what blocks offlining', (n) => BLOCKERS.includes(n)),
      ),
      list,
    );
    this.sync(false);
  }

  private sync(notify = true): void {
    for (const [id, b] of this.buttons) {
      b.setAttribute('aria-pressed', String(!this.hidden.has(id)));
      b.classList.toggle('hidden-class', this.hidden.has(id));
    }
    if (notify) this.onChange(this.hidden);
  }
}
