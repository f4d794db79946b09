// vmcore (ELF, kdump-compressed, flattened, split) → Snapshot: one class byte per PFN, sections,
// memory blocks with offline verdicts, kernel identity, provenance, and pageDetail() that re-reads
// the raw struct page. Pure core, no vscode.
import { CLASS_ID, className } from '../kernel/pageClasses';
import { PAGE_CLASSES } from '../kernel/pageClasses';
import { formatByteSize } from '../kernel/byteSize';
import { PageDetail, Snapshot } from './snapshot';
import { sumCounts } from './aggregate';
import { classifyStructPage, ClassifyContext, Neighbours, R, VMCORE_RULES } from './classifyPage';
import { buildClassifyContext, ContextResult, StructPageLayoutError } from './vmcoreContext';
import { VmcoreMemmap } from './vmcoreMemmap';
import { classifyMemmap, MAX_ORDER, pfnExtent } from './vmcorePass';
import { buildBlocks, buildSections, memoryBlockSize } from './vmcoreBlocks';
import type { OfflineRuleSet } from './offlineRules';
import { openDump, OpenedDump } from '../parsers/dump/openDump';
import { DumpError } from '../parsers/dump/errors';
import type { DecodeWorkerMode, PhysicalMemory } from '../parsers/dump/physmem';
import { TranslationError } from '../parsers/kernelMemory/translator';
import type { KernelTranslator } from '../parsers/kernelMemory/translator';
import { architectureOfDump } from '../arch';
import type { Architecture, Geometry } from '../arch';
import { MemSectionError, MemSectionTable, readMemSections } from '../parsers/kernelMemory/memSection';
import { trustedSections } from '../parsers/kernelMemory/sectionBounds';
import { readVmcoreResources } from './vmcoreResources';
import { decodePageFlags, flagNamesForDisplay, LayoutFamily } from '../kernel/pageflags';
import { parseRelease } from '../kernel/version';
import { describePageType } from '../kernel/pagetypes';
import { decodeTailWord } from '../kernel/compound';

export interface VmcoreOpenOptions {
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
  /**
   * Use the slow reference path (per-page translation and copies, no bulk reads, no cached struct-page
   * views). For tests that check the fast path gives identical classes.
   */
  reference?: boolean;
  /**
   * kdump dumps: decode the memmap's pages on a worker thread too — when it pays (default 'auto', or the
   * KMEMMAP_DECODE_WORKER environment variable: never/always), 'always' or 'never'.
   */
  decodeWorker?: DecodeWorkerMode;
  /** Called after each phase of the build with its wall time (benchmarks). */
  onPhase?(name: string, wallMs: number, cpuMs: number): void;
  /** Further offlining rule sets: verdicts under each in block.verdict.byRuleSet. */
  ruleSets?: readonly OfflineRuleSet[];
}

/** Wall and CPU time of each phase of a build, for the snapshot's notes and opts.onPhase (benchmarks). */
class PhaseTimer {
  readonly lines: string[] = [];
  private t = performance.now();
  private cpu = process.cpuUsage();
  constructor(private readonly opts: VmcoreOpenOptions) {}

  /** Ends the phase called name; the next one starts. */
  end(name: string): void {
    const t = performance.now(),
      c = process.cpuUsage(this.cpu);
    const cpuMs = (c.user + c.system) / 1000;
    this.lines.push(`${name} ${(t - this.t).toFixed(0)} ms (cpu ${cpuMs.toFixed(0)} ms)`);
    this.opts.onPhase?.(name, t - this.t, cpuMs);
    this.t = t;
    this.cpu = process.cpuUsage();
  }
}

export async function openVmcoreSnapshot(paths: string[], opts: VmcoreOpenOptions = {}): Promise<Snapshot> {
  const dump = openDump(paths, opts.onProgress);
  try {
    return await buildSnapshot(dump, opts);
  } catch (e) {
    dump.mem.close();
    if (e instanceof TranslationError || e instanceof MemSectionError || e instanceof StructPageLayoutError) {
      const loss = dump.kdump?.dataLoss() ?? dump.elf?.dataLoss(); // a page the reader needed may be one the dump lost
      throw new DumpError(
        paths[0],
        loss?.truncated ? 'truncated' : 'corrupt',
        loss ? `${e.message}; the dump lost page data: ${loss.text}` : e.message,
      );
    }
    throw e;
  }
}

