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
// read and reported by dataWarnings().
import { ByteSource, FileSource, readExact, readExactInto } from './byteSource';
import { KdumpHeader, parseKdumpHeader } from './kdumpHeader';
import { CodecError, CodecUnavailableError, decodePage, decodePageInto, DUMP_DH_COMPRESSED_INCOMPLETE, DUMP_DH_COMPRESSED_LZO, DUMP_DH_COMPRESSED_SNAPPY, DUMP_DH_COMPRESSED_ZLIB, DUMP_DH_COMPRESSED_ZSTD, DUMP_DH_EXCLUDED_VMEMMAP, prepareLzo } from './codecs';
import { DumpError } from './errors';
import { ElfNote, parseNotes } from './elf';
import { FlattenedSource } from './flattened';
import { CachedPhysicalMemory, DecodeWorkerMode, PageAvail } from './physmem';
import { CTRL_DONE, CTRL_NEXT, decodeChunk, GroupReader, ITEM_OK, ITEM_UNAVAILABLE, jobLayout, OWNER_MAIN, OWNER_NONE, OWNER_WORKER } from './kdumpChunks';
import { DECODE_WORKER_FILE, DecodeWorker, decodeWorkerLocation } from './kdumpParallel';

/** "1 page's data" / "3 pages' data". */
const pagesData = (n: number) => `${n} ${n === 1 ? "page's" : "pages'"} data`;

/** In a flattened stream cut short, a part every reader needs (bitmaps, notes) must have been written. */
function requireWritten(src: ByteSource, pos: number, len: number, what: string): void {
  if (src instanceof FlattenedSource && src.truncation && !src.covers(pos, len)) {
    throw new DumpError(src.name, 'truncated', `flattened stream is cut short at byte ${src.streamSize} (${src.truncation.detail}): the kdump ${what} were never written`);
  }
}

const POPCOUNT8 = new Uint8Array(256).map((_, i) => { let c = 0; for (let x = i; x; x >>= 1) c += x & 1; return c; });

/** One file of a (possibly split) kdump set. */
interface KdumpPart {
  src: ByteSource;
  hdr: KdumpHeader;
  startPfn: number;
  endPfn: number;
  descOffset: number;
  /** rank(startPfn) in bitmap2: descriptor i of this file belongs to the PFN of global rank rankBase + i. */
  rankBase: number;
}

const RANK_CHUNK_BYTES = 64; // 512 PFNs per prefix entry

export class KdumpDump extends CachedPhysicalMemory {
  readonly pageSize: number;
  readonly maxPfn: number;
  readonly header: KdumpHeader;
  readonly notes: ElfNote[] = [];
  /** VMCOREINFO text from offset_vmcoreinfo when no note carries it. */
  readonly vmcoreinfoText?: string;
  private readonly bitmap1: Buffer;
  private readonly bitmap2: Buffer;
  private readonly rankPrefix: Uint32Array;
  private readonly parts: KdumpPart[];
  readonly warnings: string[] = [];
  private readonly desc = Buffer.alloc(24);
  /** PFNs whose page data is lost (see the file comment): they read as Excluded. Allocated on the first loss. */
  private lost?: Uint8Array;
  /** Losses found while reading pages (not by the open-time check), by reason. */
  private readonly lateLosses = new Map<string, { n: number; firstPfn: number; detail?: string }>();
  /** What the open-time check found lost (texts without the file name), and whether the file is truncated. */
  private readonly openLosses: string[] = [];
  private truncated = false;

