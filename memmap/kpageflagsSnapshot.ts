// A /proc/kpageflags capture bundle (with its optional sysfs, iomem, dmesg... files) as a Snapshot.

import { basename } from 'node:path';
import { CLASS_ID, NR_CLASSES, PAGE_CLASSES } from '../kernel/pageClasses';
import { blockCounts, sumCounts } from './aggregate';
import { KPF_RULES, KPF_RULE_CLASS, KPF_UNMOVABLE_COMPOUND_RULES, KpfContext, kpfRule } from './kpageflagsClassify';
import { blockVerdicts } from './offlineVerdict';
import type { OpenOptions } from './openOptions';
import type { MemoryBlock, PageDetail, Section, SectionState, Snapshot } from './snapshot';
import { openCaptureBundle, CaptureBundle } from '../parsers/capture/bundle';
import { iomemIsCensored, isSystemRam, isVirtioMemRam, parseIomem, pfnRangesNamed } from '../parsers/capture/iomem';
import { inRanges, type PfnRange } from '../kernel/pfnRange';
import { parseMeminfo, releaseFromUname } from '../parsers/capture/meminfo';
import type { SysfsMemory } from '../parsers/capture/sysfsMemory';
import { forEachChunk, readWord, wordCount } from '../parsers/capture/u64File';
import { kpfNames } from '../kernel/kpf';
import { familyFromRelease } from '../kernel/pageflags';
import { kpfPredicates } from '../kernel/predicates';
import { parseRelease, type KernelVersion } from '../kernel/version';
import type { Geometry } from '../arch';
import { captureGeometry } from './kpageflagsGeometry';
import { architectureNamed } from '../arch';
import { bootMemoryOfCapture, hasEarlySection } from './kpageflagsBootMemory';

/** PFNs per section of a geometry. */
const pfnsPerSection = (g: Geometry): number => 2 ** (g.sectionSizeBits - g.pageShift);

interface Manifest {
  kernel?: { release?: string };
  scenario?: string;
}

export async function openKpageflagsSnapshot(path: string, opts: OpenOptions = {}): Promise<Snapshot> {
  const bundle = await openCaptureBundle(path);
  try {
    return await snapshotOfBundle(bundle, opts);
  } catch (e) {
    bundle.close();
    throw e;
  }
}

async function snapshotOfBundle(bundle: CaptureBundle, opts: OpenOptions): Promise<Snapshot> {
  const warnings: string[] = [...bundle.problems];
  const notes: string[] = [];
  const { release, version } = kernelOfBundle(bundle, warnings);
  const words = wordCount(bundle.kpageflags.name, bundle.kpageflags.size, 'kpageflags');
  const { geometry, machine } = captureGeometry(bundle, words, warnings, notes);
  const side = readSideFiles(bundle, geometry.pageSize, warnings);
  const { ctx, hypervisor } = classifyContext(side, version);
  if (hypervisor)
    notes.push(`dmesg: ${hypervisor} guest; PageOffline pages outside virtio-mem are its balloon's (unmovable)`);
  if (side.virtioMem.length)
    notes.push(
      `virtio-mem device memory (iomem): ${side.virtioMem.map(([s, e]) => `pfn 0x${s.toString(16)}-0x${e.toString(16)}`).join(', ')}`,
    );

  const pps = pfnsPerSection(geometry);
  const pass = await classifyWords(bundle, ctx, side, pps, opts);
  for (const r of pass.rulesSeen) {
    const a = (KPF_RULES[r] as { assumption?: string }).assumption;
    if (a) notes.push(`assumption (rule ${KPF_RULES[r].id}): ${a}`);
  }

  const { sysfs, pfnsPerBlock } = side;
  const endPfn = pass.words;
  const bootRefused =
    machine === 'aarch64' ? bootMemoryRefusal(side, geometry.pageSize, pps, notes, warnings) : undefined;
  const sections = buildSections(pass.sectionCounts, endPfn, sysfs, pfnsPerBlock, pps);
  const blocks = buildBlocks(
    pass.classes,
    sections,
    sysfs,
    { pfnsPerBlock, pageblockPfns: geometry.pageblockPfns },
    pass.unmovableCompound,
    side.ram,
    opts.ruleSets,
    version,
    bootRefused,
  );
  if (sysfs && !sysfs.blocks.length) warnings.push('the memory/ capture holds no memoryN blocks');

  const meminfo = bundle.texts.meminfo ? parseMeminfo(bundle.texts.meminfo) : undefined;
  if (meminfo?.has('MemTotal'))
    notes.push(`meminfo: MemTotal ${meminfo.get('MemTotal')} kB, MemFree ${meminfo.get('MemFree')} kB`);

  let closed = false;
  const snapshot: Snapshot = {
    kernel: {
      release,
      layoutFamily: release ? familyFromRelease(release)?.id : undefined,
      version: bundle.texts.uname?.trim(),
      machine,
      pageSize: geometry.pageSize,
    },
    startPfn: 0,
    endPfn,
    classes: pass.classes,
    pfnsPerSection: pps,
    sections,
    pfnsPerBlock,
    blocks,
    counts: sumCounts(sections.map((x) => x.counts)),
    warnings,
    provenance: {
      format: 'kpageflags-bundle',
      files: [bundle.source],
      notes: [filesReadNote(bundle, pass.words, side), ...notes],
    },
    pageDetail: (pfn) => (closed ? undefined : pageDetail(bundle, ctx, snapshot, pfn)),
    close: () => {
      closed = true;
      bundle.close();
    },
  };
  return snapshot;
}

