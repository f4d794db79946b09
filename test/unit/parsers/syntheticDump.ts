// Hand-made dumps of a tiny synthetic x86_64 machine (6.12 layout), written as ELF, kdump (pages
// compressed with zlib, LZO, snappy or zstd, or raw), flattened and split kdump, for the unit tests.
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DumpError } from '../../../parsers/dump/errors';

export const SKM = 0xffffffff80000000n;
export const VMEMMAP = 0xffffea0000000000n;
export const PHYS_BASE = 0x1000000;
const PG = 4096;

/** The expected class of a few interesting PFNs of section 0. */
export const EXPECT: Record<number, string> = {
  0x10: 'reserved',
  0x100: 'free',
  0x101: 'free',
  0x103: 'free',
  0x104: 'kernel-other',
  0x200: 'offline-movable',
  0x201: 'offline-skippable',
  0x202: 'offline',
  0x203: 'offline-skippable',
  0x300: 'slab',
  0x400: 'lru-anon',
  0x401: 'lru-file',
  0x600: 'compound-head',
  0x601: 'compound-tail',
  0x7ff: 'compound-tail',
  0x800: 'hugetlb',
  0x9ff: 'hugetlb',
  0x1000: 'hwpoison',
  0x1001: 'pagetable',
  0x1002: 'free',
  0x1003: 'unknown',
  0x8000: 'section-offline',
  0xffff: 'section-offline',
};

export function vmcoreinfoText(opts: { omit?: string[] } = {}): string {
  const lines = [
    'OSRELEASE=6.12.117+deb12-amd64',
    'PAGESIZE=4096',
    `SYMBOL(init_top_pgt)=${(SKM + 0x10000n).toString(16)}`,
    `SYMBOL(_stext)=${(SKM + 0x1000000n).toString(16)}`,
    `SYMBOL(mem_section)=${(SKM + 0x20000n).toString(16)}`,
    'LENGTH(mem_section)=4096',
    'SIZE(mem_section)=32',
    'OFFSET(mem_section.section_mem_map)=0',
    'NUMBER(SECTION_SIZE_BITS)=27',
    'NUMBER(MAX_PHYSMEM_BITS)=46',
    `SYMBOL(vmemmap)=${VMEMMAP.toString(16)}`,
    'SIZE(page)=64',
    'OFFSET(page.flags)=0',
    'OFFSET(page._refcount)=52',
    'OFFSET(page.mapping)=24',
    'OFFSET(page.lru)=8',
    'OFFSET(page._mapcount)=48',
    'OFFSET(page.private)=40',
    'OFFSET(page.compound_head)=8',
    'NUMBER(PG_lru)=5',
    'NUMBER(PG_private)=14',
    'NUMBER(PG_swapcache)=10',
    'NUMBER(PG_swapbacked)=17',
    'NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376',
    'NUMBER(PG_hwpoison)=20',
    'NUMBER(PG_head_mask)=64',
    'NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456',
    'NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592',
    'NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240',
    'LENGTH(node_data)=1024',
    `NUMBER(phys_base)=${PHYS_BASE}`,
    'NUMBER(pgtable_l5_enabled)=0',
    'KERNELOFFSET=0',
    'NUMBER(KERNEL_IMAGE_SIZE)=1073741824',
    'NUMBER(sme_mask)=0',
    'NUMBER(VMALLOC_START)=0xffffc90000000000',
    'SOMETHING_NEW(x)=42',
  ];
  return lines.filter((l) => !(opts.omit ?? []).some((o) => l.startsWith(o))).join('\n') + '\n';
}