  constructor(srcs: ByteSource[]) {
    super(1024);
    const parts: KdumpPart[] = [];
    const first = parseKdumpHeader(srcs[0]);
    this.header = first;
    const bs = first.blockSize;
    this.pageSize = bs;
    const name = srcs[0].name;
    this.maxPfn = first.maxMapnr;
    const half = (first.bitmapBlocks / 2) * bs;
    if (half * 8 < this.maxPfn) {
      throw new DumpError(name, 'unsupported', `kdump bitmap covers ${half * 8} PFNs but max_mapnr is ${this.maxPfn} (old single-bitmap "partial" dumps are not supported)`);
    }
    const bmOff = (1 + first.subHdrSize) * bs;
    requireWritten(srcs[0], bmOff, 2 * half, 'bitmaps');
    this.bitmap1 = readExact(srcs[0], bmOff, half, 'bitmap1');
    this.bitmap2 = readExact(srcs[0], bmOff + half, half, 'bitmap2');
    // prefix popcounts of bitmap2
    const nChunks = Math.ceil(half / RANK_CHUNK_BYTES);
    this.rankPrefix = new Uint32Array(nChunks + 1);
    let acc = 0;
    for (let c = 0; c < nChunks; c++) {
      this.rankPrefix[c] = acc;
      const end = Math.min(half, (c + 1) * RANK_CHUNK_BYTES);
      for (let i = c * RANK_CHUNK_BYTES; i < end; i++) acc += POPCOUNT8[this.bitmap2[i]];
    }
    this.rankPrefix[nChunks] = acc;
    const descOffset = bmOff + first.bitmapBlocks * bs;
    for (const src of srcs) {
      const hdr = src === srcs[0] ? first : parseKdumpHeader(src);
      if (hdr.blockSize !== bs || hdr.bitmapBlocks !== first.bitmapBlocks || hdr.maxMapnr !== first.maxMapnr || hdr.subHdrSize !== first.subHdrSize) {
        throw new DumpError(src.name, 'inconsistent-set', `does not belong to the same split dump as ${name} (different header geometry)`);
      }
      const isSplit = (hdr.split ?? 0) !== 0;
      const startPfn = isSplit ? hdr.startPfn ?? 0 : 0;
      const endPfn = isSplit ? hdr.endPfn ?? this.maxPfn : this.maxPfn;
      if (src !== srcs[0]) {
        requireWritten(src, bmOff + half, half, 'bitmaps');
        const b2 = readExact(src, bmOff + half, half, 'bitmap2');
        if (!b2.equals(this.bitmap2)) throw new DumpError(src.name, 'inconsistent-set', `its bitmap differs from ${name}: not part of the same split dump`);
      }
      parts.push({ src, hdr, startPfn, endPfn, descOffset, rankBase: this.rank(startPfn) });
    }
    parts.sort((a, b) => a.startPfn - b.startPfn);
    if (srcs.length > 1) {
      for (let i = 0; i < parts.length; i++) {
        const expectStart = i === 0 ? 0 : parts[i - 1].endPfn;
        if (parts[i].startPfn !== expectStart) {
          throw new DumpError(parts[i].src.name, 'inconsistent-set',
            `split dump set is incomplete: PFNs 0x${expectStart.toString(16)}-0x${parts[i].startPfn.toString(16)} are in none of the given files`);
        }
      }
      if (parts[parts.length - 1].endPfn < this.maxPfn) {
        throw new DumpError(name, 'inconsistent-set', `split dump set is incomplete: PFNs from 0x${parts[parts.length - 1].endPfn.toString(16)} are in none of the given files`);
      }
    } else if ((first.split ?? 0) !== 0 && (parts[0].startPfn !== 0 || parts[0].endPfn < this.maxPfn)) {
      this.warnings.push(`${name} is one file of a split dump (PFNs 0x${parts[0].startPfn.toString(16)}-0x${parts[0].endPfn.toString(16)}); pass all files of the set to see the rest`);
    }
    this.parts = parts;
    if (first.status & DUMP_DH_COMPRESSED_INCOMPLETE) this.warnings.push(`${name}: the dump is marked incomplete (written until the disk was full); missing pages read as excluded`);
    if (first.status & DUMP_DH_EXCLUDED_VMEMMAP) this.warnings.push(`${name}: unused vmemmap was excluded (makedumpfile -e); struct pages of free ranges may be missing`);
    if (first.status & DUMP_DH_COMPRESSED_LZO) {
      const problem = prepareLzo();
      if (problem) throw new DumpError(name, 'unsupported', `LZO-compressed dump: ${problem}`, 'the decoder is the file lzo-wasm.wasm (npm package lzo-wasm) shipped next to the extension\'s and kmemmap\'s scripts: restore it, or convert the dump with `makedumpfile -c` (zlib) from the original');
    }
    // notes
    const src0 = srcs[0];
    if (first.offsetNote && first.sizeNote && first.sizeNote < 1 << 24) {
      requireWritten(src0, first.offsetNote, first.sizeNote, 'ELF notes (VMCOREINFO)');
      this.notes.push(...parseNotes(readExact(src0, first.offsetNote, first.sizeNote, 'ELF notes')));
    }
    if (!this.notes.some((n) => n.name === 'VMCOREINFO') && first.offsetVmcoreinfo && first.sizeVmcoreinfo && first.sizeVmcoreinfo < 1 << 20) {
      this.vmcoreinfoText = readExact(src0, first.offsetVmcoreinfo, first.sizeVmcoreinfo, 'VMCOREINFO').toString('latin1');
    }
    let descriptors = 0, lost = 0;
    for (const part of parts) {
      const r = this.checkPageData(part);
      descriptors += r.descriptors;
      lost += r.lost;
      if (r.warning) {
        this.openLosses.push(parts.length > 1 ? `${part.src.name}: ${r.warning}` : r.warning);
        this.warnings.push(`${part.src.name}: ${r.warning}, shown as excluded`);
      }
    }
    if (descriptors > 0 && lost === descriptors) throw new DumpError(name, 'truncated', `no page data is left: ${this.openLosses.join('; ')}`);
  }

