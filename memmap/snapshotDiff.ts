// What changed between two snapshots of one machine (or of two machines with the same PFN layout):
// class transitions per page, the runs of PFNs whose class differs, and the sections and memory blocks
// whose state or offlining verdict differs. Pure core: used by `kmemmap diff` and the extension.

import { CLASS_ID, PAGE_CLASSES, PageClass } from '../kernel/pageClasses';
import { SnapshotError } from '../parsers/errors';
import type { MemoryBlock, OfflineVerdict, Snapshot } from './snapshot';

/** Who a side of the comparison is. */
export interface DiffSide {
  release?: string;
  format: string;
  files: string[];
  pfns: { start: number; end: number };
}

export interface VerdictBrief {
  ok: boolean | null;
  reason?: string;
  errno?: string;
  blockingPfn?: number;
  blockingClass?: PageClass;
}

export interface BlockSide {
  state: MemoryBlock['state'];
  zones?: string[];
  mainline?: VerdictBrief;
  offlineSkippablePatch?: VerdictBrief;
}

export interface SnapshotDiff {
  a: DiffSide;
  b: DiffSide;
  /**
   * The PFNs compared: every PFN either snapshot covers. Outside its range a vmcore or capture counts
   * as no-memmap (no section there), a crash/drgn listing as not-in-listing.
   */
  compared: { start: number; end: number };
  pageSize: number;
  /** [fromClass, toClass, pages] for every pair with pages, most pages first. */
  transitions: [PageClass, PageClass, number][];
  /** [firstPfn, count, fromClass, toClass]: exactly the PFNs whose class differs, in PFN order. */
  runs: [number, number, PageClass, PageClass][];
  /** Blocks (by id) whose state, zones or verdict under either rule set differs; absent on one side: undefined there. */
  blocks: { block: string; a?: BlockSide; b?: BlockSide }[];
  /** Sections whose state differs or that hold changed PFNs. */
  sections: {
    nr: number;
    changedPages: number;
    a?: { state: string; zone?: string };
    b?: { state: string; zone?: string };
  }[];
}

/** Refuses two snapshots whose PFNs do not mean the same memory. */
function assertComparable(a: Snapshot, b: Snapshot, names: [string, string]): void {
  const why = (msg: string) => new SnapshotError(names[1], `cannot be compared with ${names[0]}: ${msg}`);
  if (a.kernel.pageSize !== b.kernel.pageSize) throw why(`page size ${b.kernel.pageSize} vs ${a.kernel.pageSize}`);
  if (a.kernel.machine && b.kernel.machine && a.kernel.machine !== b.kernel.machine)
    throw why(`architecture ${b.kernel.machine} vs ${a.kernel.machine}`);
  if (a.pfnsPerSection !== b.pfnsPerSection)
    throw why(`${b.pfnsPerSection} vs ${a.pfnsPerSection} PFNs per memory section`);
  if (a.pfnsPerBlock && b.pfnsPerBlock && a.pfnsPerBlock !== b.pfnsPerBlock)
    throw why(`${b.pfnsPerBlock} vs ${a.pfnsPerBlock} PFNs per memory block`);
  if (Math.max(a.startPfn, b.startPfn) >= Math.min(a.endPfn, b.endPfn))
    throw why(
      `their PFN ranges do not overlap (0x${b.startPfn.toString(16)}-0x${b.endPfn.toString(16)} vs 0x${a.startPfn.toString(16)}-0x${a.endPfn.toString(16)})`,
    );
}

const side = (s: Snapshot): DiffSide => ({
  ...(s.kernel.release !== undefined ? { release: s.kernel.release } : {}),
  format: s.provenance.format,
  files: s.provenance.files,
  pfns: { start: s.startPfn, end: s.endPfn },
});

/**
 * What a snapshot says about a PFN outside its range: a vmcore or capture describes the whole machine
 * (no section there: no memmap); a crash/drgn listing only what it lists.
 */
export function outsideClass(s: Snapshot): number {
  const listing = s.counts[CLASS_ID['not-in-listing']] > 0 || /^(crash|drgn)/.test(s.provenance.format);
  return CLASS_ID[listing ? 'not-in-listing' : 'no-memmap'];
}

interface SideView {
  classes: Uint8Array;
  start: number;
  end: number;
  outside: number;
}
const view = (s: Snapshot): SideView => ({
  classes: s.classes,
  start: s.startPfn,
  end: s.endPfn,
  outside: outsideClass(s),
});
const at = (v: SideView, pfn: number) => (pfn >= v.start && pfn < v.end ? v.classes[pfn - v.start] : v.outside);

