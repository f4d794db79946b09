// A synthetic Snapshot of any size for UI tests and the webview benchmark: boot memory with a mix
// of classes, a hole, an offline block, and a virtio-mem block with fake-offline subblocks.
// Kernel strings carry HTML on purpose: the panel must show them as text.

import { CLASS_ID, type PageClass } from '../../kernel/pageClasses';
import { countClasses, newCounts, type MemoryBlock, type Section, type Snapshot } from '../../memmap/snapshot';

export const EVIL_RELEASE = '6.12.0-test <img src=x onerror="window.__pwned=1">';

/**
 * holeSections: [first, end) sections that do not exist at all (a PCI hole or unpopulated hotplug
 * space): no-memmap, left out of the section and block listings like a real capture does.
 */
export function syntheticSnapshot(
  nrSections: number,
  opts: {
    pfnsPerSection?: number;
    sectionsPerBlock?: number;
    holeSections?: [number, number];
    /** Base page size (default 4096); with 16384 and no pfnsPerSection, sections are arm64's 128 MiB = 8192 PFNs. */
    pageSize?: number;
    machine?: string;
  } = {},
): Snapshot {
  const pageSize = opts.pageSize ?? 4096;
  const pps = opts.pfnsPerSection ?? 2 ** 27 / pageSize;
  const spb = opts.sectionsPerBlock ?? 1;
  const n = nrSections * pps;
  const classes = new Uint8Array(n);
  const id = (c: PageClass) => CLASS_ID[c];
  const mixed: PageClass[] = [
    'free',
    'lru-anon',
    'lru-file',
    'slab',
    'kernel-other',
    'pagetable',
    'compound-head',
    'compound-tail',
  ];
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const sections: Section[] = [];
  for (let s = 0; s < nrSections; s++) {
    const from = s * pps;
    let state: Section['state'] = 'online';
    const inHole = opts.holeSections && s >= opts.holeSections[0] && s < opts.holeSections[1];
    if (inHole) {
      classes.fill(id('no-memmap'), from, from + pps);
      continue;
    } else if (s === 0) {
      classes.fill(id('reserved'), from, from + pps / 8);
      for (let i = from + pps / 8; i < from + pps; i += 64)
        classes.fill(id(mixed[Math.floor(rnd() * mixed.length)]), i, i + 64);
    } else if (s === 2) {
      classes.fill(id('no-memmap'), from, from + pps);
      state = 'absent';
    } else if (s === nrSections - 2) {
      classes.fill(id('section-offline'), from, from + pps);
      state = 'offline';
    } else if (s === nrSections - 1) {
      // virtio-mem block: first half fake-offline (skippable), one unmovable page, rest free.
      classes.fill(id('offline-skippable'), from, from + pps / 2);
      classes.fill(id('free'), from + pps / 2, from + pps);
      classes[from + pps / 2 + 100] = id('offline-unmovable');
    } else if (s % 7 === 3) {
      classes.fill(id('free'), from, from + pps); // uniform: never fetched by the webview
    } else {
      for (let i = from; i < from + pps; i += 16)
        classes.fill(id(rnd() < 0.6 ? 'free' : mixed[Math.floor(rnd() * mixed.length)]), i, i + 16);
      if (s % 5 === 1) classes.fill(id('offline-movable'), from + 1024, from + 3072);
    }
    const counts = newCounts();
    countClasses(classes, from, from + pps, counts);
    sections.push({
      nr: s,
      startPfn: from,
      nrPfns: pps,
      state,
      flags: state === 'online' ? 'PMOE' : state === 'offline' ? 'PM' : '',
      zone: s < 8 ? 'DMA32' : 'Normal',
      node: 0,
      counts,
    });
  }
  const blocks: MemoryBlock[] = [];
  const sectionAt = (pfn: number) => sections.find((x) => x.startPfn === pfn)!;
  for (let b = 0; b * spb < nrSections; b++) {
    const from = b * spb * pps;
    if (!sections.some((x) => x.startPfn === from)) continue; // no block over a hole
    const to = Math.min(n, from + spb * pps);
    const counts = newCounts();
    countClasses(classes, from, to, counts);
    const bad = [id('reserved'), id('slab'), id('kernel-other'), id('pagetable'), id('offline-unmovable')].find(
      (c) => counts[c] > 0,
    );
    const blockingPfn = bad === undefined ? undefined : from + classes.subarray(from, to).indexOf(bad);
    const verdict =
      bad === undefined
        ? { ok: true, explanation: 'every page is free, migratable or skippable' }
        : {
            ok: false,
            reason: 'unmovable page',
            errno: 'EBUSY' as const,
            blockingPfn,
            blockingClass: Object.keys(CLASS_ID)[bad] as PageClass,
            explanation: `page ${blockingPfn} cannot be migrated <b>not bold</b>`,
          };
    blocks.push({
      id: b,
      startPfn: from,
      nrPfns: to - from,
      state: sectionAt(from).state === 'offline' ? 'offline' : sectionAt(from).state === 'absent' ? 'absent' : 'online',
      zones: [b * spb < 8 ? 'DMA32' : 'Normal'],
      node: 0,
      removable: true,
      counts,
      verdict: { mainline: verdict, skippable: verdict },
    });
  }
  const total = newCounts();
  countClasses(classes, 0, n, total);
  return {
    kernel: {
      release: EVIL_RELEASE,
      version: 'Linux synthetic',
      machine: opts.machine ?? 'x86_64',
      layoutFamily: '6.12',
      pageSize,
    },
    startPfn: 0,
    endPfn: n,
    classes,
    pfnsPerSection: pps,
    sections,
    pfnsPerBlock: spb * pps,
    blocks,
    counts: total,
    warnings: ['synthetic snapshot <script>alert(1)</script>', 'a second warning'],
    provenance: { format: 'synthetic', files: ['<synthetic>'], notes: ['built by test/webview/syntheticSnapshot.ts'] },
  };
}