  /**
   * The page data this dump lost so far (open-time check and reads), for error messages when the reader
   * needed one of those pages; undefined when nothing was lost.
   */
  dataLoss(): { truncated: boolean; text: string } | undefined {
    const late = [...this.lateLosses].map(([reason, r]) => `${pagesData(r.n)} ${reason}`);
    const all = [...this.openLosses, ...late];
    return all.length ? { truncated: this.truncated, text: all.join('; ') } : undefined;
  }

  /** Marks pfn's data lost; false when it already was. */
  private markLost(pfn: number): boolean {
    if (!this.lost) this.lost = new Uint8Array((this.maxPfn + 7) >>> 3);
    const b = pfn >>> 3, m = 1 << (pfn & 7);
    if (this.lost[b] & m) return false;
    this.lost[b] |= m;
    return true;
  }

  /** A loss found while reading a page: the page reads as Excluded from now on and dataWarnings() counts it. */
  private lateLoss(pfn: number, reason: string, detail?: string): void {
    if (!this.markLost(pfn)) return;
    const r = this.lateLosses.get(reason);
    if (r) r.n++;
    else this.lateLosses.set(reason, { n: 1, firstPfn: pfn, detail });
  }

  /**
   * Damage found while pages were read (after open): how many pages' data was lost and why. Call it
   * after the pass over the memmap; the pages are already shown as excluded.
   */
  dataWarnings(): string[] {
    const name = this.parts[0].src.name;
    return [...this.lateLosses].map(([reason, r]) => `${name}: ${pagesData(r.n)} ${reason} ` +
      `(first PFN 0x${r.firstPfn.toString(16)}${r.detail ? `: ${r.detail}` : ''}), shown as excluded`);
  }

  /**
   * Where a part's page data should end: the data end of its last descriptor in PFN order that is not
   * the shared zero page (makedumpfile and QEMU write page data in PFN order, the zero page first).
   * One corrupt descriptor elsewhere does not move it; such a page is found when it is read.
   */
  private tailDataEnd(part: KdumpPart, nDesc: number, tableEnd: number): number {
    const ps = this.pageSize, CH = 4096;
    const buf = Buffer.alloc(CH * 24);
    let maxEnd = 0;
    for (let hi = nDesc; hi > 0;) {
      const lo = Math.max(0, hi - CH), n = hi - lo;
      readExactInto(part.src, buf, 0, n * 24, part.descOffset + lo * 24, 'page descriptors');
      for (let i = n - 1; i >= 0; i--) {
        const off = Number(buf.readBigInt64LE(i * 24)), size = buf.readUInt32LE(i * 24 + 8);
        if (!(off > 0 && size > 0 && size <= 2 * ps)) continue;
        if (off >= tableEnd + 2 * ps) return off + size;
        maxEnd = Math.max(maxEnd, off + size);
      }
      hi = lo;
    }
    return maxEnd;
  }

