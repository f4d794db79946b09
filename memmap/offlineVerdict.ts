// Predicts what offline_pages() would do with one online memory block, from the page classes,
// following docs/kernel/memory-offlining.md (the kernel's order, the prediction), under the mainline rules
// (5.8 - 6.18) and under the unmerged PG_offline_skippable v2 rules.
//
// The kernel checks in this order, and so do we: memory holes (whole range), zones, isolation of
// every pageblock (has_unmovable_pages: first "unmovable" page in address order), then the
// migration loop (scan_movable_pages: unmovable PageOffline), then pages that never free up.
// What happens to PageOffline pages is a rule set given as data (offlineRules.ts).

import { CLASS_ID, PageClass, className } from '../kernel/pageClasses';
import type { PfnRange } from '../kernel/pfnRange';
import { isolatesPageblocksInAddressOrder } from '../kernel/predicates';
import type { KernelVersion } from '../kernel/version';
import type { MemoryBlock, OfflineVerdict } from './snapshot';
import { MAINLINE_RULES, SKIPPABLE_RULES, type OfflineRuleSet } from './offlineRules';

export interface VerdictInput {
  block: Pick<MemoryBlock, 'id' | 'startPfn' | 'nrPfns' | 'state' | 'zones'>;
  /**
   * The block holds boot memory (early sections) and the architecture refuses to offline boot memory
   * from its MEM_GOING_OFFLINE notifier (arm64: prevent_bootmem_remove_notifier, NOTIFY_BAD → EPERM
   * "notifier failure", after isolation succeeded): the words that say so.
   */
  bootMemoryRefused?: string;
  classes: Uint8Array;
  /** PFN of classes[0]. */
  classesStartPfn: number;
  /**
   * Whether a compound page at pfn (class compound-head/compound-tail) is migratable (THP on the
   * LRU) rather than a kernel allocation. Readers that know (kpageflags LRU bit, struct page) pass it;
   * without it such pages make the verdict uncertain.
   */
  compoundIsMovable?(pfn: number): boolean | undefined;
  /**
   * The same knowledge as a bit set by absolute PFN (bit set: part of a compound page known to be
   * movable), when the reader has it: the isolation scan then skips such pages without a call each
   * (a THP-filled block has 32 k of them). compoundIsMovable still answers for the others.
   */
  compoundMovableBits?: Uint8Array;
  /**
   * Whether pfn is System RAM (/proc/iomem, the kernel's resource tree). Holes inside boot memory
   * have a memmap (PG_reserved) but are not System RAM: offline_pages() refuses them first.
   */
  isSystemRam?(pfn: number): boolean | undefined;
  /**
   * The reader could not learn the System RAM ranges (e.g. a 5.10 dump: no kallsyms, so no
   * iomem_resource): a PG_reserved page may then be a memory hole (EINVAL "memory holes", checked
   * first) or a reserved page (EBUSY): the block fails either way, with a reason that cannot be told.
   */
  systemRamUnknown?: boolean;
  /**
   * kpageflags shows a free page on a per-CPU list exactly like an allocated kernel page (no flags).
   * When set, such pages stop offlining only where nothing more definite does, with that caveat.
   */
  kernelOtherMayBeFree?: boolean;
  /**
   * Class counts of exactly the block's PFNs, when the reader has them (vmcore: summed per section);
   * saves a pass over the block. Without it the verdict counts the classes itself.
   */
  counts?: Uint32Array;
  /** PFNs per pageblock (x86_64 with 4 KiB pages: 512). */
  pageblockPfns?: number;
  /**
   * The kernel's release (major, minor) when known: before 5.19 start_isolate_page_range() isolates
   * the pageblocks in address order, from 5.19 the first, the last, then the rest.
   */
  kernelVersion?: KernelVersion;
}

const PAGEBLOCK_PFNS = 512;