/** The most page frames a snapshot holds: one class byte per PFN (16 TiB of 4 KiB pages, 64 TiB of 16 KiB). */
export const MAX_SNAPSHOT_PFNS = 2 ** 32;

/** A machine past MAX_SNAPSHOT_PFNS is refused with what claims it, before a byte per PFN is allocated. */
function refuseUndrawableMachine(file: string, endPfn: number, pageSize: number, headerField: string): void {
  if (endPfn <= MAX_SNAPSHOT_PFNS) return;
  throw new DumpError(
    file,
    'corrupt',
    `the dump describes physical memory up to PFN 0x${endPfn.toString(16)} (${formatByteSize(endPfn * pageSize)}, from its ${headerField} and mem_section), more than the ${MAX_SNAPSHOT_PFNS} page frames a snapshot can hold (${formatByteSize(MAX_SNAPSHOT_PFNS * pageSize)} of ${pageSize / 1024} KiB pages): a damaged header or section table`,
  );
}

/** The warning for dump memory past the kernel's last section and System RAM (see pfnExtent). */
function tailLeftOut(mem: PhysicalMemory, endPfn: number, pageSize: number, kdump: boolean, ramKnown: boolean): string {
  const at = (pfn: number) => `PFN 0x${pfn.toString(16)} (${formatByteSize(pfn * pageSize)})`;
  const dataEnd = mem.dataEndPfn ?? mem.maxPfn;
  const claim = kdump
    ? `the kdump header's max_mapnr describes memory up to ${at(mem.maxPfn)}`
    : `the dump's PT_LOAD segments describe memory up to ${at(mem.maxPfn)}` +
      (dataEnd > endPfn
        ? ` and hold page data up to ${at(dataEnd)}`
        : `, but from ${at(endPfn)} on no byte of the file holds it (zero-fill, p_memsz beyond p_filesz)`);
  return (
    `${claim}; mem_section registers no section from ${at(endPfn)} on${ramKnown ? ', nor does iomem list System RAM there' : ''}: ` +
    `that memory has no memmap to show, so the snapshot ends at ${at(endPfn)}`
  );
}

/** Warnings and provenance notes of a build, in the order they were found. */
interface BuildLog {
  warnings: string[];
  notes: string[];
}

/** What the memmap pass needs from the dump's kernel. */
interface KernelView {
  arch: Architecture;
  geometry: Geometry;
  vm: KernelTranslator;
  table: MemSectionTable;
  cr: ContextResult;
}

