// kdump-compressed ("KDUMP   " / "DISKDUMP") dumps and split sets. Layout (makedumpfile diskdump_mod.h,
// IMPLEMENTATION; docs/dump-formats.md): block 0 disk_dump_header, block 1.. kdump_sub_header
// + notes, then bitmap1|bitmap2, then page_desc[] (24 bytes) — one per bit set in bitmap2, in PFN order,
// so a PFN's descriptor index is its rank in bitmap2 — then page data. x86_64 (LP64) layout only.
//
// Damaged page data is an explicit partial result: with the headers, bitmaps and descriptor table
// intact, pages whose data lies beyond the end of the file (a truncated dump), was never written (a
// flattened stream cut short), has a corrupt descriptor or does not decompress read as Excluded, like
// filtered pages, and warnings say how many and from where. A truncated file is found at open time from
// the last descriptors (then every descriptor is checked once); other damage is found when the page is
// read and reported by dataWarnings(). The accounting is kdumpDamage.ts's; decoding on two threads is
// kdumpJobs.ts's.
import { ByteSource, readExact, readExactInto } from './byteSource';
import { KdumpHeader, parseKdumpHeader } from './kdumpHeader';
import {
  CodecError,
  CodecUnavailableError,
  decodePage,
  decodePageInto,
  DUMP_DH_COMPRESSED_INCOMPLETE,
  DUMP_DH_COMPRESSED_LZO,
  DUMP_DH_COMPRESSED_SNAPPY,
  DUMP_DH_COMPRESSED_ZLIB,
  DUMP_DH_COMPRESSED_ZSTD,
  DUMP_DH_EXCLUDED_VMEMMAP,
  prepareLzo,
} from './codecs';
import { DumpError } from './errors';
import { ElfNote, parseNotes } from './elfHeaders';
import { FlattenedSource } from './flattened';
import { bitmapLayout, checkSplitSet, KdumpPart, readPart, requireWritten } from './kdumpLayout';
import { CachedPhysicalMemory, DecodeWorkerMode, PageAvail } from './physmem';
import { checkPageData, dataStartContradiction, KdumpDamage } from './kdumpDamage';
import { KdumpJobHost, KdumpJobs } from './kdumpJobs';
import type { DecodeWorker } from './kdumpParallel';

const POPCOUNT8 = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let x = i; x; x >>= 1) c += x & 1;
  return c;
});

const RANK_CHUNK_BYTES = 64; // 512 PFNs per prefix entry

/** Prefix popcounts of bitmap2 (its first half bytes): entry c counts the bits below byte c * RANK_CHUNK_BYTES. */
function rankPrefixOf(bitmap2: Buffer, half: number): Uint32Array {
  const nChunks = Math.ceil(half / RANK_CHUNK_BYTES);
  const prefix = new Uint32Array(nChunks + 1);
  let acc = 0;
  for (let c = 0; c < nChunks; c++) {
    prefix[c] = acc;
    const end = Math.min(half, (c + 1) * RANK_CHUNK_BYTES);
    for (let i = c * RANK_CHUNK_BYTES; i < end; i++) acc += POPCOUNT8[bitmap2[i]];
  }
  prefix[nChunks] = acc;
  return prefix;
}

/** What the header's status says about the whole dump: written until the disk was full, vmemmap excluded. */
function statusWarnings(h: KdumpHeader, name: string): string[] {
  const out: string[] = [];
  if (h.status & DUMP_DH_COMPRESSED_INCOMPLETE)
    out.push(
      `${name}: the dump is marked incomplete (written until the disk was full); missing pages read as excluded`,
    );
  if (h.status & DUMP_DH_EXCLUDED_VMEMMAP)
    out.push(`${name}: unused vmemmap was excluded (makedumpfile -e); struct pages of free ranges may be missing`);
  return out;
}

/** An LZO dump needs the LZO decoder (a WebAssembly file shipped beside the scripts): an error without it. */
function requireLzo(name: string): void {
  const problem = prepareLzo();
  if (problem)
    throw new DumpError(
      name,
      'unsupported',
      `LZO-compressed dump: ${problem}`,
      "the decoder is the file lzo-wasm.wasm (npm package lzo-wasm) shipped next to the extension's and kmemmap's scripts: restore it, or convert the dump with `makedumpfile -c` (zlib) from the original",
    );
}

