// Which pages of a memory block stop offline_pages(), judged from class bytes alone
// (docs/kernel/memory-offlining.md). The core's per-block verdict names the first one; this lists them all
// so the user can see how many there are and where.

import { CLASS_ID } from '../kernel/pageClasses';
import type { BlockingPage, OfflineRules } from '../shared/protocol';

/** Classes that make offlining fail under both rule sets: unmovable kernel memory, holes, unknowns. */
const ALWAYS_BLOCKING = [
  'reserved',
  'slab',
  'pagetable',
  'kernel-other',
  'offline-unmovable',
  'offline',
  'no-memmap',
  'unknown',
] as const;

export function blockingClassIds(_rules: OfflineRules): Set<number> {
  // virtio-mem fake-offline pages are skipped under mainline (by the driver's notifier, while it is
  // bound) and under the PG_offline_skippable patch (by the flag), so both rule sets agree on the
  // class level; they differ in which raw pages land in 'offline-skippable', which the reader decides.
  return new Set(ALWAYS_BLOCKING.map((c) => CLASS_ID[c]));
}

export function blockingPages(
  classes: Uint8Array,
  firstPfn: number,
  block: { startPfn: number; nrPfns: number },
  rules: OfflineRules,
  limit: number,
): { pages: BlockingPage[]; total: number } {
  const blocking = blockingClassIds(rules);
  const pages: BlockingPage[] = [];
  let total = 0;
  const from = Math.max(0, block.startPfn - firstPfn);
  const to = Math.min(classes.length, block.startPfn + block.nrPfns - firstPfn);
  for (let i = from; i < to; i++) {
    const c = classes[i];
    if (!blocking.has(c)) continue;
    total++;
    if (pages.length < limit) pages.push({ pfn: firstPfn + i, classId: c });
  }
  return { pages, total };
}