/** Physical pages of the machine that hold data (pfn → 4 KiB). */
export function buildPhysPages(): Map<number, Buffer> {
  const pages = new Map<number, Buffer>();
  const page = (pa: number) => {
    const pfn = pa / PG;
    let p = pages.get(pfn);
    if (!p) {
      p = Buffer.alloc(PG);
      pages.set(pfn, p);
    }
    return p;
  };
  const w64 = (pa: number, v: bigint) => page(pa - (pa % PG)).writeBigUInt64LE(BigInt.asUintN(64, v), pa % PG);
  const kpa = (va: bigint) => Number(va - SKM) + PHYS_BASE;
  // kernel image pages exist (zero) from PHYS_BASE
  for (let a = PHYS_BASE; a < PHYS_BASE + 0x40000; a += PG) page(a);
  // page tables: PGD (init_top_pgt) → PUD → PMD (2 MiB pages) for the vmemmap
  const pgd = kpa(SKM + 0x10000n),
    pud = pgd + PG,
    pmd = pgd + 2 * PG;
  const idx = (va: bigint, shift: bigint) => Number((va >> shift) & 0x1ffn);
  w64(pgd + idx(VMEMMAP, 39n) * 8, BigInt(pud) | 0x63n);
  w64(pud + idx(VMEMMAP, 30n) * 8, BigInt(pmd) | 0x63n);
  const memmapPa = 0x2000000;
  w64(pmd + idx(VMEMMAP, 21n) * 8, BigInt(memmapPa) | 0xe3n); // 2 MiB page, PSE
  // section 1's memmap is mapped too (a real kernel maps the memmap of every present section); its
  // pages are not in the dump, like those of memory beyond the dumped ranges
  w64(pmd + (idx(VMEMMAP, 21n) + 1) * 8, BigInt(memmapPa + 0x200000) | 0xe3n);
  // mem_section root array → one root page in the kernel image
  const rootPage = SKM + 0x30000n;
  w64(kpa(SKM + 0x20000n), rootPage);
  w64(kpa(rootPage) + 0 * 32, VMEMMAP | 0xfn); // section 0: present, memmap, online, early
  w64(kpa(rootPage) + 1 * 32, VMEMMAP | 0x3n); // section 1: present, memmap, offline (hot-added, not onlined)
  // struct pages of section 0
  for (let a = memmapPa; a < memmapPa + 0x200000; a += PG) page(a);
  const sp = (
    pfn: number,
    f: { flags?: bigint; ch?: bigint; mapping?: bigint; priv?: bigint; mapcount?: number; ref?: number },
  ) => {
    const base = memmapPa + pfn * 64;
    const zoneNode = 2n << 51n; // zone Normal, node 0
    w64(base, (f.flags ?? 0n) | zoneNode);
    w64(base + 8, f.ch ?? 0n);
    w64(base + 24, f.mapping ?? 0n);
    w64(base + 40, f.priv ?? 0n);
    const p = page(base - (base % PG));
    p.writeUInt32LE((f.mapcount ?? 0xffffffff) >>> 0, (base % PG) + 48);
    p.writeInt32LE(f.ref ?? 1, (base % PG) + 52);
  };
  for (let pfn = 0; pfn < 32768; pfn++) sp(pfn, {});
  const bit = (b: number) => 1n << BigInt(b);
  for (let pfn = 0; pfn < 0x100; pfn++) sp(pfn, { flags: bit(13) }); // reserved
  sp(0x100, { mapcount: 0xf0000000, priv: 2n, ref: 0 }); // buddy order 2
  for (let pfn = 0x101; pfn < 0x104; pfn++) sp(pfn, { ref: 0 });
  sp(0x200, { mapcount: 0xf1000000, mapping: 0xffffffff81234560n | 2n }); // balloon (mapping tag)
  sp(0x201, { mapcount: 0xf1000000, flags: bit(4) }); // offline + dirty → virtio-mem
  sp(0x202, { mapcount: 0xf1000000 }); // offline, refcount 1: unmovable, or virtio-mem (the machine has no kallsyms, so no ranges)
  sp(0x203, { mapcount: 0xf1000000, ref: 0 }); // offline, refcount 0
  sp(0x300, { mapcount: 0xf5000000 });
  sp(0x400, { flags: bit(5), mapping: 0xffff888012345601n });
  sp(0x401, { flags: bit(5), mapping: 0xffff888012345600n });
  sp(0x600, { flags: bit(6) | bit(5), mapping: 0xffff888012345601n });
  for (let pfn = 0x601; pfn < 0x800; pfn++) sp(pfn, { ch: (VMEMMAP + 0x600n * 64n) | 1n });
  sp(0x800, { flags: bit(6), mapcount: 0xf4000000 });
  for (let pfn = 0x801; pfn < 0xa00; pfn++) sp(pfn, { ch: (VMEMMAP + 0x800n * 64n) | 1n });
  sp(0x1000, { flags: bit(20) });
  sp(0x1001, { mapcount: 0xf2000000 });
  sp(0x1002, { ref: 0 });
  sp(0x1003, { mapcount: 0xfa000000 }); // unknown page type
  return pages;
}