/** The kernel release (uname, else the manifest) and its version; warnings when unknown or not x86_64. */
function kernelOfBundle(bundle: CaptureBundle, warnings: string[]): { release?: string; version?: KernelVersion } {
  const manifest = parseManifest(bundle.texts.manifest);
  const release = (bundle.texts.uname && releaseFromUname(bundle.texts.uname)) ?? manifest?.kernel?.release;
  const version = release ? parseRelease(release) : undefined;
  if (!release)
    warnings.push(
      'kernel release unknown (no `uname` file): bits whose meaning changed between versions are read as on current kernels',
    );
  if (bundle.texts.uname && !/x86_64|aarch64/.test(bundle.texts.uname))
    warnings.push(
      'the capture does not say it is from x86_64 or aarch64; sections are assumed to be 128 MiB with 4 KiB pages unless its pagesize file says otherwise',
    );
  return { release, version };
}

/** What the side files say: System RAM and virtio-mem ranges (iomem), memory blocks (sysfs), dmesg. */
interface SideFiles {
  iomem: ReturnType<typeof parseIomem>;
  /** System RAM PFN ranges; undefined when unknown. */
  ram?: PfnRange[];
  virtioMem: PfnRange[];
  sysfs?: SysfsMemory;
  pfnsPerBlock: number;
  offlineBlocks: PfnRange[];
  dmesg: string;
}

function readSideFiles(bundle: CaptureBundle, pageSize: number, warnings: string[]): SideFiles {
  const iomem = bundle.texts.iomem ? parseIomem(bundle.texts.iomem) : [];
  let ram: PfnRange[] | undefined;
  let virtioMem: PfnRange[] = [];
  if (iomem.length && iomemIsCensored(iomem))
    warnings.push(
      '/proc/iomem was captured without root (all addresses 0): virtio-mem ranges and holes cannot be told',
    );
  else if (iomem.length) {
    ram = pfnRangesNamed(iomem, isSystemRam, pageSize);
    virtioMem = pfnRangesNamed(iomem, isVirtioMemRam, pageSize);
  } else warnings.push('no /proc/iomem capture: offline pages of virtio-mem cannot be told from balloon pages');

  const sysfs: SysfsMemory | undefined = bundle.sysfs;
  if (!sysfs) warnings.push('no /sys/devices/system/memory capture: memory blocks and offline sections are unknown');
  for (const p of sysfs?.problems ?? []) warnings.push(`sysfs: ${p}`);
  const pfnsPerBlock = sysfs?.blockSizeBytes ? Number(sysfs.blockSizeBytes / BigInt(pageSize)) : 0;
  const offlineBlocks: PfnRange[] = (sysfs?.blocks ?? [])
    .filter((b) => b.state === 'offline' && pfnsPerBlock)
    .map((b): PfnRange => [b.id * pfnsPerBlock, (b.id + 1) * pfnsPerBlock]);
  return { iomem, ram, virtioMem, sysfs, pfnsPerBlock, offlineBlocks, dmesg: bundle.texts.dmesg ?? '' };
}

