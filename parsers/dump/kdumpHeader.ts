// The kdump-compressed header (disk_dump_header, block 0) and its kdump_sub_header (block 1), read and
// checked before anything else of the file (makedumpfile diskdump_mod.h; x86_64 / LP64 layout only).
import { ByteSource, readExact } from './byteSource';
import { DumpError } from './errors';

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
  offsetEraseinfo?: number;
  sizeEraseinfo?: number;
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
    utsname: {
      sysname: cstr(u(0)),
      nodename: cstr(u(1)),
      release: cstr(u(2)),
      version: cstr(u(3)),
      machine: cstr(u(4)),
      domainname: cstr(u(5)),
    },
    status: h.readUInt32LE(424),
    blockSize: h.readInt32LE(428),
    subHdrSize: h.readInt32LE(432),
    bitmapBlocks: h.readUInt32LE(436),
    maxMapnr: h.readUInt32LE(440),
    nrCpus: h.readInt32LE(460),
  };
  const bs = hdr.blockSize;
  if (!(bs >= 512 && bs <= 65536 && (bs & (bs - 1)) === 0)) {
    throw new DumpError(
      name,
      'corrupt',
      `kdump header is corrupt: block_size ${bs} is not a page size (big-endian or 32-bit dumps are not supported)`,
    );
  }
  if (hdr.version < 0 || hdr.version > 100)
    throw new DumpError(name, 'corrupt', `kdump header is corrupt: header_version ${hdr.version}`);
  if (hdr.subHdrSize < 0 || hdr.subHdrSize > 1 << 16)
    throw new DumpError(name, 'corrupt', `kdump header is corrupt: sub_hdr_size ${hdr.subHdrSize}`);
  if (hdr.bitmapBlocks === 0 || (hdr.bitmapBlocks % 2 !== 0 && hdr.version > 0)) {
    // two bitmaps of equal size; an odd count means a corrupt header (or an old one-bitmap "partial" dump)
    throw new DumpError(
      name,
      'corrupt',
      `kdump header is corrupt: bitmap_blocks ${hdr.bitmapBlocks} is not an even, non-zero number`,
    );
  }
  if (hdr.version >= 1 && hdr.subHdrSize > 0) {
    const sh = readExact(src, bs, 104, 'kdump sub-header');
    hdr.physBase = sh.readBigUInt64LE(0);
    hdr.dumpLevel = sh.readInt32LE(8);
    if (hdr.version >= 2) hdr.split = sh.readInt32LE(12);
    if (hdr.version >= 3) {
      hdr.offsetVmcoreinfo = Number(sh.readBigUInt64LE(32));
      hdr.sizeVmcoreinfo = Number(sh.readBigUInt64LE(40));
    }
    if (hdr.version >= 4) {
      hdr.offsetNote = Number(sh.readBigUInt64LE(48));
      hdr.sizeNote = Number(sh.readBigUInt64LE(56));
    }
    if (hdr.version >= 5) {
      hdr.offsetEraseinfo = Number(sh.readBigUInt64LE(64));
      hdr.sizeEraseinfo = Number(sh.readBigUInt64LE(72));
    }
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