/** Index ranges of the pageblocks of [from, to) in the order the kernel isolates them: first, last, then the
 *  rest (5.19+, isolate_single_pageblock() for both ends first); in address order before 5.19. */
export function pageblocksInIsolationOrder(
  from: number,
  to: number,
  pageblock: number,
  addressOrder = false,
): PfnRange[] {
  const blocks: PfnRange[] = [];
  for (let b = from; b < to; b += pageblock) blocks.push([b, Math.min(b + pageblock, to)]);
  if (blocks.length <= 2 || addressOrder) return blocks;
  return [blocks[0], blocks[blocks.length - 1], ...blocks.slice(1, -1)];
}

type Rules = 'mainline' | 'skippable' | OfflineRuleSet;

/** A rule set as per-class-id tables (the loops index them per PFN). */
interface CompiledRules {
  set: OfflineRuleSet;
  isolation: (string | undefined)[];
  scanFail: (string | undefined)[];
  scanUncertain: (string | undefined)[];
  isolationIds: number[];
  scanIds: number[];
}
const compiled = new WeakMap<OfflineRuleSet, CompiledRules>();
function compileRules(rules: Rules): CompiledRules {
  const set = rules === 'mainline' ? MAINLINE_RULES : rules === 'skippable' ? SKIPPABLE_RULES : rules;
  let c = compiled.get(set);
  if (c) return c;
  const table = (m: Partial<Record<string, string>>) => {
    const t: (string | undefined)[] = new Array(256).fill(undefined);
    for (const [k, v] of Object.entries(m)) t[CLASS_ID[k as PageClass]] = v;
    return t;
  };
  const ids = (...ms: Partial<Record<string, string>>[]) => [
    ...new Set(ms.flatMap((m) => Object.keys(m).map((k) => CLASS_ID[k as PageClass]))),
  ];
  c = {
    set,
    isolation: table(set.isolationFails),
    scanFail: table(set.scanFails),
    scanUncertain: table(set.scanUncertain),
    isolationIds: ids(set.isolationFails),
    scanIds: ids(set.scanFails, set.scanUncertain),
  };
  compiled.set(set, c);
  return c;
}

const C = CLASS_ID;
/** Class-id lookup tables (a byte per class: these loops run over every PFN of every block). */
const classTable = (ids: number[]) => {
  const t = new Uint8Array(256);
  for (const i of ids) t[i] = 1;
  return { has: (c: number) => t[c] === 1, anyIn: (present: Uint8Array) => ids.some((i) => present[i] === 1) };
};
const UNKNOWABLE = classTable([C.unknown, C.excluded, C['not-in-listing'], C['section-offline']]);
/** In non-movable zones, has_unmovable_pages() fails on these (refcount > 0, not LRU/movable/offline/hwpoison). */
const UNMOVABLE_KERNEL = classTable([C.slab, C.pagetable, C['kernel-other']]);

function fail(
  reason: string,
  errno: OfflineVerdict['errno'],
  pfn: number,
  cls: number,
  explanation: string,
): OfflineVerdict {
  return { ok: false, reason, errno, blockingPfn: pfn, blockingClass: className(cls), explanation };
}

/** Class ids as plain constants: CLASS_ID is a dictionary object, too slow to index in per-PFN loops. */
const NO_MEMMAP = C['no-memmap'];
const RESERVED = C.reserved;
const KERNEL_OTHER = C['kernel-other'];
const COMPOUND_HEAD = C['compound-head'];
const COMPOUND_TAIL = C['compound-tail'];

/**
 * First index in [i, end) whose class is marked in stops, or end; compound pages whose bit is set in
 * movableBits (by absolute PFN: base + index) do not stop. A small leaf so the JIT optimises it early.
 */
