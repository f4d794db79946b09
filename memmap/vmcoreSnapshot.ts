// vmcore (ELF, kdump-compressed, flattened, split) → Snapshot: one class byte per PFN, sections,
// memory blocks with offline verdicts, kernel identity, provenance, and pageDetail() that re-reads
// the raw struct page. Pure core, no vscode.
import { CLASS_ID, className } from '../kernel/pageClasses';
import { PAGE_CLASSES } from '../kernel/pageClasses';
import { MemoryBlock, newCounts, PageDetail, Section, SectionState, Snapshot } from './snapshot';
import { rangeCounts, sumCounts } from './aggregate';
import { blockVerdicts } from './offlineVerdict';
import { classifyStructPage, ClassifyContext, inRanges, Neighbours, R, VMCORE_RULE_CLASS, VMCORE_RULES } from './classifyPage';
import { buildClassifyContext } from './vmcoreContext';
import { classifySection, SectionOutput } from './classifySection';
import { SP_OK, SP_UNMAPPED, VmcoreMemmap } from './vmcoreMemmap';
import { openDump, OpenedDump } from '../parsers/dump/openDump';
import { DumpError } from '../parsers/dump/errors';
import type { DecodeWorkerMode } from '../parsers/dump/physmem';
import { TranslationError } from '../parsers/kernelMemory/translator';
import { architectureOfDump } from '../arch';
import { MemSectionError, readMemSections } from '../parsers/kernelMemory/memSection';
import { trustedSections } from '../parsers/kernelMemory/sectionBounds';
import { readVmcoreResources } from './vmcoreResources';
import { decodePageFlags, flagNamesForDisplay, LayoutFamily, ZONE_NAMES } from '../kernel/pageflags';
import { describePageType } from '../kernel/pagetypes';
import { sectionLetters } from '../kernel/sections';
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
}

const MAX_ORDER = 10;

function checkAbort(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw new DumpError(file, 'aborted', 'reading was cancelled');
}

/** PFNs per classification chunk: 256 KiB of 64-byte struct pages, a multiple of the largest buddy block. */
const CHUNK_PFNS = 4096;

/** Yields to the event loop now and then so progress/abort work from async callers. */
const tick = () => new Promise<void>((r) => setImmediate(r));

export async function openVmcoreSnapshot(paths: string[], opts: VmcoreOpenOptions = {}): Promise<Snapshot> {
  const dump = openDump(paths, opts.onProgress);
  try {
    return await buildSnapshot(dump, opts);
  } catch (e) {
    dump.mem.close();
    if (e instanceof TranslationError || e instanceof MemSectionError) {
      const loss = dump.kdump?.dataLoss() ?? dump.elf?.dataLoss(); // a page the reader needed may be one the dump lost
      throw new DumpError(paths[0], loss?.truncated ? 'truncated' : 'corrupt', loss ? `${e.message}; the dump lost page data: ${loss.text}` : e.message);
    }
    throw e;
  }
}