/**
 * arm64 never offlines boot memory (bootMemoryOfflineRefusal): which blocks hold an early section,
 * from the capture's dmesg or iomem (kpageflagsBootMemory.ts); undefined with a warning when neither says.
 */
function bootMemoryRefusal(
  side: SideFiles,
  pageSize: number,
  pps: number,
  notes: string[],
  warnings: string[],
): ((startPfn: number, nrPfns: number) => string | undefined) | undefined {
  const refusal = architectureNamed('aarch64')!.bootMemoryOfflineRefusal!;
  const boot = bootMemoryOfCapture(side.dmesg, side.iomem, pageSize);
  if (!boot) {
    warnings.push(
      'arm64 refuses to offline boot memory (EPERM), but neither dmesg ("Early memory node ranges") nor /proc/iomem says which memory that is: the verdicts do not apply the refusal',
    );
    return undefined;
  }
  notes.push(
    `arm64 boot memory (never offlined): ${boot.ranges.map(([s, e]) => `pfn 0x${s.toString(16)}-0x${e.toString(16)}`).join(', ')}, from ${boot.source}`,
  );
  return (startPfn, nrPfns) => (hasEarlySection(boot, startPfn, nrPfns, pps) ? refusal : undefined);
}

/** The rules' context: PFN ranges from the side files, the kernel version, a hypervisor whose balloon pages are unmovable. */
function classifyContext(
  side: SideFiles,
  version: KernelVersion | undefined,
): { ctx: KpfContext; hypervisor?: string } {
  const { virtioMem, offlineBlocks, ram } = side;
  const hypervisor = /Hypervisor detected: (Xen|Microsoft Hyper-V)/.exec(side.dmesg)?.[1];
  const ctx: KpfContext = {
    is: kpfPredicates(version),
    inVirtioMem: (pfn) => inRanges(virtioMem, pfn),
    inOfflineBlock: (pfn) => inRanges(offlineBlocks, pfn),
    inSystemRam: (pfn) => (ram ? inRanges(ram, pfn) : undefined),
    unmovableBalloonHypervisor: hypervisor !== undefined,
  };
  return { ctx, hypervisor };
}

/** What the streaming pass found: a class byte and class counts per section, the rules that fired, kernel compound pages. */
interface WordsPass {
  words: number;
  classes: Uint8Array;
  sectionCounts: Uint32Array;
  rulesSeen: Set<number>;
  /** PFN ranges of compound kernel allocations (not THP): they stop offlining in kernel zones. */
  unmovableCompound: PfnRange[];
}