async function buildSnapshot(dump: OpenedDump, opts: VmcoreOpenOptions): Promise<Snapshot> {
  const timer = new PhaseTimer(opts);
  const file = dump.files[0];
  const vi = dump.vmcoreinfo;
  const log: BuildLog = { warnings: [...dump.warnings], notes: [...dump.notesLines] };
  const { warnings, notes } = log;
  const { arch, geometry, vm, table, cr } = readKernelView(dump, log);
  const pageSize = geometry.pageSize;
  const ctx = cr.ctx;
  const structSize = ctx?.structSize ?? vi.sizes.get('page') ?? 64;
  const memmap = new VmcoreMemmap(dump.mem, vm, table, structSize, pageSize, geometry.subsectionShift);
  beginBulkReads(dump, memmap, opts);
  timer.end('sections+context');

  // kallsyms: balloon_mops, iomem_resource (System RAM and virtio-mem ranges), memory block size.
  const res = readVmcoreResources(vi, vm, table, ctx, pageSize);
  notes.push(...res.notes);
  timer.end('kallsyms+iomem');

  const { endPfn, leftOutFrom } = pfnExtent(table, dump.mem, res.systemRam);
  if (leftOutFrom !== undefined)
    warnings.push(tailLeftOut(dump.mem, endPfn, pageSize, dump.kdump !== undefined, res.systemRam !== undefined));
  refuseUndrawableMachine(file, endPfn, pageSize, dump.kdump ? 'max_mapnr' : 'PT_LOAD segments');
  memmap.collectVmemmapBacking();
  timer.end('vmemmap backing');

  const pass = await classifyMemmap(memmap, ctx, endPfn, opts, file, notes);
  timer.end('memmap read+classify');

  const pps = table.pfnsPerSection;
  const sections = buildSections(memmap, pass, endPfn);
  const { blockBytes, blockSource } = memoryBlockSize(
    res,
    arch,
    geometry,
    Math.min(dump.mem.maxPfn, endPfn) * pageSize,
    warnings,
  );
  const pfnsPerBlock = blockBytes ? blockBytes / pageSize : 0;
  if (pfnsPerBlock) notes.push(`memory block size ${blockBytes! / 2 ** 20} MiB (${blockSource})`);
  const blocks = buildBlocks({
    sections,
    pass,
    endPfn,
    pfnsPerSection: pps,
    pfnsPerBlock,
    pageblockPfns: geometry.pageblockPfns,
    systemRam: res.systemRam,
    ctx,
    ruleSets: opts.ruleSets,
    kernelVersion: vi.osrelease ? parseRelease(vi.osrelease) : undefined,
    bootMemoryRefused: arch.bootMemoryOfflineRefusal,
    isEarlySection: (nr) => memmap.facts(nr)?.early === true,
  });
  timer.end('sections+blocks+verdicts');

  const counts = sumCounts(sections.map((s) => s.counts));
  warnOfflineKindUnknown(counts, ctx, pageSize, res.virtioWhy, warnings);
  const family = cr.family;
  let closed = false;
  const snap: Snapshot = {
    kernel: { release: vi.osrelease, machine: arch.name, layoutFamily: family?.id, pageSize },
    startPfn: 0,
    endPfn,
    classes: pass.classes,
    pfnsPerSection: pps,
    sections,
    pfnsPerBlock,
    blocks,
    counts,
    warnings,
    provenance: { format: dump.format, files: dump.files, notes },
    pageDetail: (pfn) => (closed ? undefined : pageDetail(pfn, snap, memmap, ctx, family, vi.osrelease)),
    close: () => {
      closed = true;
      dump.mem.close();
    },
  };
  notes.push(`timings: ${timer.lines.join(', ')}`);
  warnings.push(...(dump.kdump?.dataWarnings() ?? [])); // pages found lost while reading (shown as excluded)
  const st = dump.mem.stats();
  notes.push(`dump pages decoded: ${st.decoded} (cache hits ${st.hits}, misses ${st.misses})`);
  return snap;
}

/**
 * The dump's architecture and geometry (page size, section and subsection size, pageblock), its kernel address
 * translation, the trusted mem_section table and the struct page layout to classify with.
 */
function readKernelView(dump: OpenedDump, log: BuildLog): KernelView {
  const { warnings, notes } = log;
  const file = dump.files[0];
  const vi = dump.vmcoreinfo;
  const found = architectureOfDump(dump.machine, vi);
  if ('error' in found) throw new DumpError(file, 'wrong-arch', found.error);
  const arch = found.arch;
  const geometry = arch.geometry(vi, dump.mem.pageSize);
  const pageSize = geometry.pageSize;
  if (dump.mem.pageSize !== pageSize)
    throw new DumpError(
      file,
      'unsupported',
      `${arch.name} dump with ${pageSize / 1024} KiB pages whose ${dump.format} pages are ${dump.mem.pageSize / 1024} KiB: the reader cannot address the kernel's pages in it`,
    );
  notes.push(`geometry: ${geometry.sources.join('; ')}`);
  if (
    dump.kdump?.header.physBase !== undefined &&
    vi.numbers.has('phys_base') &&
    BigInt.asUintN(64, vi.numbers.get('phys_base')!) !== dump.kdump.header.physBase
  ) {
    notes.push(
      `kdump sub-header phys_base 0x${dump.kdump.header.physBase.toString(16)} differs from VMCOREINFO NUMBER(phys_base); using VMCOREINFO (QEMU writes the sub-header value with the wrong base)`,
    );
  }
  const vm = arch.translator(dump.mem, vi);
  notes.push(vm.describe());
  const table = readMemSections(vi, vm, pageSize, geometry.sectionSizeBits);
  warnings.push(...table.warnings);
  notes.push(...table.notes);
  const bound = {
    endPfn: dump.mem.dataEndPfn ?? dump.mem.maxPfn,
    source: dump.kdump
      ? "the kdump header's max_mapnr"
      : dump.mem.dataEndPfn !== undefined
        ? "the end of its PT_LOAD segments' file data"
        : 'the end of its PT_LOAD segments',
  };
  const trusted = trustedSections(
    table,
    bound,
    (va) => vm.translate(va) !== undefined,
    vi.sizes.get('page') ?? 64,
    dump.mem.dataBytes,
  );
  table.sections = trusted.sections;
  warnings.push(...trusted.warnings);
  notes.push(...trusted.notes);
  const cr = buildClassifyContext(vi, pageSize, arch.flagFields, arch.name);
  warnings.push(...cr.warnings);
  notes.push(...cr.notes);
  if (cr.problem) warnings.push(cr.problem);
  return { arch, geometry, vm, table, cr };
}