export function noteBlob(name: string, type: number, desc: Buffer): Buffer {
  const nm = Buffer.from(name + '\0', 'latin1');
  const pad = (n: number) => (n + 3) & ~3;
  const b = Buffer.alloc(12 + pad(nm.length) + pad(desc.length));
  b.writeUInt32LE(nm.length, 0);
  b.writeUInt32LE(desc.length, 4);
  b.writeUInt32LE(type, 8);
  nm.copy(b, 12);
  desc.copy(b, 12 + pad(nm.length));
  return b;
}

/** Contiguous runs of present pfns. */
function runs(pages: Map<number, Buffer>): [number, number][] {
  const pfns = [...pages.keys()].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const p of pfns) {
    const l = out[out.length - 1];
    if (l && l[1] === p) l[1]++;
    else out.push([p, p + 1]);
  }
  return out;
}

/** QEMU-7.2-like ELF: section headers before the phdrs (e_phoff 0xc0), e_ehsize 8. */
export function writeElf(pages: Map<number, Buffer>, vi: string | undefined, opts: { machine?: number } = {}): Buffer {
  const rs = runs(pages);
  const notes =
    vi === undefined
      ? noteBlob('CORE', 1, Buffer.alloc(336))
      : Buffer.concat([noteBlob('CORE', 1, Buffer.alloc(336)), noteBlob('VMCOREINFO', 0, Buffer.from(vi))]);
  const phoff = 0xc0,
    phnum = 1 + rs.length;
  let dataOff = phoff + phnum * 56;
  const eh = Buffer.alloc(phoff);
  eh.write('\x7fELF', 0, 'latin1');
  eh[4] = 2;
  eh[5] = 1;
  eh[6] = 1;
  eh.writeUInt16LE(4, 16);
  eh.writeUInt16LE(opts.machine ?? 62, 18);
  eh.writeUInt32LE(1, 20);
  eh.writeBigUInt64LE(BigInt(phoff), 32);
  eh.writeBigUInt64LE(0x40n, 40);
  eh.writeUInt16LE(8, 52);
  eh.writeUInt16LE(56, 54);
  eh.writeUInt16LE(phnum, 56);
  eh.writeUInt16LE(64, 58);
  eh.writeUInt16LE(2, 60);
  const ph = Buffer.alloc(phnum * 56);
  const chunks: Buffer[] = [];
  ph.writeUInt32LE(4, 0);
  ph.writeBigUInt64LE(BigInt(dataOff), 8);
  ph.writeBigUInt64LE(BigInt(notes.length), 32);
  ph.writeBigUInt64LE(BigInt(notes.length), 40);
  chunks.push(notes);
  dataOff += notes.length;
  rs.forEach(([s, e], i) => {
    const b = (i + 1) * 56;
    const len = (e - s) * PG;
    ph.writeUInt32LE(1, b);
    ph.writeBigUInt64LE(BigInt(dataOff), b + 8);
    ph.writeBigUInt64LE(BigInt(s * PG), b + 16);
    ph.writeBigUInt64LE(BigInt(s * PG), b + 24);
    ph.writeBigUInt64LE(BigInt(len), b + 32);
    ph.writeBigUInt64LE(BigInt(len), b + 40);
    for (let p = s; p < e; p++) chunks.push(pages.get(p)!);
    dataOff += len;
  });
  return Buffer.concat([eh, ph, ...chunks]);
}