async function buildSnapshot(dump: OpenedDump, opts: VmcoreOpenOptions): Promise<Snapshot> {
  const phases: string[] = [];
  let phaseT = performance.now(), phaseCpu = process.cpuUsage();
  const phase = (name: string) => {
    const t = performance.now(), c = process.cpuUsage(phaseCpu);
    const cpuMs = (c.user + c.system) / 1000;
    phases.push(`${name} ${(t - phaseT).toFixed(0)} ms (cpu ${cpuMs.toFixed(0)} ms)`);
    opts.onPhase?.(name, t - phaseT, cpuMs);
    phaseT = t; phaseCpu = process.cpuUsage();
  };
  const file = dump.files[0];
  const vi = dump.vmcoreinfo;
  const warnings = [...dump.warnings];
  const notes = [...dump.notesLines];
  const found = architectureOfDump(dump.machine, vi);
  if ('error' in found) throw new DumpError(file, 'wrong-arch', found.error);
  const arch = found.arch;
  const geometry = arch.geometry(vi, dump.mem.pageSize);
  const pageSize = geometry.pageSize;
  if (pageSize !== 4096) throw new DumpError(file, 'unsupported', `${arch.name} dump with ${pageSize / 1024} KiB pages: the memmap pass reads struct pages in 4 KiB pages only (x86_64 and arm64 with 4 KiB pages); ${pageSize / 1024} KiB pages are not supported yet`);
  if (dump.kdump?.header.physBase !== undefined && vi.numbers.has('phys_base') && BigInt.asUintN(64, vi.numbers.get('phys_base')!) !== dump.kdump.header.physBase) {
    notes.push(`kdump sub-header phys_base 0x${dump.kdump.header.physBase.toString(16)} differs from VMCOREINFO NUMBER(phys_base); using VMCOREINFO (QEMU writes the sub-header value with the wrong base)`);
  }
  const vm = arch.translator(dump.mem, vi);
  notes.push(vm.describe());
  const table = readMemSections(vi, vm, pageSize);
  warnings.push(...table.warnings);
  notes.push(...table.notes);
  const bound = { endPfn: dump.mem.maxPfn, source: dump.kdump ? "the kdump header's max_mapnr" : 'the end of its PT_LOAD segments' };
  const trusted = trustedSections(table, bound, (va) => vm.translate(va) !== undefined, vi.sizes.get('page') ?? 64);
  table.sections = trusted.sections;
  warnings.push(...trusted.warnings);
  notes.push(...trusted.notes);
  const cr = buildClassifyContext(vi, pageSize, arch.flagFields, arch.name);
  warnings.push(...cr.warnings);
  notes.push(...cr.notes);
  if (cr.problem) warnings.push(cr.problem);
  const ctx = cr.ctx;
  const memmap = new VmcoreMemmap(dump.mem, vm, table, ctx?.structSize ?? vi.sizes.get('page') ?? 64);
  // kdump: a decode worker for the memmap pass starts now (when it pays), so it is ready when the pass
  // begins; stopped after the pass, or by dump.mem.close() when the build fails
  if (!opts.reference && dump.mem.beginBulkReads) {
    const online = table.sections.filter((s) => memmap.hasMemmap(s.nr) && (memmap.facts(s.nr)?.online || memmap.facts(s.nr)?.device)).length;
    dump.mem.beginBulkReads(Math.ceil((online * table.pfnsPerSection * memmap.structSize) / pageSize), opts.decodeWorker);
  }

  // kallsyms: balloon_mops, iomem_resource (System RAM and virtio-mem ranges), memory block size.
  phase('sections+context');
  const res = readVmcoreResources(vi, vm, table, ctx, pageSize);
  notes.push(...res.notes);
  let { blockBytes, blockSource } = res;
  const { systemRam, virtioWhy } = res;

  phase('kallsyms+iomem');
  // PFN range: everything the dump or a registered section describes.
  const pps = table.pfnsPerSection;
  const lastSec = table.sections.reduce((m, s) => Math.max(m, s.nr), -1);
  const endPfn = Math.max(dump.mem.maxPfn, (lastSec + 1) * pps);
  const nSections = Math.ceil(endPfn / pps);
  const classes = new Uint8Array(endPfn);
  const zoneMask = new Uint8Array(nSections);
  /** Class a whole section was filled with (no struct pages read), or -1 when it was classified page by page. */
  const filledWith = new Int16Array(nSections).fill(-1);

  memmap.collectVmemmapBacking();
  phase('vmemmap backing');

  // Section buffers: while one section is classified, the next READ_AHEAD sections' struct pages are
  // read on a background thread (ELF dumps) or decoded partly on the kdump decode worker (kdump dumps,
  // when it pays; shared memory so the worker writes into them; two sections ahead keep it busy while
  // this thread classifies and plans); other formats read synchronously.
  const READ_AHEAD = 2;
  const sectionBuffer = () => Buffer.from(new SharedArrayBuffer(pps * memmap.structSize));
  let secBuf: Buffer = sectionBuffer();
  let status: Uint8Array = new Uint8Array(pps);
  const buddyCover = new Uint8Array(pps);
  let curStart = 0;
  const nb: Neighbours = {
    structPage: (pfn) => {
      const i = pfn - curStart;
      if (i >= 0 && i < pps) {
        if (status[i] === SP_OK) return { buf: secBuf, off: i * memmap.structSize };
        return status[i] === SP_UNMAPPED ? 'unmapped' : 'excluded';
      }
      return opts.reference ? memmap.structPage(pfn) : memmap.structPageView(pfn);
    },
    buddyCovered: (pfn) => { const i = pfn - curStart; return i >= 0 && i < pps && buddyCover[i] === 1; },
    backsVmemmap: (pfn) => memmap.backsVmemmap(pfn),
    headPfn: (c, tail) => memmap.headPfnOfTail(c, tail, ctx?.tailForms ?? 'pointer'),
    section: (pfn) => memmap.facts(Math.floor(pfn / pps)),
  };
  const NO_MEMMAP = CLASS_ID['no-memmap'];
  // Whether each compound page is on the LRU (THP, migratable), noted while its struct page is at hand:
  // two bits per PFN (known, on LRU) instead of re-reading struct pages for every block verdict.
  const compoundKnown = new Uint8Array((endPfn + 7) >>> 3);
  const compoundLru = new Uint8Array((endPfn + 7) >>> 3);
  let lastCompoundLru: boolean | undefined;
  const sectionOut: SectionOutput = {
    classes, zoneMask,
    onCompound: (pfn, off) => {
      const lru = compoundOnLruAt(pfn, secBuf, off, ctx!, nb);
      lastCompoundLru = lru;
      if (lru !== undefined) {
        compoundKnown[pfn >>> 3] |= 1 << (pfn & 7);
        if (lru) compoundLru[pfn >>> 3] |= 1 << (pfn & 7);
      }
    },
    // a tail with the same head as the tail of the last onCompound call
    repeatCompound: (pfn) => {
      if (lastCompoundLru === undefined) return;
      compoundKnown[pfn >>> 3] |= 1 << (pfn & 7);
      if (lastCompoundLru) compoundLru[pfn >>> 3] |= 1 << (pfn & 7);
    },
  };
  /** What a section needs: filled with one class (no struct pages read), or classified from its struct pages. */
  const fillClassOf = (nr: number): number => {
    const facts = memmap.facts(nr);
    if (!facts || !memmap.hasMemmap(nr)) return NO_MEMMAP;
    if (!memmap.trusted(nr)) return VMCORE_RULE_CLASS[R['memmap-untrusted']];
    if (!facts.online && !facts.device) return CLASS_ID['section-offline'];
    if (!ctx) return CLASS_ID.unknown;
    return -1;
  };
  const nextClassified = (after: number): number => {
    for (let k = after + 1; k < nSections; k++) if (fillClassOf(k) < 0) return k;
    return -1;
  };
  const readAhead = !opts.reference && memmap.mem.readPagesIntoAsync !== undefined;
  /** Buffers free for reads ahead, and the reads in flight in section order (each awaited before the pass ends). */
  const spare: { buf: Buffer; status: Uint8Array }[] = readAhead ? Array.from({ length: READ_AHEAD }, () => ({ buf: sectionBuffer(), status: new Uint8Array(pps) })) : [];
  const reads: { nr: number; buf: Buffer; status: Uint8Array; done: Promise<void> }[] = [];
  let lastQueued = -1;
  const readAheadMore = () => {
    while (spare.length && lastQueued < nSections) {
      const nr = nextClassified(lastQueued);
      if (nr < 0) { lastQueued = nSections; break; }
      lastQueued = nr;
      const b = spare.pop()!;
      b.status.fill(0);
      const done = memmap.readStructPagesAsync(nr * pps, pps, b.buf, b.status);
      done.catch(() => undefined); // awaited below; never an unhandled rejection if the pass stops early
      reads.push({ nr, ...b, done });
    }
  };
  let lastTick = Date.now();
  try {
    readAheadMore();
    for (let nr = 0; nr < nSections; nr++) {
      checkAbort(opts.signal, file);
      if (Date.now() - lastTick > 100) { opts.onProgress?.(nr, nSections); await tick(); lastTick = Date.now(); }
      const start = nr * pps;
      const end = Math.min(endPfn, start + pps);
      const fill = fillClassOf(nr);
      if (fill >= 0) { filledWith[nr] = fill; classes.fill(fill, start, end); continue; }
      const facts = memmap.facts(nr)!;
      curStart = start;
      if (reads.length && reads[0].nr === nr) {
        const r = reads.shift()!;
        await r.done;
        spare.push({ buf: secBuf, status }); // the section classified last is done with
        secBuf = r.buf;
        status = r.status;
        readAheadMore();
      } else {
        status.fill(0);
        if (opts.reference) memmap.readStructPagesReference(start, pps, secBuf, status);
        else memmap.readStructPages(start, pps, secBuf, status);
      }
      // Chunks of struct pages that stay in the core's L2 cache between the buddy pre-pass and the
      // classification (a 2 MiB section does not); free buddy blocks never cross a chunk.
      for (let c = 0; c < end - start; c += CHUNK_PFNS) {
        const n = Math.min(CHUNK_PFNS, end - start - c);
        const b = secBuf.subarray(c * memmap.structSize), st = status.subarray(c), cov = buddyCover.subarray(c);
        markBuddyBlocks(b, st, cov, ctx!, n);
        classifySection(nr, start + c, n, b, st, cov, facts, ctx!, nb, sectionOut, !opts.reference);
      }
    }
  } finally {
    for (const r of reads) await r.done.catch(() => undefined);
    notes.push(...(await dump.mem.endBulkReads?.() ?? []));
  }
  opts.onProgress?.(nSections, nSections);
  phase('memmap read+classify');

  // Sections
  const sections: Section[] = [];
  for (let nr = 0; nr < nSections; nr++) {
    const e = memmap.entry(nr);
    const w = e?.word ?? 0n;
    const start = nr * pps;
    const state: SectionState = !e || !(w & 1n) ? 'absent' : !(w & 2n) ? 'present' : w & 4n ? 'online' : w & 16n ? 'device' : 'offline';
    const zones = [...ZONE_NAMES].filter((_, z) => zoneMask[nr] & (1 << z));
    sections.push({ nr, startPfn: start, nrPfns: Math.min(pps, endPfn - start), state, flags: e ? sectionLetters(w, table.flagBits) : undefined,
      zone: zones.length ? zones.join(',') : undefined, counts: filledWith[nr] >= 0 ? filledCounts(filledWith[nr], Math.min(pps, endPfn - start)) : rangeCounts(classes, 0, start, pps) });
  }

  // Memory blocks
  const ramBytes = dump.mem.maxPfn * pageSize;
  if (!blockBytes) {
    if (ramBytes < 64 * 2 ** 30) {
      blockBytes = geometry.defaultBlockBytes;
      blockSource = 'assumed';
      warnings.push('memory block size not found in the dump (no kallsyms memory_block_size_probed/sections_per_block); assuming 128 MiB, the x86_64 size for machines with less than 64 GiB');
    } else {
      warnings.push('memory block size unknown (no kallsyms, 64 GiB or more of memory): memory blocks are not shown');
    }
  }
  const pfnsPerBlock = blockBytes ? blockBytes / pageSize : 0;
  const blocks: MemoryBlock[] = [];
  // compound pages known to be on the LRU (THP): the verdicts' isolation scan skips them in one pass
  const compoundMovable = compoundKnown.map((k, i) => k & compoundLru[i]);
  if (pfnsPerBlock) {
    notes.push(`memory block size ${blockBytes! / 2 ** 20} MiB (${blockSource})`);
    const spb = pfnsPerBlock / pps;
    for (let id = 0; id * pfnsPerBlock < endPfn; id++) {
      const secs = sections.slice(id * spb, (id + 1) * spb);
      if (secs.every((s) => s.state === 'absent')) continue;
      const st = secs.every((s) => s.state === 'online') ? 'online' : secs.every((s) => s.state === 'offline') ? 'offline' : secs.every((s) => s.state === 'absent' || s.state === 'present') ? 'absent' : 'unknown';
      const zones = [...new Set(secs.flatMap((s) => (s.zone ? s.zone.split(',') : [])))];
      // block counts = sum of its sections' counts (sections tile the PFN range; both clamp at endPfn)
      const block: MemoryBlock = { id, startPfn: id * pfnsPerBlock, nrPfns: pfnsPerBlock, state: st, zones: zones.length ? zones : undefined, counts: sumCounts(secs.map((s) => s.counts)) };
      // A block inside one System RAM range needs no per-PFN check (undefined and "always RAM" judge alike).
      const bStart = id * pfnsPerBlock, bEnd = bStart + pfnsPerBlock;
      const allRam = systemRam?.some(([s, e]) => s <= bStart && bEnd <= e);
      // PFNs below the block's first hole are RAM without a range search (the verdict scans upwards)
      const hole = systemRam && !allRam ? firstNonRam(systemRam, bStart, bEnd) : bEnd;
      block.verdict = blockVerdicts({
        block, classes, classesStartPfn: 0, counts: block.counts, pageblockPfns: geometry.pageblockPfns,
        bootMemoryRefused: arch.bootMemoryOfflineRefusal && secs.some((s) => memmap.facts(s.nr)?.early) ? arch.bootMemoryOfflineRefusal : undefined,
        isSystemRam: systemRam && !allRam ? (pfn) => pfn < hole || inRanges(systemRam, pfn) : undefined,
        systemRamUnknown: systemRam === undefined,
        compoundIsMovable: ctx ? (pfn) => (compoundKnown[pfn >>> 3] >>> (pfn & 7)) & 1 ? ((compoundLru[pfn >>> 3] >>> (pfn & 7)) & 1) === 1 : undefined : undefined,
        compoundMovableBits: ctx ? compoundMovable : undefined,
      });
      blocks.push(block);
    }
  }
  phase('sections+blocks+verdicts');
  const counts = sumCounts(sections.map((s) => s.counts));
  const unknownKind = counts[CLASS_ID.offline];
  if (ctx && ctx.is.offlineKindsVerified && (ctx.virtioMem === undefined || ctx.virtioMemIncomplete) && unknownKind > 0) {
    warnings.push(`${unknownKind} PageOffline pages (${(unknownKind * pageSize / 2 ** 20).toFixed(1)} MiB) show as offline (kind unknown): the virtio-mem device ranges could not be read${ctx.virtioMemIncomplete ? ' whole' : ''} (${virtioWhy}), so virtio-mem fake-offline pages (skipped by offlining) cannot be told from unmovable balloon pages (which block it); the offline verdicts of blocks holding them are uncertain`);
  }
  const family = cr.family;
  const snap: Snapshot = {
    kernel: { release: vi.osrelease, machine: arch.name, layoutFamily: family?.id, pageSize },
    startPfn: 0, endPfn, classes, pfnsPerSection: pps, sections, pfnsPerBlock, blocks, counts, warnings,
    provenance: { format: dump.format, files: dump.files, notes },
    pageDetail: (pfn) => pageDetail(pfn, snap, memmap, ctx, family, vi.osrelease),
  };
  notes.push(`timings: ${phases.join(', ')}`);
  warnings.push(...(dump.kdump?.dataWarnings() ?? [])); // pages found lost while reading (shown as excluded)
  const st = dump.mem.stats();
  notes.push(`dump pages decoded: ${st.decoded} (cache hits ${st.hits}, misses ${st.misses})`);
  return snap;
}