/** The ELF notes the header points at (VMCOREINFO among them), when it points at a sane size. */
function readNotes(src: ByteSource, h: KdumpHeader): ElfNote[] {
  if (!h.offsetNote || !h.sizeNote || h.sizeNote >= 1 << 24) return [];
  requireWritten(src, h.offsetNote, h.sizeNote, 'ELF notes (VMCOREINFO)');
  return parseNotes(readExact(src, h.offsetNote, h.sizeNote, 'ELF notes'));
}

/** VMCOREINFO as text from offset_vmcoreinfo (old dumps whose notes do not carry it), when present. */
function readVmcoreinfoText(src: ByteSource, h: KdumpHeader): string | undefined {
  if (!h.offsetVmcoreinfo || !h.sizeVmcoreinfo || h.sizeVmcoreinfo >= 1 << 20) return undefined;
  return readExact(src, h.offsetVmcoreinfo, h.sizeVmcoreinfo, 'VMCOREINFO').toString('latin1');
}

export class KdumpDump extends CachedPhysicalMemory {
  readonly pageSize: number;
  readonly maxPfn: number;
  readonly header: KdumpHeader;
  readonly notes: ElfNote[];
  /** VMCOREINFO text from offset_vmcoreinfo when no note carries it. */
  readonly vmcoreinfoText?: string;
  private readonly bitmap1: Buffer;
  private readonly bitmap2: Buffer;
  private readonly rankPrefix: Uint32Array;
  private readonly parts: KdumpPart[];
  readonly warnings: string[] = [];
  private readonly desc = Buffer.alloc(24);
  /** Pages whose data is lost (see the file comment): they read as Excluded. */
  private readonly damage: KdumpDamage;
  private readonly jobs: KdumpJobs;
  /**
   * Whether this thread takes chunks of a job too. Tests turn it off so the worker decodes every chunk
   * whatever the scheduling; this thread then decodes only what a dead worker left.
   */
  readingThreadShares = true;
  /** The decode worker of the pass, while one runs (tests make it die). */
  get worker(): DecodeWorker | undefined {
    return this.jobs.currentWorker;
  }

  constructor(srcs: ByteSource[]) {
    super(1024);
    const first = parseKdumpHeader(srcs[0]);
    const name = srcs[0].name;
    this.header = first;
    this.pageSize = first.blockSize;
    this.maxPfn = first.maxMapnr;
    this.damage = new KdumpDamage(this.maxPfn);
    this.jobs = new KdumpJobs(this.jobHost());
    const layout = bitmapLayout(first, name);
    const { bitmapOffset, half } = layout;
    requireWritten(srcs[0], bitmapOffset, 2 * half, 'bitmaps');
    this.bitmap1 = readExact(srcs[0], bitmapOffset, half, 'bitmap1');
    this.bitmap2 = readExact(srcs[0], bitmapOffset + half, half, 'bitmap2');
    this.rankPrefix = rankPrefixOf(this.bitmap2, half);
    const rank = (pfn: number) => this.rank(pfn);
    this.parts = srcs.map((src) => readPart(src, srcs[0], first, layout, this.bitmap2, rank));
    this.parts.sort((a, b) => a.startPfn - b.startPfn);
    const partial = checkSplitSet(this.parts, first, this.maxPfn, name);
    if (partial) this.warnings.push(partial);
    this.warnings.push(...statusWarnings(first, name));
    if (first.status & DUMP_DH_COMPRESSED_LZO) requireLzo(name);
    this.notes = readNotes(srcs[0], first);
    if (!this.notes.some((n) => n.name === 'VMCOREINFO')) this.vmcoreinfoText = readVmcoreinfoText(srcs[0], first);
    this.checkOpenDamage(name);
  }