/**
 * A valid LZO1X stream holding b as one literal run — what an LZO compressor emits for incompressible
 * data. (No MIT-licensed LZO compressor is on npm; the real makedumpfile -l dumps of the lab test the
 * decoder on real compressed pages.) First instruction 0 = literal run of 18 + 255 * (zero bytes) +
 * (last byte) bytes, then the end-of-stream match 0x11 0x00 0x00.
 */
export function lzoStored(b: Buffer): Buffer {
  if (b.length < 19) throw new Error('lzoStored: at least 19 bytes');
  const head = [0];
  let t = b.length - 18;
  while (t > 255) {
    head.push(0);
    t -= 255;
  }
  head.push(t);
  return Buffer.concat([Buffer.from(head), b, Buffer.from([0x11, 0, 0])]);
}

/** A zstd frame holding b in one raw block (single segment, 2-byte content size). */
export function zstdRaw(b: Buffer): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt32LE(0xfd2fb528, 0);
  h[4] = 0x60; // Frame_Content_Size_flag 1 (2 bytes, value - 256), Single_Segment_flag
  h.writeUInt16LE(b.length - 256, 5);
  const bh = (b.length << 3) | 1; // last block, raw
  h[7] = bh & 0xff;
  h[8] = (bh >> 8) & 0xff;
  h[9] = (bh >> 16) & 0xff;
  return Buffer.concat([h, b]);
}

export type KdumpCompression = 'zlib' | 'lzo' | 'snappy' | 'zstd' | 'none';
/** Header status / page_desc flag and encoder per compression (DUMP_DH_COMPRESSED_*). */
const ENCODERS: Record<KdumpCompression, [number, ((p: Buffer) => Buffer) | undefined]> = {
  zlib: [0x1, (p) => zlib.deflateSync(p)],
  lzo: [0x2, lzoStored],
  snappy: [0x4, (p) => Buffer.from(snappyCompress(p))],
  zstd: [0x20, zstdRaw],
  none: [0, undefined],
};