function nextStop(
  classes: Uint8Array,
  stops: Uint8Array,
  i: number,
  end: number,
  movableBits: Uint8Array | undefined,
  base: number,
): number {
  for (; i < end; i++) {
    const c = classes[i];
    if (stops[c] === 0) continue;
    if (movableBits !== undefined && (c === COMPOUND_HEAD || c === COMPOUND_TAIL)) {
      const pfn = base + i;
      if ((movableBits[pfn >>> 3] >>> (pfn & 7)) & 1) continue;
    }
    return i;
  }
  return end;
}

/** What the steps of one verdict share: the block's index range in `classes`, its zone, what it holds. */
interface BlockScan {
  input: VerdictInput;
  R: CompiledRules;
  from: number;
  to: number;
  zone?: string;
  movableZone: boolean;
  /** Which classes occur in the block (loops that look for classes the block lacks are skipped). */
  present: Uint8Array;
  /** kpageflags: a flag-less page may be a per-CPU free page, so such pages only decide last. */
  ambiguousKernel: boolean;
  /** The first page whose state the snapshot cannot tell and that might decide the verdict. */
  uncertain?: { pfn: number; cls: number; why: string };
}

/**
 * What offline_pages() would do with the block, in the kernel's order of checks: the block's state,
 * zones (1) and holes (2), isolation of its pageblocks (3), the MEM_GOING_OFFLINE notifiers (4./5.),
 * the migration scan (6), and pages that never free up in ZONE_MOVABLE (9).
 */
export function offlineVerdict(input: VerdictInput, rules: Rules): OfflineVerdict {
  const scan = beginScan(input, compileRules(rules));
  if ('ok' in scan) return scan;
  const verdict =
    zonesAndHoles(scan) ?? isolation(scan) ?? notifiers(scan) ?? migrationScan(scan) ?? movableZoneRetry(scan);
  if (verdict) return verdict;
  const u = scan.uncertain;
  if (u)
    return { ok: undefined, blockingPfn: u.pfn, blockingClass: className(u.cls), explanation: `cannot tell: ${u.why}` };
  return { ok: true, explanation: successExplanation(scan.present, scan.R.set) };
}

/** The block's state and extent, and the classes it holds; a verdict when there is nothing to predict. */
function beginScan(input: VerdictInput, R: CompiledRules): BlockScan | OfflineVerdict {
  const { block, classes, classesStartPfn } = input;
  if (block.state === 'offline') return { ok: undefined, explanation: 'the block is already offline' };
  if (block.state === 'going-offline')
    return { ok: undefined, explanation: 'the block is being offlined right now (going-offline)' };
  if (block.state !== 'online') return { ok: undefined, explanation: 'the block state is unknown' };

  const from = block.startPfn - classesStartPfn;
  const to = Math.min(from + block.nrPfns, classes.length);
  if (from < 0 || from >= classes.length)
    return { ok: undefined, explanation: 'the block lies outside the PFNs this snapshot covers' };

  const present = new Uint8Array(256);
  if (input.counts && to - from === block.nrPfns)
    for (let c = 0; c < input.counts.length && c < 256; c++) present[c] = input.counts[c] > 0 ? 1 : 0;
  else for (let i = from; i < to; i++) present[classes[i]] = 1;
  const zones = block.zones ?? [];
  const zone = zones.length === 1 ? zones[0] : undefined;
  // An unknown zone is treated as a kernel zone: a kernel page fails either way, only the reason differs.
  return {
    input,
    R,
    from,
    to,
    zone,
    movableZone: zone === 'Movable',
    present,
    ambiguousKernel: input.kernelOtherMayBeFree === true,
  };
}

