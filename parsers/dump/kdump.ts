// kdump-compressed ("KDUMP   " / "DISKDUMP") dumps and split sets. Layout (makedumpfile diskdump_mod.h,
// IMPLEMENTATION; dump-formats-and-tools.md §1.3): block 0 disk_dump_header, block 1.. kdump_sub_header
// + notes, then bitmap1|bitmap2, then page_desc[] (24 bytes) — one per bit set in bitmap2, in PFN order,
// so a PFN's descriptor index is its rank in bitmap2 — then page data. x86_64 (LP64) layout only.
import { ByteSource, readExact } from './byteSource';
import { CodecError, decodePage, DUMP_DH_COMPRESSED_INCOMPLETE, DUMP_DH_COMPRESSED_LZO, DUMP_DH_COMPRESSED_SNAPPY, DUMP_DH_COMPRESSED_ZLIB, DUMP_DH_COMPRESSED_ZSTD, DUMP_DH_EXCLUDED_VMEMMAP } from './codecs';
import { DumpError } from './errors';
import { ElfNote, parseNotes } from './elf';
import { CachedPhysicalMemory, PageAvail } from './physmem';

export function isKdumpHeader(h: Buffer): boolean {
  if (h.length < 8) return false;
  const s = h.subarray(0, 8).toString('latin1');
  return s === 'KDUMP   ' || s === 'DISKDUMP';
}

export interface KdumpHeader {
  signature: string;
  version: number;
  utsname: { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string };
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  nrCpus: number;
  // sub-header
  physBase?: bigint;
  dumpLevel?: number;
  split?: number;
  offsetVmcoreinfo?: number;
  sizeVmcoreinfo?: number;
  offsetNote?: number;
  sizeNote?: number;
  startPfn?: number;
  endPfn?: number;
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('latin1');
}