/** kdump-compressed file(s): one, or `split` files covering consecutive PFN ranges. */
export function writeKdump(
  pages: Map<number, Buffer>,
  vi: string,
  opts: { split?: number; compress?: KdumpCompression; machine?: string } = {},
): Buffer[] {
  const [cflag, encode] = ENCODERS[opts.compress ?? 'zlib'];
  const maxPfn = Math.max(...pages.keys()) + 1;
  const bmBytes = Math.ceil(maxPfn / 8 / PG) * PG;
  const bitmap = Buffer.alloc(bmBytes);
  for (const p of pages.keys()) bitmap[p >> 3] |= 1 << (p & 7);
  const notes = noteBlob('VMCOREINFO', 0, Buffer.from(vi));
  const subHdrBlocks = 1 + Math.ceil(notes.length / PG);
  const nFiles = opts.split ?? 1;
  const pfns = [...pages.keys()].sort((a, b) => a - b);
  const bounds = Array.from({ length: nFiles + 1 }, (_, i) =>
    i === nFiles ? maxPfn : i === 0 ? 0 : pfns[Math.floor((pfns.length * i) / nFiles)],
  );
  const files: Buffer[] = [];
  for (let f = 0; f < nFiles; f++) {
    const [s, e] = [bounds[f], bounds[f + 1]];
    const mine = pfns.filter((p) => p >= s && p < e);
    const hdr = Buffer.alloc(PG);
    hdr.write('KDUMP   ', 0, 'latin1');
    hdr.writeInt32LE(6, 8);
    hdr.write(opts.machine ?? 'x86_64', 12 + 65 * 4, 'latin1');
    hdr.writeUInt32LE(cflag, 424);
    hdr.writeInt32LE(PG, 428);
    hdr.writeInt32LE(subHdrBlocks, 432);
    hdr.writeUInt32LE((2 * bmBytes) / PG, 436);
    hdr.writeUInt32LE(maxPfn, 440);
    hdr.writeInt32LE(1, 460);
    const sub = Buffer.alloc(subHdrBlocks * PG);
    sub.writeBigUInt64LE(0x476053504n, 0); // QEMU's wrong phys_base
    sub.writeInt32LE(1, 8);
    sub.writeInt32LE(nFiles > 1 ? 1 : 0, 12);
    const noteOff = PG + PG;
    sub.writeBigUInt64LE(BigInt(noteOff + 12 + 12), 32);
    sub.writeBigUInt64LE(BigInt(vi.length), 40);
    sub.writeBigUInt64LE(BigInt(noteOff), 48);
    sub.writeBigUInt64LE(BigInt(notes.length), 56);
    sub.writeBigUInt64LE(BigInt(s), 80);
    sub.writeBigUInt64LE(BigInt(e), 88);
    sub.writeBigUInt64LE(BigInt(maxPfn), 96);
    notes.copy(sub, PG);
    const descOff = (1 + subHdrBlocks) * PG + 2 * bmBytes;
    let dataOff = descOff + mine.length * 24;
    const desc = Buffer.alloc(mine.length * 24);
    const data: Buffer[] = [];
    const zero = Buffer.alloc(PG);
    // like makedumpfile, the zero page is stored once and every zero page's descriptor is its descriptor
    let zeroDesc: Buffer | undefined;
    mine.forEach((p, i) => {
      const pg = pages.get(p)!;
      if (pg.equals(zero) && zeroDesc) {
        zeroDesc.copy(desc, i * 24);
        return;
      }
      let body = pg,
        flags = 0;
      // zlib: raw when it does not shrink (like makedumpfile); the test stand-ins for LZO and zstd never
      // shrink, so they are kept anyway to exercise the decoders
      if (encode) {
        const z = encode(pg);
        if (z.length < PG || cflag !== 0x1) {
          body = z;
          flags = cflag;
        }
      }
      desc.writeBigInt64LE(BigInt(dataOff), i * 24);
      desc.writeUInt32LE(body.length, i * 24 + 8);
      desc.writeUInt32LE(flags, i * 24 + 12);
      if (pg.equals(zero)) zeroDesc = Buffer.from(desc.subarray(i * 24, i * 24 + 24));
      data.push(body);
      dataOff += body.length;
    });
    files.push(Buffer.concat([hdr, sub, bitmap, bitmap, desc, ...data]));
  }
  return files;
}

/**
 * makedumpfile flattened stream of a file image, records out of order and overlapping once; with
 * headerFirst, the header block comes first and the records follow in file order (streamPos maps a
 * file offset to where its byte sits in such a stream); omit(offset) leaves out the record at offset.
 */
export function flatten(
  img: Buffer,
  recSize = 65536,
  opts: { headerFirst?: boolean; omit?: (offset: number) => boolean } = {},
): Buffer {
  const hdr = Buffer.alloc(4096);
  hdr.write('makedumpfile', 0, 'latin1');
  hdr.writeBigInt64BE(1n, 16);
  hdr.writeBigInt64BE(1n, 24);
  const recs: Buffer[] = [hdr];
  const rec = (off: number, data: Buffer) => {
    const h = Buffer.alloc(16);
    h.writeBigInt64BE(BigInt(off), 0);
    h.writeBigInt64BE(BigInt(data.length), 8);
    recs.push(h, data);
  };
  if (opts.headerFirst) rec(0, img.subarray(0, 4096));
  // else header block last (like makedumpfile writing the header after the data), garbage first then overwritten
  else rec(0, Buffer.alloc(4096, 0xee));
  for (let o = 4096; o < img.length; o += recSize)
    if (!opts.omit?.(o)) rec(o, img.subarray(o, Math.min(img.length, o + recSize)));
  if (!opts.headerFirst) rec(0, img.subarray(0, 4096));
  const end = Buffer.alloc(16, 0xff);
  recs.push(end);
  return Buffer.concat(recs);
}