  /** The open-time check of every file's page data (kdumpDamage.ts); an error when no page data is left. */
  private checkOpenDamage(name: string): void {
    const parts = this.parts;
    let descriptors = 0,
      lost = 0;
    const view = {
      pageSize: this.pageSize,
      bitmap2: this.bitmap2,
      rank: (pfn: number) => this.rank(pfn),
      incomplete: (this.header.status & DUMP_DH_COMPRESSED_INCOMPLETE) !== 0,
    };
    for (const part of parts) {
      this.checkDataStart(part);
      const r = checkPageData(part, view, this.damage);
      descriptors += r.descriptors;
      lost += r.lost;
      if (r.warning) {
        this.damage.openLoss(parts.length > 1 ? `${part.src.name}: ${r.warning}` : r.warning);
        this.warnings.push(`${part.src.name}: ${r.warning}, shown as excluded`);
      }
    }
    if (descriptors > 0 && lost === descriptors)
      throw new DumpError(name, 'truncated', `no page data is left: ${this.damage.openLossText()}`);
  }

  /** A bitmap2 whose count of dumpable pages contradicts where the page data starts is refused. */
  private checkDataStart(part: KdumpPart): void {
    if (this.header.signature !== 'KDUMP   ') return; // the old diskdump layout is not checked
    const src = part.src;
    const covers = (pos: number, len: number) =>
      src instanceof FlattenedSource && src.truncation ? src.covers(pos, len) : pos + len <= src.size;
    const tables = { dumpable: this.rank(this.maxPfn), own: this.rank(part.endPfn) - part.rankBase };
    const problem = dataStartContradiction(part, this.pageSize, tables, covers);
    if (problem)
      throw new DumpError(
        src.name,
        'corrupt',
        problem,
        'the bitmaps in the header blocks are damaged: every page after the damage would be read from the wrong place. Take or copy the dump again; a damaged copy cannot be repaired from itself',
      );
  }