/** Per-PFN pass over [start, end): the transition matrix, the runs and the changed pages per section. */
function comparePages(a: Snapshot, b: Snapshot, start: number, end: number) {
  const n = PAGE_CLASSES.length;
  const matrix = new Float64Array(n * n);
  const runs: [number, number, PageClass, PageClass][] = [];
  const perSection = new Map<number, number>();
  const va = view(a),
    vb = view(b);
  let pfn = start;
  while (pfn < end) {
    // skip equal pages in a tight loop: most of a machine does not change
    while (pfn < end && at(va, pfn) === at(vb, pfn)) pfn++;
    if (pfn >= end) break;
    const x = at(va, pfn),
      y = at(vb, pfn);
    let last = pfn + 1;
    while (last < end && at(va, last) === x && at(vb, last) === y) last++;
    const count = last - pfn;
    matrix[x * n + y] += count;
    runs.push([pfn, count, PAGE_CLASSES[x] ?? 'unknown', PAGE_CLASSES[y] ?? 'unknown']);
    for (let p = pfn; p < last;) {
      const sec = Math.floor(p / a.pfnsPerSection);
      const secEnd = Math.min(last, (sec + 1) * a.pfnsPerSection);
      perSection.set(sec, (perSection.get(sec) ?? 0) + secEnd - p);
      p = secEnd;
    }
    pfn = last;
  }
  const transitions: [PageClass, PageClass, number][] = [];
  for (let i = 0; i < n * n; i++)
    if (matrix[i]) transitions.push([PAGE_CLASSES[Math.floor(i / n)], PAGE_CLASSES[i % n], matrix[i]]);
  transitions.sort((p, q) => q[2] - p[2]);
  return { transitions, runs, perSection };
}

function verdictBrief(v: OfflineVerdict | undefined): VerdictBrief | undefined {
  if (!v) return undefined;
  return {
    ok: v.ok ?? null,
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    ...(v.errno !== undefined ? { errno: v.errno } : {}),
    ...(v.blockingPfn !== undefined ? { blockingPfn: v.blockingPfn } : {}),
    ...(v.blockingClass !== undefined ? { blockingClass: v.blockingClass } : {}),
  };
}

function blockSide(b: MemoryBlock | undefined): BlockSide | undefined {
  if (!b) return undefined;
  const mainline = verdictBrief(b.verdict?.mainline),
    skippable = verdictBrief(b.verdict?.skippable);
  return {
    state: b.state,
    ...(b.zones ? { zones: b.zones } : {}),
    ...(mainline ? { mainline } : {}),
    ...(skippable ? { offlineSkippablePatch: skippable } : {}),
  };
}

function changedBlocks(a: Snapshot, b: Snapshot): SnapshotDiff['blocks'] {
  // by id, so a 16 TiB host's 131 072 blocks cost one pass each, not one search per block
  const ma = new Map(a.blocks.map((x) => [x.id, x])),
    mb = new Map(b.blocks.map((x) => [x.id, x]));
  const ids = [...new Set([...ma.keys(), ...mb.keys()])].sort((p, q) => p - q);
  const out: SnapshotDiff['blocks'] = [];
  for (const id of ids) {
    const sa = blockSide(ma.get(id)),
      sb = blockSide(mb.get(id));
    if (JSON.stringify(sa) !== JSON.stringify(sb))
      out.push({ block: `memory${id}`, ...(sa ? { a: sa } : {}), ...(sb ? { b: sb } : {}) });
  }
  return out;
}

function changedSections(a: Snapshot, b: Snapshot, perSection: Map<number, number>): SnapshotDiff['sections'] {
  const byNr = (s: Snapshot) => new Map(s.sections.map((x) => [x.nr, x]));
  const ma = byNr(a),
    mb = byNr(b);
  const nrs = [...new Set([...ma.keys(), ...mb.keys(), ...perSection.keys()])].sort((p, q) => p - q);
  const brief = (x: Snapshot['sections'][number] | undefined) =>
    x ? { state: x.state, ...(x.zone !== undefined ? { zone: x.zone } : {}) } : undefined;
  const out: SnapshotDiff['sections'] = [];
  for (const nr of nrs) {
    const sa = brief(ma.get(nr)),
      sb = brief(mb.get(nr)),
      changed = perSection.get(nr) ?? 0;
    if (!changed && JSON.stringify(sa) === JSON.stringify(sb)) continue;
    out.push({ nr, changedPages: changed, ...(sa ? { a: sa } : {}), ...(sb ? { b: sb } : {}) });
  }
  return out;
}

/** Compares b against a (a is "before"). names are the inputs' names for errors. */
export function diffSnapshots(
  a: Snapshot,
  b: Snapshot,
  names: [string, string] = ['the first snapshot', 'the second snapshot'],
): SnapshotDiff {
  assertComparable(a, b, names);
  const start = Math.min(a.startPfn, b.startPfn),
    end = Math.max(a.endPfn, b.endPfn);
  const { transitions, runs, perSection } = comparePages(a, b, start, end);
  return {
    a: side(a),
    b: side(b),
    compared: { start, end },
    pageSize: a.kernel.pageSize,
    transitions,
    runs,
    blocks: changedBlocks(a, b),
    sections: changedSections(a, b, perSection),
  };
}