/** Temporary folders made by tmpFile, removed when the test process exits. */
const madeDirs: string[] = [];
process.on('exit', () => {
  for (const d of madeDirs) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpFile(name: string, data: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kmemmap-dump-'));
  madeDirs.push(dir);
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

/** Stream position of file offset off (>= 4096) in flatten(img, recSize, { headerFirst: true }). */
export function streamPos(off: number, recSize = 65536): number {
  const r = Math.floor((off - 4096) / recSize);
  return 4096 + 16 + 4096 + r * (16 + recSize) + 16 + ((off - 4096) % recSize);
}

/** The page descriptor of pfn in a single kdump image from writeKdump: where it is and what it says. */
export function kdumpDescriptor(
  img: Buffer,
  pfn: number,
): { descPos: number; offset: number; size: number; flags: number; tableEnd: number } {
  const subHdrBlocks = img.readInt32LE(432),
    bmBlocks = img.readUInt32LE(436);
  const bm2 = (1 + subHdrBlocks) * PG + (bmBlocks / 2) * PG;
  if (!(img[bm2 + (pfn >> 3)] & (1 << (pfn & 7)))) throw new Error(`PFN 0x${pfn.toString(16)} is not in the dump`);
  let rank = 0,
    total = 0;
  for (let p = 0; p < (bmBlocks / 2) * PG * 8; p++)
    if (img[bm2 + (p >> 3)] & (1 << (p & 7))) {
      if (p < pfn) rank++;
      total++;
    }
  const table = (1 + subHdrBlocks + bmBlocks) * PG,
    descPos = table + rank * 24;
  return {
    descPos,
    offset: Number(img.readBigInt64LE(descPos)),
    size: img.readUInt32LE(descPos + 8),
    flags: img.readUInt32LE(descPos + 12),
    tableEnd: table + total * 24,
  };
}

/** Where pfn's data sits in an ELF image from writeElf (file offset), and where the page data starts and ends. */
export function elfPageOffset(
  img: Buffer,
  pfn: number,
): { offset: number; dataStart: number; dataEnd: number; noteOffset: number; phEnd: number } {
  const phoff = Number(img.readBigUInt64LE(32)),
    phentsize = img.readUInt16LE(54),
    phnum = img.readUInt16LE(56);
  let offset = -1,
    dataStart = Infinity,
    dataEnd = 0,
    noteOffset = -1;
  for (let i = 0; i < phnum; i++) {
    const b = phoff + i * phentsize;
    const type = img.readUInt32LE(b),
      off = Number(img.readBigUInt64LE(b + 8)),
      pa = Number(img.readBigUInt64LE(b + 24)),
      filesz = Number(img.readBigUInt64LE(b + 32));
    if (type === 4) noteOffset = off;
    if (type !== 1) continue;
    dataStart = Math.min(dataStart, off);
    dataEnd = Math.max(dataEnd, off + filesz);
    if (pfn * PG >= pa && pfn * PG < pa + filesz) offset = off + (pfn * PG - pa);
  }
  if (offset < 0) throw new Error(`PFN 0x${pfn.toString(16)} has no data in the ELF image`);
  return { offset, dataStart, dataEnd, noteOffset, phEnd: phoff + phnum * phentsize };
}

/** A lost page the reader needs (page tables, mem_section, kallsyms) gives a 'truncated' DumpError that says what the dump lost. */
export function neededPageLostError(e: unknown, file: string, loss: RegExp): void {
  assert.ok(e instanceof DumpError, `not a DumpError: ${(e as Error)?.stack ?? e}`);
  assert.equal(e.file, file);
  assert.equal(e.kind, 'truncated', e.message);
  assert.match(e.message, loss, 'the error says what the dump lost');
}
