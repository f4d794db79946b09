// Damage accounting of a kdump-compressed dump (kdump.ts): which PFNs' page data is lost, found by the
// open-time check of each file's descriptors (a truncated file, a flattened stream cut short) or later
// while pages are read (an empty or corrupt descriptor, data beyond the end of the file, data that does
// not decompress); lost pages read as Excluded. The texts for warnings and error messages.
import { ByteSource, readExactInto } from './byteSource';
import { DumpError } from './errors';
import { FlattenedSource } from './flattened';
import type { KdumpPart } from './kdumpLayout';

/** "1 page's data" / "3 pages' data". */
const pagesData = (n: number) => `${n} ${n === 1 ? "page's" : "pages'"} data`;

/** The PFNs whose data a dump lost, and why. */
export class KdumpDamage {
  /** PFNs whose page data is lost: they read as Excluded. Allocated on the first loss. */
  lost?: Uint8Array;
  /** Losses found while reading pages (not by the open-time check), by reason. */
  private readonly lateLosses = new Map<string, { n: number; firstPfn: number; detail?: string }>();
  /** What the open-time check found lost (texts without the file name), and whether the file is truncated. */
  private readonly openLosses: string[] = [];
  private truncated = false;

  constructor(private readonly maxPfn: number) {}

  /** Marks pfn's data lost; false when it already was. */
  markLost(pfn: number): boolean {
    if (!this.lost) this.lost = new Uint8Array((this.maxPfn + 7) >>> 3);
    const b = pfn >>> 3,
      m = 1 << (pfn & 7);
    if (this.lost[b] & m) return false;
    this.lost[b] |= m;
    return true;
  }

  /** A loss found while reading a page: the page reads as Excluded from now on and dataWarnings() counts it. */
  lateLoss(pfn: number, reason: string, detail?: string): void {
    if (!this.markLost(pfn)) return;
    const r = this.lateLosses.get(reason);
    if (r) r.n++;
    else this.lateLosses.set(reason, { n: 1, firstPfn: pfn, detail });
  }

  /** What the open-time check of one file found lost: the file is truncated (or its stream cut short). */
  openLoss(text: string): void {
    this.openLosses.push(text);
    this.truncated = true;
  }