export function parseKdumpHeader(src: ByteSource): KdumpHeader {
  const name = src.name;
  const h = readExact(src, 0, 464, 'kdump header');
  if (!isKdumpHeader(h)) throw new DumpError(name, 'not-a-dump', 'not a kdump-compressed file');
  const u = (i: number) => h.subarray(12 + 65 * i, 12 + 65 * (i + 1));
  const hdr: KdumpHeader = {
    signature: h.subarray(0, 8).toString('latin1'),
    version: h.readInt32LE(8),
    utsname: { sysname: cstr(u(0)), nodename: cstr(u(1)), release: cstr(u(2)), version: cstr(u(3)), machine: cstr(u(4)), domainname: cstr(u(5)) },
    status: h.readUInt32LE(424),
    blockSize: h.readInt32LE(428),
    subHdrSize: h.readInt32LE(432),
    bitmapBlocks: h.readUInt32LE(436),
    maxMapnr: h.readUInt32LE(440),
    nrCpus: h.readInt32LE(460),
  };
  const bs = hdr.blockSize;
  if (!(bs >= 512 && bs <= 65536 && (bs & (bs - 1)) === 0)) {
    throw new DumpError(name, 'corrupt', `kdump header is corrupt: block_size ${bs} is not a page size (big-endian or 32-bit dumps are not supported)`);
  }
  if (hdr.version < 0 || hdr.version > 100) throw new DumpError(name, 'corrupt', `kdump header is corrupt: header_version ${hdr.version}`);
  if (hdr.subHdrSize < 0 || hdr.subHdrSize > 1 << 16) throw new DumpError(name, 'corrupt', `kdump header is corrupt: sub_hdr_size ${hdr.subHdrSize}`);
  if (hdr.bitmapBlocks === 0 || hdr.bitmapBlocks % 2 !== 0 && hdr.version > 0) {
    // two bitmaps of equal size; an odd count means a corrupt header (or an old one-bitmap "partial" dump)
    throw new DumpError(name, 'corrupt', `kdump header is corrupt: bitmap_blocks ${hdr.bitmapBlocks} is not an even, non-zero number`);
  }
  if (hdr.version >= 1 && hdr.subHdrSize > 0) {
    const sh = readExact(src, bs, 104, 'kdump sub-header');
    hdr.physBase = sh.readBigUInt64LE(0);
    hdr.dumpLevel = sh.readInt32LE(8);
    if (hdr.version >= 2) hdr.split = sh.readInt32LE(12);
    if (hdr.version >= 3) { hdr.offsetVmcoreinfo = Number(sh.readBigUInt64LE(32)); hdr.sizeVmcoreinfo = Number(sh.readBigUInt64LE(40)); }
    if (hdr.version >= 4) { hdr.offsetNote = Number(sh.readBigUInt64LE(48)); hdr.sizeNote = Number(sh.readBigUInt64LE(56)); }
    if (hdr.version >= 6) {
      hdr.startPfn = Number(sh.readBigUInt64LE(80));
      hdr.endPfn = Number(sh.readBigUInt64LE(88));
      const m64 = Number(sh.readBigUInt64LE(96));
      if (m64) hdr.maxMapnr = m64;
    } else if (hdr.version >= 2) {
      hdr.startPfn = sh.readUInt32LE(16);
      hdr.endPfn = sh.readUInt32LE(24);
    }
  }
  return hdr;
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
    if (first.status & DUMP_DH_COMPRESSED_LZO) this.warnings.push(`${name}: LZO-compressed; LZO pages cannot be decoded by this reader`);
    // notes
    const src0 = srcs[0];
    if (first.offsetNote && first.sizeNote && first.sizeNote < 1 << 24) {
      this.notes.push(...parseNotes(readExact(src0, first.offsetNote, first.sizeNote, 'ELF notes')));
    }
    if (!this.notes.some((n) => n.name === 'VMCOREINFO') && first.offsetVmcoreinfo && first.sizeVmcoreinfo && first.sizeVmcoreinfo < 1 << 20) {
      this.vmcoreinfoText = readExact(src0, first.offsetVmcoreinfo, first.sizeVmcoreinfo, 'VMCOREINFO').toString('latin1');
    }
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
    return this.bitmap2[b] & m ? PageAvail.Data : PageAvail.Excluded;
  }

  private partOf(pfn: number): KdumpPart | undefined {
    for (const p of this.parts) if (pfn >= p.startPfn && pfn < p.endPfn) return p;
    return undefined;
  }

  protected loadPage(pfn: number): Buffer | undefined {
    if (this.avail(pfn) !== PageAvail.Data) return undefined;
    const part = this.partOf(pfn);
    if (!part) return undefined;
    const idx = this.rank(pfn) - part.rankBase;
    const dpos = part.descOffset + idx * 24;
    const d = this.desc;
    const n = part.src.readInto(d, 0, 24, dpos);
    const name = part.src.name;
    if (n !== 24) throw new DumpError(name, 'truncated', `file is truncated: page descriptor of PFN 0x${pfn.toString(16)} at offset ${dpos} is missing`);
    const offset = Number(d.readBigInt64LE(0));
    const size = d.readUInt32LE(8);
    const flags = d.readUInt32LE(12);
    if (offset === 0 && size === 0) return undefined; // lost in an incomplete dump
    if (offset <= 0 || size === 0 || size > this.pageSize * 2) {
      throw new DumpError(name, 'corrupt', `page descriptor of PFN 0x${pfn.toString(16)} is corrupt (offset ${offset}, size ${size})`);
    }
    const data = readExact(part.src, offset, size, `page data of PFN 0x${pfn.toString(16)}`);
    try {
      const page = decodePage(data, flags, this.pageSize);
      this.decoded++;
      return page === data ? data : page;
    } catch (e) {
      if (e instanceof CodecError) throw new DumpError(name, e.message.includes('LZO') ? 'unsupported' : 'corrupt', `PFN 0x${pfn.toString(16)}: ${e.message}`);
      throw e;
    }
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
  override readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): void {
    const ps = this.pageSize;
    let i = 0;
    while (i < count) {
      const a = this.avail(pfn + i);
      const at = outOff + i * ps;
      const part = a === PageAvail.Data ? this.partOf(pfn + i) : undefined;
      if (!part) { out.fill(0, at, at + ps); avail[availOff + i] = a === PageAvail.Data ? PageAvail.Excluded : a; i++; continue; }
      // run of Data pages in the same part
      let n = 1;
      while (i + n < count && pfn + i + n < part.endPfn && this.avail(pfn + i + n) === PageAvail.Data) n++;
      const first = this.rank(pfn + i) - part.rankBase;
      const dpos = part.descOffset + first * 24;
      if (this.descScratch.length < n * 24) this.descScratch = Buffer.alloc(Math.max(n * 24, 24 * 512));
      const d = this.descScratch;
      const got = part.src.readInto(d, 0, n * 24, dpos);
      const name = part.src.name;
      if (got !== n * 24) throw new DumpError(name, 'truncated', `file is truncated: page descriptors of PFNs 0x${(pfn + i).toString(16)}+${n} at offset ${dpos} are missing`);
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
        if (k - j === 1) {
          this.decodeOne(pfn + i + j, offset, size, d.readUInt32LE(j * 24 + 12), part.src, out, at + j * ps, avail, availOff + i + j);
          j++;
          continue;
        }
        const len = end - offset;
        if (this.dataScratch.length < len) this.dataScratch = Buffer.alloc(Math.max(len, 1 << 20));
        const data = this.dataScratch;
        if (offset <= 0 || !Number.isSafeInteger(end) || end > part.src.size) {
          throw new DumpError(name, 'truncated', `file is truncated or corrupt: page data of PFNs 0x${(pfn + i + j).toString(16)}+${k - j} at offset ${offset} (+${len} bytes) lies beyond the end of the file (${part.src.size} bytes)`);
        }
        if (part.src.readInto(data, 0, len, offset) !== len) throw new DumpError(name, 'truncated', `short read of page data at offset ${offset}`);
        let p = 0;
        for (let m = j; m < k; m++) {
          const sz = d.readUInt32LE(m * 24 + 8), fl = d.readUInt32LE(m * 24 + 12);
          this.decodeInto(pfn + i + m, data.subarray(p, p + sz), fl, name, out, at + m * ps);
          avail[availOff + i + m] = PageAvail.Data;
          p += sz;
        }
        j = k;
      }
      i += n;
    }
  }

  private decodeOne(pfn: number, offset: number, size: number, flags: number, src: ByteSource, out: Buffer, at: number, avail: Uint8Array, ai: number): void {
    const ps = this.pageSize;
    if (offset === 0 && size === 0) { out.fill(0, at, at + ps); avail[ai] = PageAvail.Excluded; return; } // lost in an incomplete dump
    if (offset <= 0 || size === 0 || size > ps * 2) {
      throw new DumpError(src.name, 'corrupt', `page descriptor of PFN 0x${pfn.toString(16)} is corrupt (offset ${offset}, size ${size})`);
    }
    avail[ai] = PageAvail.Data;
    const sharedPages = this.sharedOf(src);
    const shared = sharedPages.get(offset);
    if (shared) { shared.copy(out, at); return; }
    const data = readExact(src, offset, size, `page data of PFN 0x${pfn.toString(16)}`);
    this.decodeInto(pfn, data, flags, src.name, out, at);
    // remember single pages: a second descriptor pointing at the same block is then a copy
    if (sharedPages.size >= 16) sharedPages.delete(sharedPages.keys().next().value as number);
    sharedPages.set(offset, Buffer.from(out.subarray(at, at + ps)));
  }

  private decodeInto(pfn: number, data: Buffer, flags: number, name: string, out: Buffer, at: number): void {
    try {
      const page = decodePage(data, flags, this.pageSize);
      page.copy(out, at, 0, this.pageSize);
      this.decoded++;
    } catch (e) {
      if (e instanceof CodecError) throw new DumpError(name, e.message.includes('LZO') ? 'unsupported' : 'corrupt', `PFN 0x${pfn.toString(16)}: ${e.message}`);
      throw e;
    }
  }

  close(): void { for (const p of this.parts) p.src.close(); }
}
