// Where the parts of a kdump file lie (bitmaps, descriptor table) and how the files of a split set fit
// together: each file's header agrees with the first's, its bitmap is the same, and together the files
// cover every PFN (one file alone opens with a warning).
import { ByteSource, readExact } from './byteSource';
import { KdumpHeader, parseKdumpHeader } from './kdumpHeader';
import { DumpError } from './errors';
import { FlattenedSource } from './flattened';

export /** In a flattened stream cut short, a part every reader needs (bitmaps, notes) must have been written. */
function requireWritten(src: ByteSource, pos: number, len: number, what: string): void {
  if (src instanceof FlattenedSource && src.truncation && !src.covers(pos, len)) {
    throw new DumpError(
      src.name,
      'truncated',
      `flattened stream is cut short at byte ${src.streamSize} (${src.truncation.detail}): the kdump ${what} were never written`,
    );
  }
}

/** Where the bitmaps and the descriptor table of a kdump file start, and each bitmap's bytes. */
export interface BitmapLayout {
  bitmapOffset: number;
  /** Bytes of each bitmap (bitmap1, then bitmap2 of the same size). */
  half: number;
  descOffset: number;
}

/** The layout from the header; an error when the bitmaps cannot cover max_mapnr (old single-bitmap dumps). */
export function bitmapLayout(h: KdumpHeader, name: string): BitmapLayout {
  const bs = h.blockSize;
  const half = (h.bitmapBlocks / 2) * bs;
  if (half * 8 < h.maxMapnr) {
    throw new DumpError(
      name,
      'unsupported',
      `kdump bitmap covers ${half * 8} PFNs but max_mapnr is ${h.maxMapnr} (old single-bitmap "partial" dumps are not supported)`,
    );
  }
  const bitmapOffset = (1 + h.subHdrSize) * bs;
  return { bitmapOffset, half, descOffset: bitmapOffset + h.bitmapBlocks * bs };
}

/** One file of a (possibly split) kdump set. */
export interface KdumpPart {
  src: ByteSource;
  hdr: KdumpHeader;
  startPfn: number;
  endPfn: number;
  descOffset: number;
  /** rank(startPfn) in bitmap2: descriptor i of this file belongs to the PFN of global rank rankBase + i. */
  rankBase: number;
}

/**
 * File `src` of the set whose first file `primary` has header `first` and bitmap2 `bitmap2`: its header
 * must have the same geometry and its bitmap2 be the same. `rank` gives a PFN's rank in bitmap2.
 */
export function readPart(
  src: ByteSource,
  primary: ByteSource,
  first: KdumpHeader,
  layout: BitmapLayout,
  bitmap2: Buffer,
  rank: (pfn: number) => number,
): KdumpPart {
  const name = primary.name;
  const hdr = src === primary ? first : parseKdumpHeader(src);
  if (
    hdr.blockSize !== first.blockSize ||
    hdr.bitmapBlocks !== first.bitmapBlocks ||
    hdr.maxMapnr !== first.maxMapnr ||
    hdr.subHdrSize !== first.subHdrSize
  ) {
    throw new DumpError(
      src.name,
      'inconsistent-set',
      `does not belong to the same split dump as ${name} (different header geometry)`,
    );
  }
  const isSplit = (hdr.split ?? 0) !== 0;
  const startPfn = isSplit ? (hdr.startPfn ?? 0) : 0;
  const endPfn = isSplit ? (hdr.endPfn ?? first.maxMapnr) : first.maxMapnr;
  if (src !== primary) {
    requireWritten(src, layout.bitmapOffset + layout.half, layout.half, 'bitmaps');
    const b2 = readExact(src, layout.bitmapOffset + layout.half, layout.half, 'bitmap2');
    if (!b2.equals(bitmap2))
      throw new DumpError(
        src.name,
        'inconsistent-set',
        `its bitmap differs from ${name}: not part of the same split dump`,
      );
  }
  return { src, hdr, startPfn, endPfn, descOffset: layout.descOffset, rankBase: rank(startPfn) };
}

export /**
 * The files of a split set (sorted by start PFN) must cover every PFN: an error naming the gap. One
 * file of a split set alone opens, with the warning returned.
 */
function checkSplitSet(parts: KdumpPart[], first: KdumpHeader, maxPfn: number, name: string): string | undefined {
  if (parts.length > 1) {
    for (let i = 0; i < parts.length; i++) {
      const expectStart = i === 0 ? 0 : parts[i - 1].endPfn;
      if (parts[i].startPfn !== expectStart) {
        throw new DumpError(
          parts[i].src.name,
          'inconsistent-set',
          `split dump set is incomplete: PFNs 0x${expectStart.toString(16)}-0x${parts[i].startPfn.toString(16)} are in none of the given files`,
        );
      }
    }
    if (parts[parts.length - 1].endPfn < maxPfn) {
      throw new DumpError(
        name,
        'inconsistent-set',
        `split dump set is incomplete: PFNs from 0x${parts[parts.length - 1].endPfn.toString(16)} are in none of the given files`,
      );
    }
  } else if ((first.split ?? 0) !== 0 && (parts[0].startPfn !== 0 || parts[0].endPfn < maxPfn)) {
    return `${name} is one file of a split dump (PFNs 0x${parts[0].startPfn.toString(16)}-0x${parts[0].endPfn.toString(16)}); pass all files of the set to see the rest`;
  }
  return undefined;
}