/** 1. A block spanning zones, 2. a block that is not all System RAM: refused before offline_pages() works. */
function zonesAndHoles(scan: BlockScan): OfflineVerdict | undefined {
  const { input, from, to, present } = scan;
  const { block, classes, classesStartPfn } = input;
  // sysfs prints "none" for such an online block; readers that see the zones themselves list them all.
  const zones = block.zones ?? [];
  if (zones.includes('none') || zones.length > 1)
    return {
      ok: false,
      reason: 'multizone range',
      errno: 'EINVAL',
      explanation: `the block spans more than one zone (${zones.includes('none') ? 'valid_zones "none"' : zones.join(' and ')})`,
    };
  // walk_system_ram_range() must cover the whole block.
  const isRam = input.isSystemRam;
  if (isRam !== undefined || present[NO_MEMMAP])
    for (let i = from; i < to; i++)
      if (classes[i] === NO_MEMMAP || (isRam !== undefined && isRam(classesStartPfn + i) === false))
        return fail(
          'memory holes',
          'EINVAL',
          classesStartPfn + i,
          classes[i],
          'part of the block is not System RAM (a hole); offline_pages() refuses holes',
        );
  if (to - from < block.nrPfns)
    return fail(
      'memory holes',
      'EINVAL',
      classesStartPfn + to,
      NO_MEMMAP,
      'the block extends past the end of the memmap',
    );
  return undefined;
}

/** The classes the isolation loop reacts to (all others pass: one table lookup per PFN). */
function isolationStops(scan: BlockScan): Uint8Array {
  const stops = new Uint8Array(256);
  stops[RESERVED] = 1;
  for (const c of scan.R.isolationIds) stops[c] = 1;
  if (!scan.movableZone)
    for (let c = 0; c < 256; c++)
      if (UNMOVABLE_KERNEL.has(c) || UNKNOWABLE.has(c) || c === COMPOUND_HEAD || c === COMPOUND_TAIL) stops[c] = 1;
  return stops;
}

/**
 * 3. Isolation: start_isolate_page_range() isolates the first pageblock, then the last, then the ones in
 * between (since 5.19; in address order before); has_unmovable_pages() reports the first offending page
 * of the first pageblock that fails, which is the page the kernel dumps with "unmovable page".
 */
function isolation(scan: BlockScan): OfflineVerdict | undefined {
  const { input, R, from, to, present, movableZone } = scan;
  const isolationMatters =
    present[RESERVED] === 1 ||
    R.isolationIds.some((c) => present[c] === 1) ||
    (!movableZone &&
      (UNMOVABLE_KERNEL.anyIn(present) ||
        present[COMPOUND_HEAD] === 1 ||
        present[COMPOUND_TAIL] === 1 ||
        UNKNOWABLE.anyIn(present)));
  let firstAmbiguous = -1;
  if (isolationMatters) {
    const { classes, classesStartPfn } = input;
    const stops = isolationStops(scan);
    const movableBits = input.compoundMovableBits;
    const addressOrder = input.kernelVersion !== undefined && isolatesPageblocksInAddressOrder(input.kernelVersion);
    const pageblock = input.pageblockPfns ?? PAGEBLOCK_PFNS;
    for (const [pbFrom, pbTo] of pageblocksInIsolationOrder(from, to, pageblock, addressOrder))
      for (
        let i = nextStop(classes, stops, pbFrom, pbTo, movableBits, classesStartPfn);
        i < pbTo;
        i = nextStop(classes, stops, i + 1, pbTo, movableBits, classesStartPfn)
      ) {
        const cls = classes[i];
        if (scan.ambiguousKernel && !movableZone && cls === KERNEL_OTHER) {
          if (firstAmbiguous < 0) firstAmbiguous = i;
          continue;
        }
        const verdict = isolationStop(scan, cls, classesStartPfn + i);
        if (verdict)
          return firstAmbiguous >= 0 && verdict.ok === false ? likelyFirst(scan, firstAmbiguous, verdict) : verdict;
      }
  }
  if (firstAmbiguous >= 0)
    return fail(
      'failure to isolate range',
      'EBUSY',
      input.classesStartPfn + firstAmbiguous,
      KERNEL_OTHER,
      `a page without state flags in ZONE_${scan.zone ?? '?'}: an allocated kernel page cannot be migrated (the kernel dumps it with "unmovable page"); kpageflags shows a free page on a per-CPU list the same way, so this is the likely, not the certain, blocker`,
    );
  if (movableZone && UNKNOWABLE.anyIn(present)) {
    for (let i = from; i < to; i++)
      if (UNKNOWABLE.has(input.classes[i]) && !scan.uncertain)
        scan.uncertain = {
          pfn: input.classesStartPfn + i,
          cls: input.classes[i],
          why: 'part of the block is in an unknown state',
        };
  }
  return undefined;
}