  /**
   * Open-time check of a part's page data. A descriptor table that does not fit in the file is an error.
   * When the file ends before the data of the last descriptors (or the stream was cut short), checks
   * every descriptor once and marks the pages whose data is lost.
   */
  private checkPageData(part: KdumpPart): { descriptors: number; lost: number; warning?: string } {
    const src = part.src, ps = this.pageSize, name = src.name;
    const flat = src instanceof FlattenedSource && src.truncation ? src : undefined;
    const nDesc = this.rank(part.endPfn) - part.rankBase;
    if (nDesc <= 0) return { descriptors: 0, lost: 0 };
    const tableEnd = part.descOffset + nDesc * 24;
    if (!flat && tableEnd > src.size) {
      throw new DumpError(name, 'truncated', `file is truncated inside the page descriptor table: the ${nDesc} descriptors end at byte ${tableEnd}, the file at byte ${src.size}`);
    }
    let expected = part.hdr.sizeEraseinfo && part.hdr.offsetEraseinfo ? part.hdr.offsetEraseinfo + part.hdr.sizeEraseinfo : 0;
    if (!flat) {
      expected = Math.max(expected, this.tailDataEnd(part, nDesc, tableEnd));
      if (expected <= src.size) return { descriptors: nDesc, lost: 0 };
    }
    // check every descriptor, in PFN order (the rank order)
    const CH = 16384;
    const buf = Buffer.alloc(CH * 24);
    let chunkStart = 0, chunkN = 0, chunkCovered = true;
    let i = 0, lost = 0, firstLostPfn = -1, notWritten = 0, corrupt = 0, empty = 0, maxEnd = 0;
    const endByte = (part.endPfn + 7) >>> 3;
    for (let byte = part.startPfn >>> 3; byte < endByte && i < nDesc; byte++) {
      const v = this.bitmap2[byte];
      if (!v) continue;
      for (let bit = 0; bit < 8; bit++) {
        if (!(v & (1 << bit))) continue;
        const pfn = byte * 8 + bit;
        if (pfn < part.startPfn || pfn >= part.endPfn || i >= nDesc) continue;
        if (i >= chunkStart + chunkN) {
          chunkStart = i;
          chunkN = Math.min(CH, nDesc - i);
          const pos = part.descOffset + i * 24;
          if (flat) { flat.readIntoSparse(buf, 0, chunkN * 24, pos); chunkCovered = flat.covers(pos, chunkN * 24); }
          else readExactInto(src, buf, 0, chunkN * 24, pos, 'page descriptors');
        }
        const o = (i - chunkStart) * 24;
        let why = '';
        if (!chunkCovered && !flat!.covers(part.descOffset + i * 24, 24)) { why = 'descriptor'; notWritten++; }
        else {
          const off = Number(buf.readBigInt64LE(o)), size = buf.readUInt32LE(o + 8);
          if (off === 0 && size === 0) { why = 'empty'; empty++; }
          else if (off <= 0 || size === 0 || size > 2 * ps || !Number.isSafeInteger(off + size)) { why = 'corrupt'; corrupt++; }
          else {
            if (off + size > maxEnd) maxEnd = off + size;
            if (off + size > src.size || (flat && !flat.covers(off, size))) why = 'data';
          }
        }
        if (why) {
          if (this.markLost(pfn)) lost++;
          if (firstLostPfn < 0) firstLostPfn = pfn;
        }
        i++;
      }
    }
    if (!lost) return { descriptors: nDesc, lost: 0 };
    const extra = [empty ? `${empty} with empty descriptors${this.header.status & DUMP_DH_COMPRESSED_INCOMPLETE ? ' (the dump is marked incomplete)' : ''}` : '',
      corrupt ? `${corrupt} with corrupt descriptors` : '', notWritten ? `${notWritten} whose descriptors were never written` : ''].filter(Boolean);
    const what = `${lost} of ${nDesc} pages' data lost, from PFN 0x${firstLostPfn.toString(16)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
    this.truncated = true;
    const warning = flat
      ? `flattened stream cut short at byte ${flat.streamSize} (${flat.truncation!.detail}): ${what}`
      : `dump truncated at byte ${src.size} of ${Math.max(expected, maxEnd)} expected: ${what}`;
    return { descriptors: nDesc, lost, warning };
  }

  get compression(): string {
    const s = this.header.status;
    return s & DUMP_DH_COMPRESSED_ZLIB ? 'zlib' : s & DUMP_DH_COMPRESSED_LZO ? 'lzo' : s & DUMP_DH_COMPRESSED_SNAPPY ? 'snappy' : s & DUMP_DH_COMPRESSED_ZSTD ? 'zstd' : 'none';
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
    const m = 1 << (pfn & 7), b = pfn >>> 3;
    if (!(this.bitmap1[b] & m)) return PageAvail.Hole;
    if (!(this.bitmap2[b] & m) || (this.lost && this.lost[b] & m)) return PageAvail.Excluded;
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
    if (part.src.readInto(d, 0, 24, dpos) !== 24) { this.lateLoss(pfn, 'is lost: its page descriptor lies beyond the end of the file'); return undefined; }
    return this.pageData(pfn, part.src, Number(d.readBigInt64LE(0)), d.readUInt32LE(8), d.readUInt32LE(12));
  }

  /**
   * The decoded page a descriptor points at, or undefined (the page is then marked lost) when the
   * descriptor is empty or corrupt, the data lies beyond the end of the file, or it does not decode.
   */
  private pageData(pfn: number, src: ByteSource, offset: number, size: number, flags: number): Buffer | undefined {
    const ps = this.pageSize;
    if (offset === 0 && size === 0) { // lost in an incomplete dump (or never written)
      if (this.header.status & DUMP_DH_COMPRESSED_INCOMPLETE) this.markLost(pfn);
      else this.lateLoss(pfn, 'is lost: its page descriptor is empty');
      return undefined;
    }
    if (offset <= 0 || size === 0 || size > ps * 2 || !Number.isSafeInteger(offset + size)) {
      this.lateLoss(pfn, 'is lost: its page descriptor is corrupt', `offset ${offset}, size ${size}`);
      return undefined;
    }
    if (!this.dataReadable(src, offset, size)) {
      this.lateLoss(pfn, `lies beyond the end of the file (${src.size} bytes)`, `data at offset ${offset}`);
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
    if (e instanceof CodecUnavailableError) throw new DumpError(name, 'unsupported', `PFN 0x${pfn.toString(16)}: ${e.message}`);
    if (e instanceof CodecError) { this.lateLoss(pfn, 'does not decompress', e.message); return; }
    throw e;
  }

  /**
   * Decoded pages of recently seen shared data offsets (QEMU points every zero page at one block),
   * per file: the files of a split set have their own offsets.
   */
  private readonly sharedPages = new Map<ByteSource, Map<number, Buffer>>();
  private sharedOf(src: ByteSource): Map<number, Buffer> {
    let m = this.sharedPages.get(src);
    if (!m) { m = new Map(); this.sharedPages.set(src, m); }
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
  private descriptorRuns(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number,
    onRun: (i: number, n: number, partIndex: number, d: Buffer | undefined) => void): void {
    const ps = this.pageSize;
    let i = 0;
    while (i < count) {
      const a = this.avail(pfn + i);
      const pi = a === PageAvail.Data ? this.partIndexOf(pfn + i) : -1;
      if (pi < 0) { const at = outOff + i * ps; out.fill(0, at, at + ps); avail[availOff + i] = a === PageAvail.Data ? PageAvail.Excluded : a; i++; continue; }
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

  override readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): void {
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
        let k = j + 1, end = offset + size;
        if (offset > 0 && okSize(size) && !this.sharedOf(part.src).has(offset)) {
          while (k < n && k - j < 512 && Number(d.readBigInt64LE(k * 24)) === end && okSize(d.readUInt32LE(k * 24 + 8))) { end += d.readUInt32LE(k * 24 + 8); k++; }
        }
        const len = end - offset;
        if (k - j === 1 || !this.dataReadable(part.src, offset, len)) {
          // one page, or a run whose data is (partly) missing: page by page, each lost page on its own
          for (let m = j; m < k; m++) {
            this.decodeOne(pfn + i + m, Number(d.readBigInt64LE(m * 24)), d.readUInt32LE(m * 24 + 8), d.readUInt32LE(m * 24 + 12), part.src, out, at + m * ps, avail, availOff + i + m);
          }
          j = k;
          continue;
        }
        if (this.dataScratch.length < len) this.dataScratch = Buffer.alloc(Math.max(len, 1 << 20));
        const data = this.dataScratch;
        readExactInto(part.src, data, 0, len, offset, `page data of PFNs 0x${(pfn + i + j).toString(16)}+${k - j}`);
        let p = 0;
        for (let m = j; m < k; m++) {
          const sz = d.readUInt32LE(m * 24 + 8), fl = d.readUInt32LE(m * 24 + 12);
          const o = at + m * ps;
          if (this.decodeInto(pfn + i + m, data.subarray(p, p + sz), fl, part.src.name, out, o)) avail[availOff + i + m] = PageAvail.Data;
          else { out.fill(0, o, o + ps); avail[availOff + i + m] = PageAvail.Excluded; }
          p += sz;
        }
        j = k;
      }
    });
  }

  /** One page through loadPage (no shared-page memo). */
  private readOne(pfn: number, out: Buffer, at: number, avail: Uint8Array, ai: number): void {
    const page = this.loadPage(pfn);
    if (page) { page.copy(out, at, 0, this.pageSize); avail[ai] = PageAvail.Data; }
    else { out.fill(0, at, at + this.pageSize); avail[ai] = PageAvail.Excluded; }
  }

  private decodeOne(pfn: number, offset: number, size: number, flags: number, src: ByteSource, out: Buffer, at: number, avail: Uint8Array, ai: number): void {
    const ps = this.pageSize;
    const sharedPages = this.sharedOf(src);
    const shared = offset > 0 ? sharedPages.get(offset) : undefined;
    if (shared) { shared.copy(out, at); avail[ai] = PageAvail.Data; return; }
    const page = this.pageData(pfn, src, offset, size, flags);
    if (!page) { out.fill(0, at, at + ps); avail[ai] = PageAvail.Excluded; return; }
    page.copy(out, at, 0, ps);
    avail[ai] = PageAvail.Data;
    // remember single pages: a second descriptor pointing at the same block is then a copy
    if (sharedPages.size >= 16) sharedPages.delete(sharedPages.keys().next().value as number);
    sharedPages.set(offset, Buffer.from(out.subarray(at, at + ps)));
  }

  // ---- Decoding on two threads (readPagesIntoAsync) ----
  //
  // beginBulkReads starts a decode worker (kdumpDecodeWorker.ts) when the pass will decode enough pages
  // for it to pay. Each readPagesIntoAsync then plans its request on this thread at once — descriptors,
  // excluded, shared and damaged pages: the checks of readPagesInto — into chunks of a few pages whose
  // data lie back to back, and posts the plan to the worker, which starts taking chunks from the job's
  // shared counter and decodes them into the caller's buffer (shared memory) or a staging buffer. This
  // thread takes chunks of the same job only once its caller has yielded — the memmap pass classifies
  // the previous section first — so the two threads share the decoding by how much time each has. Jobs
  // complete on this thread in request order, and every page that could not be read or decoded there
  // goes through the ordinary single-page path, so losses, warnings and their order are readPagesInto's.

  private worker?: DecodeWorker;
  /** Provenance notes of the last pass: why it decoded on one thread, or what the worker did. */
  private parallelNotes: string[] = [];
  private parallelPass?: { planned: number; mainPages: number; jobs: number };
  /** Completion of the last request: requests complete in order. */
  private chain: Promise<void> = Promise.resolve();
  private stagingPool: SharedArrayBuffer[] = [];
  /**
   * Whether this thread takes chunks of a job too. Tests turn it off so the worker decodes every chunk
   * whatever the scheduling; this thread then decodes only what a dead worker left.
   */
  readingThreadShares = true;

  /** Pages per chunk: small enough that neither thread waits long for the other at the end of a job. */
  static readonly CHUNK_PAGES = 8;
  /** Below this estimated one-thread decode time of a pass a worker does not pay: it starts in ~40-50 ms, and two threads decode ~1.4x as fast as one on this 2-vCPU machine. */
  static readonly MIN_PARALLEL_MS = 150;

  /** Rough decode cost of one page of this dump in µs, with its read (measured on the lab dumps). */
  private decodeCostUs(): number {
    const s = this.header.status;
    return s & DUMP_DH_COMPRESSED_ZLIB ? 7 : s & DUMP_DH_COMPRESSED_LZO ? 12 : s & DUMP_DH_COMPRESSED_ZSTD ? 30 : s & DUMP_DH_COMPRESSED_SNAPPY ? 15 : 0;
  }

  beginBulkReads(pages: number, mode?: DecodeWorkerMode): void {
    if (this.worker) return;
    this.parallelNotes = [];
    const env = process.env.KMEMMAP_DECODE_WORKER;
    mode ??= env === '0' || env === 'never' ? 'never' : env === '1' || env === 'always' ? 'always' : 'auto';
    const single = (why: string) => { this.parallelNotes.push(`kdump pages decoded on one thread: ${why}`); };
    if (mode === 'never') return single('decode worker turned off');
    const estMs = (pages * this.decodeCostUs()) / 1000;
    if (mode === 'auto' && estMs < KdumpDump.MIN_PARALLEL_MS) {
      return single(`~${pages} memmap pages (${this.compression}, ~${estMs.toFixed(0)} ms to decode) do not pay for a decode worker`);
    }
    if (!this.parts.every((p) => p.src instanceof FileSource || p.src instanceof FlattenedSource)) return single('the dump is not read from files');
    const file = decodeWorkerLocation.find();
    if (!file) return single(`the decode worker ${DECODE_WORKER_FILE} is missing next to ${__dirname}`);
    try {
      this.worker = new DecodeWorker(file, { files: this.parts.map((p) => p.src.name), pageSize: this.pageSize });
    } catch (e) {
      return single(`the decode worker did not start: ${(e as Error)?.message ?? e}`);
    }
    this.parallelPass = { planned: 0, mainPages: 0, jobs: 0 };
  }

  async endBulkReads(): Promise<string[]> {
    await this.chain;
    const w = this.worker, pass = this.parallelPass;
    this.worker = undefined;
    this.parallelPass = undefined;
    this.stagingPool = [];
    if (w && pass) {
      await w.terminate();
      this.parallelNotes.push(`kdump pages decoded on two threads: the decode worker decoded ${w.workerPages} of ${pass.planned} pages ` +
        `(${pass.jobs} jobs; ready after ${w.readyMs === undefined ? '—' : `${w.readyMs.toFixed(0)} ms`}, busy ${w.workerBusyMs.toFixed(0)} ms), this thread ${pass.mainPages}` +
        (w.died ? `; ${w.died}, this thread decoded the rest` : ''));
    }
    return this.parallelNotes;
  }

  readPagesIntoAsync(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): Promise<void> {
    const prev = this.chain;
    let job: KdumpJob | undefined;
    try {
      if (this.worker?.usable) job = this.planJob(pfn, count, out, outOff, avail, availOff);
    } catch (e) {
      return Promise.reject(e);
    }
    const done = (async () => {
      await undefined; // the caller goes on (classifies) before this thread decodes its share
      if (!job) { await prev; this.readPagesInto(pfn, count, out, outOff, avail, availOff); return; }
      if (this.readingThreadShares) this.decodeShare(job);
      if (job.worker && Atomics.load(job.ctrl, CTRL_DONE) < job.nChunks) {
        await job.worker.wait(job.id);
        if (Atomics.load(job.ctrl, CTRL_DONE) < job.nChunks) this.decodeShare(job, true); // the worker died on the job
      }
      await prev;
      this.completeJob(job);
    })();
    this.chain = done.catch(() => undefined);
    return done;
  }

  /** What each page of a request needs, decided before any decoding; posts the job to the worker. */
  private planJob(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): KdumpJob {
    const ps = this.pageSize;
    const job: KdumpJob = {
      pfn, count, out, outOff, avail, availOff, kind: new Uint8Array(count), part: new Uint16Array(count), off: new Float64Array(count),
      size: new Uint32Array(count), flags: new Uint32Array(count), chunkOf: new Int32Array(count), single: new Uint8Array(count),
      plan: new Float64Array(0), nChunks: 0, id: 0, ctrl: new Int32Array(0), owners: new Uint8Array(0), status: new Uint8Array(0),
    };
    // the chunk being built: groups of pages whose data lie back to back in one file
    let groups: { file: number; pos: number; len: number; first: number; n: number }[] = [];
    let inChunk = 0;
    const body: number[] = [], starts: number[] = [];
    const closeChunk = () => {
      if (!inChunk) return;
      const c = starts.length;
      starts.push(body.length);
      body.push(groups.length);
      for (const g of groups) {
        const src = this.parts[g.file].src;
        const segs = src instanceof FlattenedSource ? src.fileSegments(g.pos, g.len) : [0, g.pos, g.len];
        body.push(g.file, g.pos, g.len, segs.length / 3);
        for (const x of segs) body.push(x);
        body.push(g.n);
        // the group's pages are consecutive K_DECODE pages of the request
        for (let i = g.first, k = 0; k < g.n; i++) {
          if (job.kind[i] !== K_DECODE || job.chunkOf[i] !== -1) continue;
          body.push(i, job.size[i], job.flags[i]);
          job.chunkOf[i] = c;
          k++;
        }
        if (g.n === 1) job.single[g.first] = 1;
      }
      groups = [];
      inChunk = 0;
    };
    job.chunkOf.fill(-1);
    let planned = 0;
    this.descriptorRuns(pfn, count, out, outOff, avail, availOff, (i0, n, pi, d) => {
      if (!d) { job.kind.fill(K_LOAD, i0, i0 + n); return; }
      const part = this.parts[pi];
      const shared = this.sharedOf(part.src);
      for (let j = 0, i = i0; j < n; j++, i++) {
        const offset = Number(d.readBigInt64LE(j * 24)), size = d.readUInt32LE(j * 24 + 8), flags = d.readUInt32LE(j * 24 + 12);
        job.part[i] = pi; job.off[i] = offset; job.size[i] = size; job.flags[i] = flags;
        if (offset <= 0 || size === 0 || size > ps * 2 || !Number.isSafeInteger(offset + size) || !this.dataReadable(part.src, offset, size)) {
          job.kind[i] = K_SINGLE; // empty, corrupt or missing: the single-page path says what is lost
          continue;
        }
        const memo = shared.get(offset);
        if (memo) { memo.copy(out, outOff + i * ps); avail[availOff + i] = PageAvail.Data; job.kind[i] = K_DONE; continue; }
        job.kind[i] = K_DECODE;
        planned++;
        const g = groups[groups.length - 1];
        if (g && g.file === pi && g.pos + g.len === offset) { g.len += size; g.n++; }
        else groups.push({ file: pi, pos: offset, len: size, first: i, n: 1 });
        if (++inChunk === KdumpDump.CHUNK_PAGES) closeChunk();
      }
    });
    closeChunk();
    const nChunks = job.nChunks = starts.length, planLen = nChunks + 1 + body.length;
    const L = jobLayout(nChunks, count, planLen);
    const shared = new SharedArrayBuffer(L.bytes);
    job.ctrl = new Int32Array(shared, 0, 2);
    job.owners = new Uint8Array(shared, L.owners, nChunks);
    job.status = new Uint8Array(shared, L.status, count);
    const plan = job.plan = new Float64Array(shared, L.plan, planLen);
    for (let c = 0; c < nChunks; c++) plan[c] = nChunks + 1 + starts[c];
    plan[nChunks] = planLen;
    plan.set(body, nChunks + 1);
    const w = this.worker;
    if (nChunks >= 2 && w?.usable) {
      // the worker writes into the caller's buffer when it is shared memory, else into a staging buffer
      let target: SharedArrayBuffer, targetOff = 0;
      if (out.buffer instanceof SharedArrayBuffer) { target = out.buffer; targetOff = out.byteOffset + outOff; }
      else {
        const k = this.stagingPool.findIndex((b) => b.byteLength >= count * ps);
        target = k >= 0 ? this.stagingPool.splice(k, 1)[0] : new SharedArrayBuffer(Math.max(count * ps, 512 * ps));
        job.staging = Buffer.from(target, 0, count * ps);
      }
      job.worker = w;
      job.id = w.post({ ctrl: shared, nChunks, nPages: count, planLen, target, targetOff });
      if (this.parallelPass) this.parallelPass.jobs++;
    }
    if (this.parallelPass) this.parallelPass.planned += planned;
    return job;
  }

  /** This thread's share of a job: chunks it takes from the shared counter (or, orphans, those the worker left when it died). */
  private decodeShare(job: KdumpJob, orphans = false): void {
    const ps = this.pageSize;
    const target = job.out.subarray(job.outOff, job.outOff + job.count * ps);
    const read: GroupReader = (file, buf, pos, len) => this.parts[file].src.readInto(buf, 0, len, pos) === len;
    const one = (c: number) => {
      const n = decodeChunk(job.plan, c, ps, read, target, job.status);
      if (this.parallelPass) this.parallelPass.mainPages += n;
      Atomics.store(job.owners, c, OWNER_MAIN);
      Atomics.add(job.ctrl, CTRL_DONE, 1);
    };
    if (orphans) { for (let c = 0; c < job.nChunks; c++) if (Atomics.load(job.owners, c) === OWNER_NONE) one(c); return; }
    for (let c: number; (c = Atomics.add(job.ctrl, CTRL_NEXT, 1)) < job.nChunks;) one(c);
  }

  /** Completes a job in page order: the worker's pages from staging; pages that need it take the single-page path. */
  private completeJob(job: KdumpJob): void {
    const ps = this.pageSize, { out, outOff, avail, availOff, pfn } = job;
    let unavailable = false;
    for (let i = 0; i < job.count; i++) {
      const kind = job.kind[i];
      if (kind === K_DONE) continue;
      const at = outOff + i * ps;
      if (kind === K_LOAD) { this.readOne(pfn + i, out, at, avail, availOff + i); continue; }
      const src = this.parts[job.part[i]].src;
      if (kind === K_DECODE && job.status[i] === ITEM_OK) {
        if (job.staging && job.owners[job.chunkOf[i]] === OWNER_WORKER) job.staging.copy(out, at, i * ps, (i + 1) * ps);
        avail[availOff + i] = PageAvail.Data;
        this.decoded++;
        if (job.single[i]) this.rememberShared(src, job.off[i], out, at);
        continue;
      }
      if (job.status[i] === ITEM_UNAVAILABLE) unavailable = true;
      // K_SINGLE, or a page that did not read or decode: as readPagesInto would take it
      this.decodeOne(pfn + i, job.off[i], job.size[i], job.flags[i], src, out, at, avail, availOff + i);
    }
    if (job.staging && this.stagingPool.length < 4) this.stagingPool.push(job.staging.buffer as SharedArrayBuffer);
    if (unavailable && job.worker?.usable) {
      this.parallelNotes.push('the decode worker could not load a decoder this thread has: later pages decoded on this thread only');
      void job.worker.terminate();
    }
  }

  private rememberShared(src: ByteSource, offset: number, out: Buffer, at: number): void {
    const sharedPages = this.sharedOf(src);
    if (sharedPages.size >= 16) sharedPages.delete(sharedPages.keys().next().value as number);
    sharedPages.set(offset, Buffer.from(out.subarray(at, at + this.pageSize)));
  }

  private partIndexOf(pfn: number): number {
    for (let k = 0; k < this.parts.length; k++) if (pfn >= this.parts[k].startPfn && pfn < this.parts[k].endPfn) return k;
    return -1;
  }

  close(): void {
    if (this.worker) { void this.worker.terminate(); this.worker = undefined; }
    for (const p of this.parts) p.src.close();
  }
}

/** What a page of a request needs (KdumpJob.kind): nothing more, decoding (in a chunk), the single-page path, loadPage. */
const K_DONE = 0, K_DECODE = 1, K_SINGLE = 2, K_LOAD = 3;

/** One readPagesIntoAsync request, planned (KdumpDump.planJob). */
interface KdumpJob {
  pfn: number; count: number; out: Buffer; outOff: number; avail: Uint8Array; availOff: number;
  /** per page: K_*, its part and descriptor (data offset, size, flags), its chunk (K_DECODE) */
  kind: Uint8Array; part: Uint16Array; off: Float64Array; size: Uint32Array; flags: Uint32Array; chunkOf: Int32Array;
  /** K_DECODE pages alone in their group: remembered as possibly shared, like readPagesInto's single pages */
  single: Uint8Array;
  /** the chunks (kdumpChunks.ts), in the job's shared buffer with its control words, chunk owners and page statuses */
  plan: Float64Array; nChunks: number; ctrl: Int32Array; owners: Uint8Array; status: Uint8Array;
  /** the worker the job was posted to and its id there (none: this thread decodes it all) */
  worker?: DecodeWorker; id: number;
  /** where the worker put its pages when the caller's buffer is not shared memory */
  staging?: Buffer;
}