/**
 * kdump: a decode worker for the memmap pass starts now (when it pays), so it is ready when the pass
 * begins; stopped after the pass, or by dump.mem.close() when the build fails.
 */
function beginBulkReads(dump: OpenedDump, memmap: VmcoreMemmap, opts: VmcoreOpenOptions): void {
  if (opts.reference || !dump.mem.beginBulkReads) return;
  const table = memmap.table;
  const online = table.sections.filter(
    (s) => memmap.hasMemmap(s.nr) && (memmap.facts(s.nr)?.online || memmap.facts(s.nr)?.device),
  ).length;
  dump.mem.beginBulkReads(
    Math.ceil((online * table.pfnsPerSection * memmap.structSize) / memmap.pageSize),
    opts.decodeWorker,
  );
}

/** PageOffline pages whose kind (virtio-mem or balloon) could not be told: their blocks' verdicts are uncertain. */
function warnOfflineKindUnknown(
  counts: Uint32Array,
  ctx: ClassifyContext | undefined,
  pageSize: number,
  virtioWhy: string,
  warnings: string[],
): void {
  const unknownKind = counts[CLASS_ID.offline];
  if (
    ctx &&
    ctx.is.offlineKindsVerified &&
    (ctx.virtioMem === undefined || ctx.virtioMemIncomplete) &&
    unknownKind > 0
  ) {
    warnings.push(
      `${unknownKind} PageOffline pages (${((unknownKind * pageSize) / 2 ** 20).toFixed(1)} MiB) show as offline (kind unknown): the virtio-mem device ranges could not be read${ctx.virtioMemIncomplete ? ' whole' : ''} (${virtioWhy}), so virtio-mem fake-offline pages (skipped by offlining) cannot be told from unmovable balloon pages (which block it); the offline verdicts of blocks holding them are uncertain`,
    );
  }
}

function hex(v: bigint | number): string {
  return '0x' + v.toString(16);
}

/** What the inspector says about a tail word: its form (7.x mask or head | 1) and the head it names. */
function tailWordNote(word: bigint, pfn: number, ctx: ClassifyContext, memmap: VmcoreMemmap): string {
  const t = decodeTailWord(word, ctx.tailForms);
  const head = memmap.headPfnOfTail(word, pfn, ctx.tailForms);
  const h = head === undefined ? 'no plausible head' : `head pfn ${hex(head)}`;
  return t.form === 'mask'
    ? `tail word compound_info = GENMASK(63, ${t.order + 6}) | 1 (7.x mask form, HVO built in): order ${t.order}, ${h} (tail struct page address & mask)`
    : `tail word = head struct page address | 1: ${h}`;
}

/** The neighbour look-ups classifyStructPage makes, for one page of the inspector. */
function detailNeighbours(memmap: VmcoreMemmap, ctx: ClassifyContext, pps: number): Neighbours {
  return {
    structPage: (p) => memmap.structPage(p),
    buddyCovered: (p) => {
      for (let o = 1; o <= (ctx.maxOrder ?? MAX_ORDER); o++) {
        const h = p & ~((1 << o) - 1);
        const hp = memmap.structPage(h);
        if (typeof hp === 'string') continue;
        const t = ctx.types.decode(hp.buf.readUInt32LE(ctx.off.mapcount));
        if (t.kind === 'type' && t.name === 'buddy' && Number(hp.buf.readBigUInt64LE(ctx.off.private)) >= o)
          return true;
      }
      return false;
    },
    backsVmemmap: (p) => memmap.backsVmemmap(p),
    headPfn: (c, tail) => memmap.headPfnOfTail(c, tail, ctx.tailForms),
    section: (p) => memmap.facts(Math.floor(p / pps)),
  };
}