  /** The open-time losses, for the error when no page data is left. */
  openLossText(): string {
    return this.openLosses.join('; ');
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

  /** Damage found while pages were read (after open), in warnings that name the dump's file. */
  dataWarnings(name: string): string[] {
    return [...this.lateLosses].map(
      ([reason, r]) =>
        `${name}: ${pagesData(r.n)} ${reason} ` +
        `(first PFN 0x${r.firstPfn.toString(16)}${r.detail ? `: ${r.detail}` : ''}), shown as excluded`,
    );
  }
}

/** What the open-time check reads of a dump: its page size, bitmap2 and the rank of a PFN in it. */
export interface PageDataView {
  pageSize: number;
  bitmap2: Buffer;
  /** Number of bits set in bitmap2 below pfn. */
  rank(pfn: number): number;
  /** The dump is marked incomplete (DUMP_DH_COMPRESSED_INCOMPLETE): empty descriptors are expected. */
  incomplete: boolean;
}

/**
 * Where a part's page data should end: the data end of its last descriptor in PFN order that is not
 * the shared zero page (makedumpfile and QEMU write page data in PFN order, the zero page first).
 * One corrupt descriptor elsewhere does not move it; such a page is found when it is read.
 */
function tailDataEnd(part: KdumpPart, ps: number, nDesc: number, tableEnd: number): number {
  const CH = 4096;
  const buf = Buffer.alloc(CH * 24);
  let maxEnd = 0;
  for (let hi = nDesc; hi > 0;) {
    const lo = Math.max(0, hi - CH),
      n = hi - lo;
    readExactInto(part.src, buf, 0, n * 24, part.descOffset + lo * 24, 'page descriptors');
    for (let i = n - 1; i >= 0; i--) {
      const off = Number(buf.readBigInt64LE(i * 24)),
        size = buf.readUInt32LE(i * 24 + 8);
      if (!(off > 0 && size > 0 && size <= 2 * ps)) continue;
      if (off >= tableEnd + 2 * ps) return off + size;
      maxEnd = Math.max(maxEnd, off + size);
    }
    hi = lo;
  }
  return maxEnd;
}

/** Descriptors looked at for where a file's page data starts. */
const START_DESCRIPTORS = 64;

/**
 * Where a file's page data starts against the table bitmap2 sizes. makedumpfile and QEMU put the data
 * right after a table of 24 bytes per dumpable page of the whole dump (a makedumpfile split file too;
 * a table of the file's own pages is accepted as well), the shared zero page first when they write
 * one: the smallest data offset is the table's end, or one page after it. A bitmap2 with bits flipped
 * moves the end it implies, and every page after the flip would be read from another page's
 * descriptor: that is a contradiction, named with the difference. The smallest offset of the first
 * valid descriptors is used, and only a start whole descriptors away from the table's end refuses the
 * dump, so one damaged descriptor does not (its page is found lost when read). Undefined when
 * consistent or when nothing can be checked.
 */
export function dataStartContradiction(
  part: KdumpPart,
  ps: number,
  tables: { dumpable: number; own: number },
  fileCovers: (pos: number, len: number) => boolean,
): string | undefined {
  const { dumpable, own } = tables;
  const n = Math.min(START_DESCRIPTORS, own);
  if (n <= 0 || !fileCovers(part.descOffset, n * 24)) return undefined; // (a split range that ends before it starts: none)
  const buf = Buffer.alloc(n * 24);
  readExactInto(part.src, buf, 0, n * 24, part.descOffset, 'page descriptors');
  let start = Infinity;
  for (let i = 0; i < n; i++) {
    const off = Number(buf.readBigInt64LE(i * 24)),
      size = buf.readUInt32LE(i * 24 + 8);
    // data inside the headers or bitmaps, or past the file: a damaged descriptor, not a start
    if (off >= part.descOffset && size > 0 && size <= 2 * ps && off + size <= part.src.size)
      start = Math.min(start, off);
  }
  if (start === Infinity) return undefined;
  const tableEnd = part.descOffset + dumpable * 24;
  for (const end of [tableEnd, part.descOffset + own * 24]) if (start === end || start === end + ps) return undefined;
  // a count that is off moves the table's end by whole descriptors; any other start is one damaged
  // descriptor, found lost when its page is read
  const shift = [start - tableEnd, start - tableEnd - ps].find((d) => d % 24 === 0 && Math.abs(d / 24) <= dumpable);
  if (shift === undefined) return undefined;
  const k = Math.abs(shift / 24);
  return `bitmap2 marks ${dumpable} dumpable pages, so the page descriptor table ends at byte ${tableEnd}, but the page data starts at byte ${start}, where a table of ${dumpable + shift / 24} descriptors ends: bitmap2 has ${k} ${shift > 0 ? 'fewer' : 'more'} bits set than the table has descriptors`;
}

/** Why one descriptor's page is lost ('' when it is not), counted by kind. */
interface LossCounts {
  notWritten: number;
  corrupt: number;
  empty: number;
  maxEnd: number;
}

function descriptorLoss(
  buf: Buffer,
  o: number,
  src: ByteSource,
  flat: FlattenedSource | undefined,
  ps: number,
  c: LossCounts,
): string {
  const off = Number(buf.readBigInt64LE(o)),
    size = buf.readUInt32LE(o + 8);
  if (off === 0 && size === 0) {
    c.empty++;
    return 'empty';
  }
  if (off <= 0 || size === 0 || size > 2 * ps || !Number.isSafeInteger(off + size)) {
    c.corrupt++;
    return 'corrupt';
  }
  if (off + size > c.maxEnd) c.maxEnd = off + size;
  return off + size > src.size || (flat && !flat.covers(off, size)) ? 'data' : '';
}

/**
 * Open-time check of a part's page data. A descriptor table that does not fit in the file is an error.
 * When the file ends before the data of the last descriptors (or the stream was cut short), checks
 * every descriptor once and marks the pages whose data is lost.
 */
export function checkPageData(
  part: KdumpPart,
  view: PageDataView,
  damage: KdumpDamage,
): { descriptors: number; lost: number; warning?: string } {
  const src = part.src,
    ps = view.pageSize,
    name = src.name;
  const flat = src instanceof FlattenedSource && src.truncation ? src : undefined;
  const nDesc = view.rank(part.endPfn) - part.rankBase;
  if (nDesc <= 0) return { descriptors: 0, lost: 0 };
  const tableEnd = part.descOffset + nDesc * 24;
  if (!flat && tableEnd > src.size) {
    throw new DumpError(
      name,
      'truncated',
      `file is truncated inside the page descriptor table: the ${nDesc} descriptors end at byte ${tableEnd}, the file at byte ${src.size}`,
    );
  }
  let expected =
    part.hdr.sizeEraseinfo && part.hdr.offsetEraseinfo ? part.hdr.offsetEraseinfo + part.hdr.sizeEraseinfo : 0;
  if (!flat) {
    expected = Math.max(expected, tailDataEnd(part, ps, nDesc, tableEnd));
    if (expected <= src.size) return { descriptors: nDesc, lost: 0 };
  }
  // check every descriptor, in PFN order (the rank order)
  const CH = 16384;
  const buf = Buffer.alloc(CH * 24);
  let chunkStart = 0,
    chunkN = 0,
    chunkCovered = true;
  let i = 0,
    lost = 0,
    firstLostPfn = -1;
  const c: LossCounts = { notWritten: 0, corrupt: 0, empty: 0, maxEnd: 0 };
  const endByte = (part.endPfn + 7) >>> 3;
  for (let byte = part.startPfn >>> 3; byte < endByte && i < nDesc; byte++) {
    const v = view.bitmap2[byte];
    if (!v) continue;
    for (let bit = 0; bit < 8; bit++) {
      if (!(v & (1 << bit))) continue;
      const pfn = byte * 8 + bit;
      if (pfn < part.startPfn || pfn >= part.endPfn || i >= nDesc) continue;
      if (i >= chunkStart + chunkN) {
        chunkStart = i;
        chunkN = Math.min(CH, nDesc - i);
        const pos = part.descOffset + i * 24;
        if (flat) {
          flat.readIntoSparse(buf, 0, chunkN * 24, pos);
          chunkCovered = flat.covers(pos, chunkN * 24);
        } else readExactInto(src, buf, 0, chunkN * 24, pos, 'page descriptors');
      }
      let why = '';
      if (!chunkCovered && !flat!.covers(part.descOffset + i * 24, 24)) {
        why = 'descriptor';
        c.notWritten++;
      } else why = descriptorLoss(buf, (i - chunkStart) * 24, src, flat, ps, c);
      if (why) {
        if (damage.markLost(pfn)) lost++;
        if (firstLostPfn < 0) firstLostPfn = pfn;
      }
      i++;
    }
  }
  if (!lost) return { descriptors: nDesc, lost: 0 };
  const extra = [
    c.empty ? `${c.empty} with empty descriptors${view.incomplete ? ' (the dump is marked incomplete)' : ''}` : '',
    c.corrupt ? `${c.corrupt} with corrupt descriptors` : '',
    c.notWritten ? `${c.notWritten} whose descriptors were never written` : '',
  ].filter(Boolean);
  const what = `${lost} of ${nDesc} pages' data lost, from PFN 0x${firstLostPfn.toString(16)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
  const warning = flat
    ? `flattened stream cut short at byte ${flat.streamSize} (${flat.truncation!.detail}): ${what}`
    : `dump truncated at byte ${src.size} of ${Math.max(expected, c.maxEnd)} expected: ${what}`;
  return { descriptors: nDesc, lost, warning };
}