/** First PFN of [from, to) outside every range (to when the ranges cover it all). */
function firstNonRam(ranges: [number, number][], from: number, to: number): number {
  let cur = from;
  for (let moved = true; moved && cur < to;) {
    moved = false;
    for (const [s, e] of ranges) if (s <= cur && cur < e) { cur = e; moved = true; }
  }
  return Math.min(cur, to);
}

function filledCounts(cls: number, n: number): Uint32Array {
  const c = newCounts();
  c[cls] = n;
  return c;
}

/** Pre-pass over one section: mark PFNs covered by free buddy blocks (head type buddy, order = private). */
function markBuddyBlocks(buf: Buffer, status: Uint8Array, cover: Uint8Array, ctx: ClassifyContext, pps: number): void {
  cover.fill(0, 0, pps);
  const ss = ctx.structSize;
  // 32-bit view when the fields are aligned (always with the 64-byte struct page); else Buffer reads
  const w = ss % 4 === 0 && buf.byteOffset % 4 === 0 && ctx.off.mapcount % 4 === 0 && ctx.off.private % 4 === 0 ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : undefined;
  const stride = ss >>> 2, mc = ctx.off.mapcount >>> 2, pv = ctx.off.private >>> 2;
  // page_type → is buddy, for the last value seen (a section holds few distinct type values)
  let lastM = 0, lastBuddy = false;
  for (let i = 0; i < pps; i++) {
    if (status[i] !== SP_OK) continue;
    const m = w ? w[i * stride + mc] : buf.readInt32LE(i * ss + ctx.off.mapcount);
    if (m >= -128) continue; // a mapcount, no page type (most pages)
    if (m !== lastM) { lastM = m; lastBuddy = ctx.types.typeOf(m >>> 0) === 'buddy'; }
    if (!lastBuddy) continue;
    const privHi = w ? w[i * stride + pv + 1] : buf.readUInt32LE(i * ss + ctx.off.private + 4);
    if (privHi !== 0) continue;
    const order = w ? w[i * stride + pv] : buf.readUInt32LE(i * ss + ctx.off.private);
    if (order < 0 || order > MAX_ORDER || (i & ((1 << order) - 1)) !== 0) continue;
    cover.fill(1, i, Math.min(pps, i + (1 << order)));
    i += (1 << order) - 1; // the rest of the block is covered; its pages cannot start another block here
  }
}