/** The streaming pass: one class byte per PFN; the rule is not kept (page details recompute it). */
async function classifyWords(
  bundle: CaptureBundle,
  ctx: KpfContext,
  side: SideFiles,
  pps: number,
  opts: OpenOptions,
): Promise<WordsPass> {
  const words = wordCount(bundle.kpageflags.name, bundle.kpageflags.size, 'kpageflags');
  const classes = new Uint8Array(words);
  const rulesSeen = new Set<number>();
  // Context (virtio-mem, offline blocks, RAM) is constant between range boundaries, and runs of
  // identical words are the norm (free blocks, holes, offline ranges): reuse the last result
  // while both the word and the segment stay the same, and count classes per run, not per PFN.
  const nrSections = Math.ceil(words / pps);
  const sectionCounts = new Uint32Array(nrSections * NR_CLASSES);
  const boundaries = contextBoundaries([side.virtioMem, side.offlineBlocks, side.ram ?? []], nrSections, pps);
  let segEnd = -1;
  let bi = 0;
  let countBase = 0;
  let lastLo = -1;
  let lastHi = -1;
  let rule = 0;
  let cls = 0;
  let runStart = 0;
  const unmovableCompound: PfnRange[] = [];
  const endRun = (pfn: number) => {
    classes.fill(cls, runStart, pfn);
    sectionCounts[countBase + cls] += pfn - runStart;
    if (KPF_UNMOVABLE_COMPOUND_RULES.has(rule) && pfn > runStart) unmovableCompound.push([runStart, pfn]);
    runStart = pfn;
  };
  await forEachChunk(
    bundle.kpageflags,
    'kpageflags',
    (first, w, n) => {
      let i = 0;
      while (i < n) {
        if (first + i >= segEnd) {
          endRun(first + i);
          while (bi < boundaries.length && boundaries[bi] <= first + i) bi++;
          segEnd = bi < boundaries.length ? boundaries[bi] : Infinity;
          countBase = Math.floor((first + i) / pps) * NR_CLASSES;
          lastLo = -1;
        }
        // Within a segment only a changed word can change the rule: the loop is two loads and two compares.
        const lim = Math.min(n, segEnd - first);
        for (; i < lim; i++) {
          const lo = w[2 * i];
          const hi = w[2 * i + 1];
          if (lo === lastLo && hi === lastHi) continue;
          const r = kpfRule(lo, hi, first + i, ctx);
          lastLo = lo;
          lastHi = hi;
          if (r !== rule) {
            endRun(first + i);
            rulesSeen.add(r);
            rule = r;
            cls = KPF_RULE_CLASS[r];
          }
        }
      }
    },
    opts.signal,
    opts.onProgress,
  );
  endRun(words);
  rulesSeen.add(rule);
  return { words, classes, sectionCounts, rulesSeen, unmovableCompound };
}

/** The provenance note naming the files read. */
function filesReadNote(bundle: CaptureBundle, words: number, side: SideFiles): string {
  return (
    `read ${basename(bundle.kpageflags.name === bundle.source ? bundle.source : 'kpageflags')} (${words} PFNs)` +
    (bundle.kpagecount ? ', kpagecount' : '') +
    (bundle.kpagecgroup ? ', kpagecgroup' : '') +
    (side.sysfs ? `, memory/ (${side.sysfs.blocks.length} blocks)` : '') +
    (side.iomem.length ? ', iomem' : '') +
    (side.dmesg ? ', dmesg' : '')
  );
}

/** Sorted PFNs where any context range starts or ends. */
function contextBoundaries(rangeLists: PfnRange[][], nrSections: number, pps: number): number[] {
  const set = new Set<number>();
  for (let i = 0; i <= nrSections; i++) set.add(i * pps);
  for (const list of rangeLists) for (const [s, e] of list) set.add(s).add(e);
  return [...set].sort((a, b) => a - b);
}

function parseManifest(text: string | undefined): Manifest | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    return undefined;
  }
}

const BLOCK_TO_SECTION_STATE: Record<string, SectionState> = {
  online: 'online',
  'going-offline': 'online',
  offline: 'offline',
};

function buildSections(
  sectionCounts: Uint32Array,
  endPfn: number,
  sysfs: SysfsMemory | undefined,
  pfnsPerBlock: number,
  pps: number,
): Section[] {
  const sections: Section[] = [];
  const blockById = new Map((sysfs?.blocks ?? []).map((b) => [b.id, b]));
  for (let start = 0, nr = 0; start < endPfn; start += pps, nr++) {
    const counts = sectionCounts.subarray(nr * NR_CLASSES, (nr + 1) * NR_CLASSES);
    const nrPfns = Math.min(pps, endPfn - start);
    const block = pfnsPerBlock ? blockById.get(Math.floor(start / pfnsPerBlock)) : undefined;
    let state: SectionState;
    if (block) state = BLOCK_TO_SECTION_STATE[block.state] ?? 'unknown';
    else if (counts[CLASS_ID['no-memmap']] === nrPfns) state = 'absent';
    else if (sysfs && pfnsPerBlock) state = 'unknown';
    else state = 'online';
    sections.push({
      nr,
      startPfn: start,
      nrPfns,
      state,
      zone: block?.state === 'online' && block.validZones?.length === 1 ? block.validZones[0] : undefined,
      node: block?.node,
      counts,
    });
  }
  return sections;
}