  /** What the two-thread decoding (kdumpJobs.ts) uses of this dump. */
  private jobHost(): KdumpJobHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const dump = this;
    let sources: ByteSource[] | undefined;
    return {
      get pageSize() {
        return dump.pageSize;
      },
      sources: () => (sources ??= dump.parts.map((p) => p.src)),
      get compression() {
        return dump.compression;
      },
      get status() {
        return dump.header.status;
      },
      get readingThreadShares() {
        return dump.readingThreadShares;
      },
      descriptorRuns: (pfn, count, out, outOff, avail, availOff, onRun) =>
        dump.descriptorRuns(pfn, count, out, outOff, avail, availOff, onRun),
      sharedOf: (src) => dump.sharedOf(src),
      dataReadable: (src, offset, size) => dump.dataReadable(src, offset, size),
      readPagesInto: (pfn, count, out, outOff, avail, availOff) =>
        dump.readPagesInto(pfn, count, out, outOff, avail, availOff),
      readOne: (pfn, out, at, avail, ai) => dump.readOne(pfn, out, at, avail, ai),
      decodeOne: (pfn, offset, size, flags, src, out, at, avail, ai) =>
        dump.decodeOne(pfn, offset, size, flags, src, out, at, avail, ai),
      rememberShared: (src, offset, out, at) => dump.rememberShared(src, offset, out, at),
      countDecoded: () => {
        dump.decoded++;
      },
    };
  }

  /**
   * The page data this dump lost so far (open-time check and reads), for error messages when the reader
   * needed one of those pages; undefined when nothing was lost.
   */
  dataLoss(): { truncated: boolean; text: string } | undefined {
    return this.damage.dataLoss();
  }

  /**
   * Damage found while pages were read (after open): how many pages' data was lost and why. Call it
   * after the pass over the memmap; the pages are already shown as excluded.
   */
  dataWarnings(): string[] {
    return this.damage.dataWarnings(this.parts[0].src.name);
  }

  get compression(): string {
    const s = this.header.status;
    return s & DUMP_DH_COMPRESSED_ZLIB
      ? 'zlib'
      : s & DUMP_DH_COMPRESSED_LZO
        ? 'lzo'
        : s & DUMP_DH_COMPRESSED_SNAPPY
          ? 'snappy'
          : s & DUMP_DH_COMPRESSED_ZSTD
            ? 'zstd'
            : 'none';
  }

  /** The dumpable pages (bitmap2) times the page size: what the file can hold. */
  get dataBytes(): number {
    return this.rank(this.maxPfn) * this.pageSize;
  }

  /** Number of bits set in bitmap2 below pfn. */
  private rank(pfn: number): number {
    const byte = pfn >>> 3;
    const c = Math.floor(byte / RANK_CHUNK_BYTES);
    let r = this.rankPrefix[c];
    for (let i = c * RANK_CHUNK_BYTES; i < byte; i++) r += POPCOUNT8[this.bitmap2[i]];
    const bit = pfn & 7;
    if (bit) r += POPCOUNT8[this.bitmap2[byte] & ((1 << bit) - 1)];
    return r;
  }

  avail(pfn: number): PageAvail {
    if (pfn < 0 || pfn >= this.maxPfn) return PageAvail.Hole;
    const m = 1 << (pfn & 7),
      b = pfn >>> 3;
    if (!(this.bitmap1[b] & m)) return PageAvail.Hole;
    const lost = this.damage.lost;
    if (!(this.bitmap2[b] & m) || (lost && lost[b] & m)) return PageAvail.Excluded;
    return PageAvail.Data;
  }

  private partOf(pfn: number): KdumpPart | undefined {
    return this.parts[this.partIndexOf(pfn)];
  }

  protected loadPage(pfn: number): Buffer | undefined {
    if (this.avail(pfn) !== PageAvail.Data) return undefined;
    const part = this.partOf(pfn);
    if (!part) return undefined;
    const idx = this.rank(pfn) - part.rankBase;
    const dpos = part.descOffset + idx * 24;
    const d = this.desc;
    if (part.src.readInto(d, 0, 24, dpos) !== 24) {
      this.damage.lateLoss(pfn, 'is lost: its page descriptor lies beyond the end of the file');
      return undefined;
    }
    return this.pageData(pfn, part.src, Number(d.readBigInt64LE(0)), d.readUInt32LE(8), d.readUInt32LE(12));
  }

  /**
   * The decoded page a descriptor points at, or undefined (the page is then marked lost) when the
   * descriptor is empty or corrupt, the data lies beyond the end of the file, or it does not decode.
   */
  private pageData(pfn: number, src: ByteSource, offset: number, size: number, flags: number): Buffer | undefined {
    const ps = this.pageSize;
    if (offset === 0 && size === 0) {
      // lost in an incomplete dump (or never written)
      if (this.header.status & DUMP_DH_COMPRESSED_INCOMPLETE) this.damage.markLost(pfn);
      else this.damage.lateLoss(pfn, 'is lost: its page descriptor is empty');
      return undefined;
    }
    if (offset <= 0 || size === 0 || size > ps * 2 || !Number.isSafeInteger(offset + size)) {
      this.damage.lateLoss(pfn, 'is lost: its page descriptor is corrupt', `offset ${offset}, size ${size}`);
      return undefined;
    }
    if (!this.dataReadable(src, offset, size)) {
      this.damage.lateLoss(pfn, `lies beyond the end of the file (${src.size} bytes)`, `data at offset ${offset}`);
      return undefined;
    }
    const data = readExact(src, offset, size, `page data of PFN 0x${pfn.toString(16)}`);
    return this.decode(pfn, data, flags, src.name);
  }

  /** Whether [offset, offset + size) is in the file (and, in a flattened stream cut short, was written). */
  private dataReadable(src: ByteSource, offset: number, size: number): boolean {
    if (offset <= 0 || offset + size > src.size) return false;
    return !(src instanceof FlattenedSource && src.truncation && !src.covers(offset, size));
  }

  /** Decodes one page; undefined (and the page marked lost) when its data does not decompress. */
  private decode(pfn: number, data: Buffer, flags: number, name: string): Buffer | undefined {
    try {
      const page = decodePage(data, flags, this.pageSize);
      this.decoded++;
      return page;
    } catch (e) {
      this.decodeFailed(pfn, e, name);
      return undefined;
    }
  }

  /** decode() straight into out[at…]: false (the page marked lost) when its data does not decompress. */
  private decodeInto(pfn: number, data: Buffer, flags: number, name: string, out: Buffer, at: number): boolean {
    try {
      decodePageInto(data, flags, this.pageSize, out, at);
      this.decoded++;
      return true;
    } catch (e) {
      this.decodeFailed(pfn, e, name);
      return false;
    }
  }

  private decodeFailed(pfn: number, e: unknown, name: string): void {
    if (e instanceof CodecUnavailableError)
      throw new DumpError(name, 'unsupported', `PFN 0x${pfn.toString(16)}: ${e.message}`);
    if (e instanceof CodecError) {
      this.damage.lateLoss(pfn, 'does not decompress', e.message);
      return;
    }
    throw e;
  }

  /**
   * Decoded pages of recently seen shared data offsets (QEMU points every zero page at one block),
   * per file: the files of a split set have their own offsets.
   */
  private readonly sharedPages = new Map<ByteSource, Map<number, Buffer>>();
  private sharedOf(src: ByteSource): Map<number, Buffer> {
    let m = this.sharedPages.get(src);
    if (!m) {
      m = new Map();
      this.sharedPages.set(src, m);
    }
    return m;
  }
  private descScratch = Buffer.alloc(0);
  private dataScratch = Buffer.alloc(0);

  /**
   * Bulk read: one descriptor read per run of dumpable PFNs of one file, one data read per run of
   * descriptors whose data lie back to back, then per-page decompression straight into out.
   */
  /**
   * Walks PFNs [pfn, pfn + count): pages without data in the dump are zeroed in out and marked in avail;
   * each run of Data pages of one file goes to onRun with its descriptors (24 bytes each, valid until the
   * next run), or undefined when the descriptor table cannot be read there (a file that shrank since open).
   */
  private descriptorRuns(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
    onRun: (i: number, n: number, partIndex: number, d: Buffer | undefined) => void,
  ): void {
    const ps = this.pageSize;
    let i = 0;
    while (i < count) {
      const a = this.avail(pfn + i);
      const pi = a === PageAvail.Data ? this.partIndexOf(pfn + i) : -1;
      if (pi < 0) {
        const at = outOff + i * ps;
        out.fill(0, at, at + ps);
        avail[availOff + i] = a === PageAvail.Data ? PageAvail.Excluded : a;
        i++;
        continue;
      }
      const part = this.parts[pi];
      let n = 1;
      while (i + n < count && pfn + i + n < part.endPfn && this.avail(pfn + i + n) === PageAvail.Data) n++;
      const dpos = part.descOffset + (this.rank(pfn + i) - part.rankBase) * 24;
      if (this.descScratch.length < n * 24) this.descScratch = Buffer.alloc(Math.max(n * 24, 24 * 512));
      const d = this.descScratch;
      onRun(i, n, pi, part.src.readInto(d, 0, n * 24, dpos) === n * 24 ? d : undefined);
      i += n;
    }
  }

  override readPagesInto(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
  ): void {
    const ps = this.pageSize;
    this.descriptorRuns(pfn, count, out, outOff, avail, availOff, (i, n, pi, d) => {
      const at = outOff + i * ps;
      const part = this.parts[pi];
      if (!d) {
        // descriptors beyond the end of the file (the open-time check rules this out; a file that shrank since)
        for (let m = 0; m < n; m++) this.readOne(pfn + i + m, out, at + m * ps, avail, availOff + i + m);
        return;
      }
      let j = 0;
      while (j < n) {
        const offset = Number(d.readBigInt64LE(j * 24));
        const size = d.readUInt32LE(j * 24 + 8);
        // extend a run of back-to-back data blocks that are not shared
        const okSize = (sz: number) => sz > 0 && sz <= ps * 2;
        let k = j + 1,
          end = offset + size;
        if (offset > 0 && okSize(size) && !this.sharedOf(part.src).has(offset)) {
          while (
            k < n &&
            k - j < 512 &&
            Number(d.readBigInt64LE(k * 24)) === end &&
            okSize(d.readUInt32LE(k * 24 + 8))
          ) {
            end += d.readUInt32LE(k * 24 + 8);
            k++;
          }
        }
        const len = end - offset;
        if (k - j === 1 || !this.dataReadable(part.src, offset, len)) {
          // one page, or a run whose data is (partly) missing: page by page, each lost page on its own
          for (let m = j; m < k; m++) {
            this.decodeOne(
              pfn + i + m,
              Number(d.readBigInt64LE(m * 24)),
              d.readUInt32LE(m * 24 + 8),
              d.readUInt32LE(m * 24 + 12),
              part.src,
              out,
              at + m * ps,
              avail,
              availOff + i + m,
            );
          }
          j = k;
          continue;
        }
        if (this.dataScratch.length < len) this.dataScratch = Buffer.alloc(Math.max(len, 1 << 20));
        const data = this.dataScratch;
        readExactInto(part.src, data, 0, len, offset, `page data of PFNs 0x${(pfn + i + j).toString(16)}+${k - j}`);
        let p = 0;
        for (let m = j; m < k; m++) {
          const sz = d.readUInt32LE(m * 24 + 8),
            fl = d.readUInt32LE(m * 24 + 12);
          const o = at + m * ps;
          if (this.decodeInto(pfn + i + m, data.subarray(p, p + sz), fl, part.src.name, out, o))
            avail[availOff + i + m] = PageAvail.Data;
          else {
            out.fill(0, o, o + ps);
            avail[availOff + i + m] = PageAvail.Excluded;
          }
          p += sz;
        }
        j = k;
      }
    });
  }

  /** One page through loadPage (no shared-page memo). */
  private readOne(pfn: number, out: Buffer, at: number, avail: Uint8Array, ai: number): void {
    const page = this.loadPage(pfn);
    if (page) {
      page.copy(out, at, 0, this.pageSize);
      avail[ai] = PageAvail.Data;
    } else {
      out.fill(0, at, at + this.pageSize);
      avail[ai] = PageAvail.Excluded;
    }
  }

  private decodeOne(
    pfn: number,
    offset: number,
    size: number,
    flags: number,
    src: ByteSource,
    out: Buffer,
    at: number,
    avail: Uint8Array,
    ai: number,
  ): void {
    const ps = this.pageSize;
    const sharedPages = this.sharedOf(src);
    const shared = offset > 0 ? sharedPages.get(offset) : undefined;
    if (shared) {
      shared.copy(out, at);
      avail[ai] = PageAvail.Data;
      return;
    }
    const page = this.pageData(pfn, src, offset, size, flags);
    if (!page) {
      out.fill(0, at, at + ps);
      avail[ai] = PageAvail.Excluded;
      return;
    }
    page.copy(out, at, 0, ps);
    avail[ai] = PageAvail.Data;
    // remember single pages: a second descriptor pointing at the same block is then a copy
    if (sharedPages.size >= 16) sharedPages.delete(sharedPages.keys().next().value as number);
    sharedPages.set(offset, Buffer.from(out.subarray(at, at + ps)));
  }

  // ---- Decoding on two threads: kdumpJobs.ts ----

  beginBulkReads(pages: number, mode?: DecodeWorkerMode): void {
    this.jobs.begin(pages, mode);
  }

  endBulkReads(): Promise<string[]> {
    return this.jobs.end();
  }

  readPagesIntoAsync(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
  ): Promise<void> {
    return this.jobs.read(pfn, count, out, outOff, avail, availOff);
  }

  private rememberShared(src: ByteSource, offset: number, out: Buffer, at: number): void {
    const sharedPages = this.sharedOf(src);
    if (sharedPages.size >= 16) sharedPages.delete(sharedPages.keys().next().value as number);
    sharedPages.set(offset, Buffer.from(out.subarray(at, at + this.pageSize)));
  }

  private partIndexOf(pfn: number): number {
    for (let k = 0; k < this.parts.length; k++)
      if (pfn >= this.parts[k].startPfn && pfn < this.parts[k].endPfn) return k;
    return -1;
  }

  close(): void {
    this.jobs.stop();
    for (const p of this.parts) p.src.close();
  }
}
