// crash `kmem -p` listings (also the single rows of `kmem -p <addr>` and `kmem <page-address>`):
//       PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS
//   fffffafdc0041380  104e000 ffff8cd6c1042a00        0  1 fffffc0010200 slab,head
// CNT is decimal (hex in drgn's crash mode); MAPPING/INDEX may be dashes (style3) or blank (style2).
import { COVER_PAGE, COVER_UNREADABLE, hexHalves, OFF, PageImage, writeU64 } from './pageImage';

export interface KmemPResult {
  rows: number;
  /** Lines that looked like rows but could not be read (first few kept). */
  badRows: number;
  badSamples: string[];
  /** vmemmap base derived from PAGE - pfn * 64 (x86_64), when consistent. */
  vmemmap?: bigint;
  vmemmapMismatch: number;
  /** Distinct decoded-name strings seen, e.g. "slab,head". */
  flagNames: Set<string>;
  /** CNT column was hexadecimal (drgn crash mode). */
  hexCount: boolean;
  headerSeen: boolean;
  unknownHeader?: string;
}

const HEADER = /^\s*PAGE\s+PHYSICAL\s+MAPPING\s+INDEX\s+CNT\s+FLAGS\s*$/;
const OTHER_HEADER = /^\s*PAGE\s+(PHYSICAL|INODE)\b/;
const ROW = /^\s*([0-9a-f]{8,16})\s+([0-9a-f]+)\s+([0-9a-f]+|-+)\s+([0-9a-f]+|-+)\s+(-?[0-9a-f]+)\s+([0-9a-f]+)(?:\s+(\S+))?\s*$/;
const ROW_BLANK = /^\s*([0-9a-f]{16})\s+([0-9a-f]+)\s*$/;

export function isKmemPHeader(line: string): boolean {
  return HEADER.test(line);
}

/** Parses rows of a kmem -p listing into the image. `hexCount` forces CNT as hex (drgn crash mode). */
export function parseKmemP(lines: string[], image: PageImage, opts: { hexCount?: boolean } = {}): KmemPResult {
  const r: KmemPResult = { rows: 0, badRows: 0, badSamples: [], vmemmapMismatch: 0, flagNames: new Set(), hexCount: !!opts.hexCount, headerSeen: false };
  let vm: bigint | undefined;
  let lastNames = '';
  let unknownLayout = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = unknownLayout ? null : ROW.exec(line);
    if (!m) {
      if (HEADER.test(line)) { r.headerSeen = true; unknownLayout = false; continue; }
      if (OTHER_HEADER.test(line)) { r.unknownHeader ??= line.trim(); unknownLayout = true; continue; }
      if (unknownLayout) continue;
      const b = ROW_BLANK.exec(line);
      if (b) { // style2: struct page not readable
        const pfn = Math.floor(parseInt(b[2], 16) / 4096);
        image.mark(pfn, COVER_UNREADABLE);
        r.rows++;
        continue;
      }
      if (/^\s*[0-9a-f]{16}\s+[0-9a-f]+\s/.test(line)) {
        r.badRows++;
        if (r.badSamples.length < 3) r.badSamples.push(line.slice(0, 100));
      }
      continue;
    }
    const phys = parseInt(m[2], 16);
    const pfn = Math.floor(phys / 4096);
    const flags = hexHalves(m[6]);
    const cnt = r.hexCount ? parseInt(m[5], 16) | 0 : Number(m[5]);
    if (!flags || !Number.isFinite(pfn) || !Number.isInteger(cnt)) {
      r.badRows++;
      if (r.badSamples.length < 3) r.badSamples.push(line.slice(0, 100));
      continue;
    }
    const { buf, off } = image.slot(pfn);
    writeU64(buf, off + OFF.flags, flags[0], flags[1]);
    const mapping = m[3].charCodeAt(0) === 45 ? undefined : hexHalves(m[3]);
    if (mapping) writeU64(buf, off + OFF.mapping, mapping[0], mapping[1]);
    const index = m[4].charCodeAt(0) === 45 ? undefined : hexHalves(m[4]);
    if (index) writeU64(buf, off + OFF.index, index[0], index[1]);
    buf.writeInt32LE(cnt, off + OFF.refcount);
    image.mark(pfn, COVER_PAGE);
    if (m[7] !== undefined && m[7] !== lastNames) { r.flagNames.add(m[7]); lastNames = m[7]; }
    if ((r.rows & 4095) === 0) {
      const v = BigInt('0x' + m[1]) - BigInt(pfn) * 64n;
      if (vm === undefined) vm = v;
      else if (v !== vm) r.vmemmapMismatch++;
    }
    r.rows++;
  }
  r.vmemmap = r.vmemmapMismatch ? undefined : vm;
  return r;
}