/** Whether the compound page whose struct page is at buf[off…] (head or tail) has its head on the LRU (THP). */
function compoundOnLruAt(pfn: number, buf: Buffer, off: number, ctx: ClassifyContext, nb: Neighbours): boolean | undefined {
  let sp: { buf: Buffer; off: number } | string = { buf, off };
  if (buf.readUInt32LE(off + ctx.off.compoundHead) & 1) {
    const h = nb.headPfn(buf.readBigUInt64LE(off + ctx.off.compoundHead), pfn);
    if (h === undefined) return undefined;
    sp = nb.structPage(h);
    if (typeof sp === 'string') return undefined;
  }
  return ((sp.buf.readUInt32LE(sp.off + ctx.off.flags) >>> ctx.bit.lru) & 1) === 1;
}

function hex(v: bigint | number): string { return '0x' + v.toString(16); }

/** What the inspector says about a tail word: its form (7.x mask or head | 1) and the head it names. */
function tailWordNote(word: bigint, pfn: number, ctx: ClassifyContext, memmap: VmcoreMemmap): string {
  const t = decodeTailWord(word, ctx.tailForms);
  const head = memmap.headPfnOfTail(word, pfn, ctx.tailForms);
  const h = head === undefined ? 'no plausible head' : `head pfn ${hex(head)}`;
  return t.form === 'mask'
    ? `tail word compound_info = GENMASK(63, ${t.order + 6}) | 1 (7.x mask form, HVO built in): order ${t.order}, ${h} (tail struct page address & mask)`
    : `tail word = head struct page address | 1: ${h}`;
}