function buildBlocks(
  classes: Uint8Array,
  sections: Section[],
  sysfs: SysfsMemory | undefined,
  sizes: { pfnsPerBlock: number; pageblockPfns: number },
  unmovableCompound: PfnRange[],
  ram: PfnRange[] | undefined,
  ruleSets?: OpenOptions['ruleSets'],
  version?: KernelVersion,
  bootRefused?: (startPfn: number, nrPfns: number) => string | undefined,
): MemoryBlock[] {
  const { pfnsPerBlock, pageblockPfns } = sizes;
  if (!sysfs || !pfnsPerBlock) return [];
  // THP heads and tails carry KPF_LRU (PF_HEAD flags read through the head); kernel compound pages do not.
  const compoundIsMovable = (pfn: number) => !inRanges(unmovableCompound, pfn);
  return sysfs.blocks.map((b) => {
    const block: MemoryBlock = {
      id: b.id,
      startPfn: b.id * pfnsPerBlock,
      nrPfns: pfnsPerBlock,
      state: b.state,
      zones: b.validZones,
      node: b.node,
      removable: b.removable,
      counts: blockCounts(sections, b.id * pfnsPerBlock, pfnsPerBlock),
    };
    block.verdict = blockVerdicts(
      {
        block,
        bootMemoryRefused: bootRefused?.(block.startPfn, block.nrPfns),
        classes,
        classesStartPfn: 0,
        compoundIsMovable,
        isSystemRam: ram ? (pfn) => inRanges(ram, pfn) : undefined,
        kernelOtherMayBeFree: true,
        pageblockPfns,
        kernelVersion: version,
      },
      ruleSets,
    );
    return block;
  });
}

function pageDetail(bundle: CaptureBundle, ctx: KpfContext, s: Snapshot, pfn: number): PageDetail | undefined {
  if (!Number.isInteger(pfn) || pfn < s.startPfn || pfn >= s.endPfn) return undefined;
  const word = readWord(bundle.kpageflags, pfn);
  if (word === undefined) return undefined;
  const lo = Number(word & 0xffffffffn);
  const hi = Number(word >> 32n);
  const rule = KPF_RULES[kpfRule(lo, hi, pfn, ctx)];
  const raw: Record<string, string | number> = { kpageflags: '0x' + word.toString(16).padStart(16, '0') };
  const count = bundle.kpagecount ? readWord(bundle.kpagecount, pfn) : undefined;
  if (count !== undefined) raw.kpagecount = Number(count);
  const cg = bundle.kpagecgroup ? readWord(bundle.kpagecgroup, pfn) : undefined;
  if (cg !== undefined) raw.kpagecgroup = Number(cg);
  const block = s.pfnsPerBlock ? Math.floor(pfn / s.pfnsPerBlock) : undefined;
  const notes: string[] = [];
  const a = (rule as { assumption?: string }).assumption;
  if (a) notes.push(`assumption: ${a}`);
  if (ctx.inVirtioMem(pfn)) notes.push('inside a virtio-mem device range');
  return {
    pfn,
    physAddr: BigInt(pfn) * BigInt(s.kernel.pageSize),
    class: PAGE_CLASSES[s.classes[pfn - s.startPfn]],
    rule: rule.id,
    why: rule.why,
    section: Math.floor(pfn / s.pfnsPerSection),
    block,
    raw,
    flags: kpfNames(word).map((n) => `KPF_${n}`),
    mapcount: count !== undefined ? Number(count) : undefined,
    zone: block !== undefined ? s.blocks.find((b) => b.id === block)?.zones?.join(' ') : undefined,
    notes,
  };
}