/**
 * kpageflags: a flag-less page came before a certain blocker in the kernel's isolation order. If it is
 * allocated (the likely case) the kernel stops and dumps it there; if it is a free page on a per-CPU
 * list, the kernel goes on to the certain one. The block fails either way.
 */
function likelyFirst(scan: BlockScan, i: number, certain: OfflineVerdict): OfflineVerdict {
  const at = certain.blockingPfn !== undefined ? `pfn 0x${certain.blockingPfn.toString(16)}` : 'a later page';
  return fail(
    'failure to isolate range',
    'EBUSY',
    scan.input.classesStartPfn + i,
    KERNEL_OTHER,
    `a page without state flags in ZONE_${scan.zone ?? '?'} comes first in the kernel's isolation order: an allocated kernel page cannot be migrated (the kernel dumps it with "unmovable page"); kpageflags shows a free page on a per-CPU list the same way, and then the kernel stops at ${at} instead (${certain.explanation}). The block fails either way`,
  );
}

/** What has_unmovable_pages() makes of one page the isolation loop stopped at: a failure, or nothing (maybe noting it as uncertain). */
function isolationStop(scan: BlockScan, cls: number, pfn: number): OfflineVerdict | undefined {
  const { input } = scan;
  if (cls === RESERVED && input.systemRamUnknown)
    return {
      ok: undefined,
      blockingPfn: pfn,
      blockingClass: 'reserved',
      explanation: `cannot tell the reason: the block would fail either way, at the PG_reserved pfn 0x${pfn.toString(16)} — with EINVAL ("memory holes") if that page is a hole in System RAM, else with EBUSY ("failure to isolate range"); the System RAM ranges are unknown in this snapshot`,
    };
  if (cls === RESERVED)
    return fail(
      'failure to isolate range',
      'EBUSY',
      pfn,
      cls,
      'a PG_reserved page cannot be isolated in any zone; the kernel dumps it with "unmovable page"',
    );
  const isolationWhy = scan.R.isolation[cls];
  if (isolationWhy !== undefined) return fail('failure to isolate range', 'EBUSY', pfn, cls, isolationWhy);
  if (scan.movableZone) return undefined;
  if (UNMOVABLE_KERNEL.has(cls))
    return fail(
      'failure to isolate range',
      'EBUSY',
      pfn,
      cls,
      `a ${className(cls)} page in ZONE_${scan.zone ?? '?'} is in use by the kernel and cannot be migrated; the kernel dumps it with "unmovable page"`,
    );
  if (cls === COMPOUND_HEAD || cls === COMPOUND_TAIL) {
    const movable = input.compoundIsMovable?.(pfn);
    if (movable === false)
      return fail(
        'failure to isolate range',
        'EBUSY',
        pfn,
        cls,
        'a compound kernel allocation that is not on the LRU cannot be migrated ("unmovable page" dump)',
      );
    if (movable === undefined && !scan.uncertain)
      scan.uncertain = {
        pfn,
        cls,
        why: 'a compound page of unknown kind (THP would migrate, a kernel allocation would not)',
      };
  }
  if (UNKNOWABLE.has(cls) && !scan.uncertain)
    scan.uncertain = { pfn, cls, why: `the state of pfn 0x${pfn.toString(16)} is unknown here (${className(cls)})` };
  return undefined;
}

/**
 * 4./5. MEM_GOING_OFFLINE notifiers: an architecture that refuses boot memory (arm64) fails here, after
 * isolation. Other notifiers (virtio-mem drops its references on fake-offline pages) cannot be predicted
 * from the memmap.
 */