/** Fills the inspector's decoded fields from the struct page: flags, page type, counts, zone, node, raw words. */
function describeStructPage(
  d: PageDetail,
  buf: Buffer,
  pfn: number,
  ctx: ClassifyContext,
  family: LayoutFamily,
  release: string | undefined,
  memmap: VmcoreMemmap,
): void {
  const flags = buf.readBigUInt64LE(ctx.off.flags);
  const nodesShift = 64 - ctx.zoneShift - ctx.zoneWidth;
  const t = ctx.types.decode(buf.readUInt32LE(ctx.off.mapcount));
  const dec = decodePageFlags(flags, family, {
    release,
    pageState: t.kind === 'type' ? t.name : undefined,
    fields: { nodesShift, zonesWidth: ctx.zoneWidth },
  });
  d.flags = flagNamesForDisplay(dec, family);
  d.pageType = describePageType(t);
  d.refcount = buf.readInt32LE(ctx.off.refcount);
  if (t.kind === 'mapcount') d.mapcount = t.mapcount;
  d.zone = dec.zoneName;
  d.node = dec.node;
  const mapping = buf.readBigUInt64LE(ctx.off.mapping);
  d.raw.mapping = hex(mapping);
  d.raw.mapping_tag = Number(mapping & 3n);
  d.raw.private = hex(buf.readBigUInt64LE(ctx.off.private));
  const tailWord = buf.readBigUInt64LE(ctx.off.compoundHead);
  d.raw[ctx.tailForms === 'pointer-or-mask' ? 'compound_info' : 'compound_head'] = hex(tailWord);
  if (tailWord & 1n) d.notes!.push(tailWordNote(tailWord, pfn, ctx, memmap));
  if (d.class === 'section-offline')
    d.notes!.push('the section is offline: these words are stale leftovers, not the page state');
  if (!PAGE_CLASSES.includes(d.class)) d.notes!.push('unknown class');
}

function pageDetail(
  pfn: number,
  snap: Snapshot,
  memmap: VmcoreMemmap,
  ctx: ClassifyContext | undefined,
  family: LayoutFamily | undefined,
  release: string | undefined,
): PageDetail | undefined {
  if (pfn < snap.startPfn || pfn >= snap.endPfn) return undefined;
  const pps = snap.pfnsPerSection;
  const nr = Math.floor(pfn / pps);
  const cls = className(snap.classes[pfn - snap.startPfn]);
  const d: PageDetail = {
    pfn,
    physAddr: BigInt(pfn) * BigInt(memmap.pageSize),
    class: cls,
    rule: '',
    why: '',
    section: nr,
    block: snap.pfnsPerBlock ? Math.floor(pfn / snap.pfnsPerBlock) : undefined,
    raw: {},
    notes: [],
  };
  const word = memmap.sectionWord(nr);
  d.raw.section_mem_map = hex(word);
  const facts = memmap.facts(nr);
  const setRule = (i: number) => {
    const r = VMCORE_RULES[i];
    d.rule = r.id;
    d.why = r.why;
    if ('assumption' in r) d.notes!.push(`assumption: ${r.assumption}`);
  };
  if (!facts || !memmap.hasMemmap(nr)) {
    setRule(R.hole);
    return d;
  }
  d.raw.struct_page_va = hex(memmap.structVa(pfn));
  const sp = memmap.structPage(pfn);
  if (sp === 'unmapped') {
    setRule(R['memmap-unmapped']);
    return d;
  }
  if (sp === 'excluded') {
    setRule(R['memmap-excluded']);
    return d;
  }
  const { buf } = sp;
  for (let i = 0; i < 8; i++) d.raw[`word${i}`] = hex(buf.readBigUInt64LE(i * 8));
  if (!ctx || !family) {
    d.rule = 'unknown-layout';
    d.why = 'page-flag layout or page_type encoding not recognised';
    return d;
  }
  if (!facts.online && !facts.device) setRule(R['section-offline']);
  else {
    const nb = detailNeighbours(memmap, ctx, pps);
    setRule(classifyStructPage(pfn, buf, 0, facts, ctx, nb));
  }
  describeStructPage(d, buf, pfn, ctx, family, release, memmap);
  return d;
}