function pageDetail(pfn: number, snap: Snapshot, memmap: VmcoreMemmap, ctx: ClassifyContext | undefined, family: LayoutFamily | undefined, release: string | undefined): PageDetail | undefined {
  if (pfn < snap.startPfn || pfn >= snap.endPfn) return undefined;
  const pps = snap.pfnsPerSection;
  const nr = Math.floor(pfn / pps);
  const cls = className(snap.classes[pfn - snap.startPfn]);
  const d: PageDetail = {
    pfn, physAddr: BigInt(pfn) * 4096n, class: cls, rule: '', why: '', section: nr,
    block: snap.pfnsPerBlock ? Math.floor(pfn / snap.pfnsPerBlock) : undefined, raw: {}, notes: [],
  };
  const word = memmap.sectionWord(nr);
  d.raw.section_mem_map = hex(word);
  const facts = memmap.facts(nr);
  const setRule = (i: number) => { const r = VMCORE_RULES[i]; d.rule = r.id; d.why = r.why; if ('assumption' in r) d.notes!.push(`assumption: ${r.assumption}`); };
  if (!facts || !memmap.hasMemmap(nr)) { setRule(R.hole); return d; }
  d.raw.struct_page_va = hex(memmap.structVa(pfn));
  const sp = memmap.structPage(pfn);
  if (sp === 'unmapped') { setRule(R['memmap-unmapped']); return d; }
  if (sp === 'excluded') { setRule(R['memmap-excluded']); return d; }
  const { buf } = sp;
  for (let i = 0; i < 8; i++) d.raw[`word${i}`] = hex(buf.readBigUInt64LE(i * 8));
  if (!ctx || !family) { d.rule = 'unknown-layout'; d.why = 'page-flag layout or page_type encoding not recognised'; return d; }
  if (!facts.online && !facts.device) setRule(R['section-offline']);
  else {
    const nb: Neighbours = {
      structPage: (p) => memmap.structPage(p),
      buddyCovered: (p) => {
        for (let o = 1; o <= MAX_ORDER; o++) {
          const h = p & ~((1 << o) - 1);
          const hp = memmap.structPage(h);
          if (typeof hp === 'string') continue;
          const t = ctx.types.decode(hp.buf.readUInt32LE(ctx.off.mapcount));
          if (t.kind === 'type' && t.name === 'buddy' && Number(hp.buf.readBigUInt64LE(ctx.off.private)) >= o) return true;
        }
        return false;
      },
      backsVmemmap: (p) => memmap.backsVmemmap(p),
      headPfn: (c, tail) => memmap.headPfnOfTail(c, tail, ctx.tailForms),
      section: (p) => memmap.facts(Math.floor(p / pps)),
    };
    setRule(classifyStructPage(pfn, buf, 0, facts, ctx, nb));
  }
  const flags = buf.readBigUInt64LE(ctx.off.flags);
  const nodesShift = 64 - ctx.zoneShift - ctx.zoneWidth;
  const t = ctx.types.decode(buf.readUInt32LE(ctx.off.mapcount));
  const dec = decodePageFlags(flags, family, { release, pageState: t.kind === 'type' ? t.name : undefined, fields: { nodesShift, zonesWidth: ctx.zoneWidth } });
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
  if (d.class === 'section-offline') d.notes!.push('the section is offline: these words are stale leftovers, not the page state');
  if (!PAGE_CLASSES.includes(d.class)) d.notes!.push('unknown class');
  return d;
}