function notifiers(scan: BlockScan): OfflineVerdict | undefined {
  const { input, from } = scan;
  if (!input.bootMemoryRefused) return undefined;
  const u = scan.uncertain;
  if (u)
    return {
      ok: undefined,
      blockingPfn: u.pfn,
      blockingClass: className(u.cls),
      explanation: `fails either way: ${u.why} may fail isolation (EBUSY); if not, ${input.bootMemoryRefused} (EPERM)`,
    };
  return fail('notifier failure', 'EPERM', input.block.startPfn, input.classes[from], input.bootMemoryRefused);
}

/** 6. scan_movable_pages(): a PageOffline page that still holds a reference. */
function migrationScan(scan: BlockScan): OfflineVerdict | undefined {
  const { input, R, from, to, present } = scan;
  if (!R.scanIds.some((c) => present[c] === 1)) return undefined;
  for (let i = from; i < to; i++) {
    const cls = input.classes[i];
    const scanWhy = R.scanFail[cls];
    if (scanWhy !== undefined) return fail('unmovable page', 'EBUSY', input.classesStartPfn + i, cls, scanWhy);
    const unsure = R.scanUncertain[cls];
    if (unsure !== undefined && !scan.uncertain) scan.uncertain = { pfn: input.classesStartPfn + i, cls, why: unsure };
  }
  return undefined;
}

/**
 * 9. In ZONE_MOVABLE, kernel pages pass isolation but never migrate: endless retry. Flag-less pages there
 * are per-CPU free pages or pages in transit when kpageflags cannot tell.
 */
function movableZoneRetry(scan: BlockScan): OfflineVerdict | undefined {
  const { input, from, to, present } = scan;
  if (!scan.movableZone || !UNMOVABLE_KERNEL.anyIn(present)) return undefined;
  const classes = input.classes;
  for (let i = from; i < to; i++)
    if (UNMOVABLE_KERNEL.has(classes[i]) && !(scan.ambiguousKernel && classes[i] === KERNEL_OTHER))
      return fail(
        'signal backoff',
        'EINTR',
        input.classesStartPfn + i,
        classes[i],
        'an unmovable kernel page in ZONE_MOVABLE passes isolation but can never be migrated: the kernel retries until the writer is interrupted',
      );
  return undefined;
}

function successExplanation(present: Uint8Array, rules: OfflineRuleSet): string {
  const seen = new Set<PageClass>();
  for (let c = 0; c < 256; c++) if (present[c]) seen.add(className(c));
  const parts: string[] = [];
  if (seen.has('lru-anon') || seen.has('lru-file') || seen.has('compound-head') || seen.has('hugetlb'))
    parts.push('in-use user pages would be migrated (needs free memory elsewhere)');
  if (seen.has('offline-movable')) parts.push('balloon pages would be migrated by balloon compaction');
  if (seen.has('offline-skippable')) parts.push(rules.skippedNote);
  if (seen.has('hwpoison')) parts.push('hwpoisoned pages are skipped');
  return ['every page is free, migratable or skippable', ...parts].join('; ');
}

/** Both verdicts for a block; with `more`, also the verdict under each further rule set, by id. */
export function blockVerdicts(
  input: VerdictInput,
  more?: readonly OfflineRuleSet[],
): { mainline: OfflineVerdict; skippable: OfflineVerdict; byRuleSet?: Record<string, OfflineVerdict> } {
  const v: { mainline: OfflineVerdict; skippable: OfflineVerdict; byRuleSet?: Record<string, OfflineVerdict> } = {
    mainline: offlineVerdict(input, 'mainline'),
    skippable: offlineVerdict(input, 'skippable'),
  };
  if (more?.length) v.byRuleSet = Object.fromEntries(more.map((r) => [r.id, offlineVerdict(input, r)]));
  return v;
}
