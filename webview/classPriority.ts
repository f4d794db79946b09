// Which class a screen pixel shows when it covers many pages: the most important one among them.
// The order (most important first) is documented in webview/PALETTE.md; keep the two in step.

import { CELL_NOT_LOADED, CELL_OUTSIDE, CELL_SEPARATOR } from './palette';

/** Most important first. Classes not listed rank just above `free`. */
export const CLASS_PRIORITY: readonly string[] = [
  'hwpoison',
  'offline-unmovable',
  'reserved',
  'pagetable',
  'slab',
  'kernel-other',
  'vmemmap',
  'offline',
  'offline-skippable',
  'offline-movable',
  'unknown',
  'zone-device',
  'hugetlb',
  'compound-head',
  'compound-tail',
  'lru-anon',
  'lru-file',
  'unaccepted',
  'excluded',
  'section-offline',
  'free',
  'not-in-listing',
  'no-memmap',
];

/**
 * Rank of every cell value (higher wins), as a 256-entry table. Hidden classes (legend filter) rank
 * lowest among classes so a shown class is never covered by a hidden one.
 */
export function priorityRanks(classNames: readonly string[], hidden: ReadonlySet<number> = new Set()): Uint8Array {
  const rank = new Uint8Array(256);
  const n = CLASS_PRIORITY.length;
  const free = CLASS_PRIORITY.indexOf('free');
  classNames.forEach((name, id) => {
    const i = CLASS_PRIORITY.indexOf(name);
    // Listed: 40 + (n - i); unknown to this table: just above free.
    const r = i >= 0 ? 40 + (n - i) : 40 + (n - free) + 0.5;
    rank[id] = hidden.has(id) ? 10 : Math.floor(r * 2);
  });
  rank[CELL_NOT_LOADED] = 5; // below every class: what we know wins over what we do not
  rank[CELL_SEPARATOR] = 2;
  rank[CELL_OUTSIDE] = 0;
  return rank;
}

/** Classes ringed by a halo when zoomed out (a lone page of them is one pixel): the top of the order. */
export const HALO_CLASSES: readonly string[] = ['hwpoison', 'offline-unmovable'];

/** Ids of the halo classes present in this snapshot and not hidden by the legend filter (at most 4). */
export function haloClasses(classNames: readonly string[], hidden: ReadonlySet<number> = new Set()): number[] {
  return HALO_CLASSES.map((n) => classNames.indexOf(n))
    .filter((id) => id >= 0 && !hidden.has(id))
    .slice(0, 4);
}
