// makedumpfile "flattened" stream (makedumpfile -F, QEMU kdump-* before 8.2, Debian kdump-tools):
// a 4096-byte big-endian header "makedumpfile\0…" {type=1, version=1}, then records
// {int64 offset; int64 size} (big-endian) each followed by size bytes, until offset == size == -1.
// Reassembly writes each record at its offset. We index the records once and serve random reads
// from the stream without writing anything (later records win where they overlap). A stream cut short
// (no end marker) keeps the records it has and says where it stops; the kdump reader then reads the
// pages whose descriptor or data never came as excluded, other readers get a DumpError on unwritten bytes.
import { ByteSource, FileSource, readExact } from './byteSource';
import { DumpError } from './errors';

export const FLAT_SIGNATURE = 'makedumpfile';
export const FLAT_HEADER_SIZE = 4096;

export function isFlattenedHeader(h: Buffer): boolean {
  return h.length >= 16 && h.subarray(0, 12).toString('latin1') === FLAT_SIGNATURE && h[12] === 0;
}

/** The stream's header: the signature, type 1 and version 1. */
function checkFlatHeader(file: FileSource): void {
  const name = file.name;
  if (file.size < FLAT_HEADER_SIZE)
    throw new DumpError(name, 'truncated', `flattened dump header is truncated (${file.size} bytes)`);
  const h = readExact(file, 0, 32, 'flattened header');
  if (!isFlattenedHeader(h)) throw new DumpError(name, 'not-a-dump', 'not a makedumpfile flattened stream');
  const type = h.readBigInt64BE(16),
    version = h.readBigInt64BE(24);
  if (type !== 1n) throw new DumpError(name, 'unsupported', `flattened stream of type ${type} (only type 1 is known)`);
  if (version !== 1n)
    throw new DumpError(name, 'unsupported', `flattened stream version ${version} (only version 1 is known)`);
}

/** Where a stream cut short stops, and why. */
type Truncation = { at: number; detail: string };

/**
 * Walks the record headers: each record as three numbers (logical offset, length, stream position of
 * its data), in stream order, and where the stream stops early when it has no end marker. A record
 * header that cannot be one (negative, or past 2^53) is an error.
 */
function scanRecords(
  file: FileSource,
  onProgress?: (done: number, total: number) => void,
): { recs: number[]; truncation?: Truncation } {
  const recs: number[] = [];
  const hdr = Buffer.alloc(16);
  let pos = FLAT_HEADER_SIZE;
  let lastReport = 0;
  while (pos + 16 <= file.size) {
    if (file.readInto(hdr, 0, 16, pos) !== 16) break;
    const off = hdr.readBigInt64BE(0),
      sz = hdr.readBigInt64BE(8);
    if (off === -1n && sz === -1n) return { recs };
    if (off < 0n || sz < 0n || off + sz > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DumpError(
        file.name,
        'corrupt',
        `flattened record ${recs.length / 3} at stream offset ${pos} is corrupt (offset ${off}, size ${sz})`,
      );
    }
    const dataPos = pos + 16;
    if (dataPos + Number(sz) > file.size) {
      // the stream ends inside this record: keep the bytes it has
      const have = file.size - dataPos;
      const detail = `record ${recs.length / 3} at stream offset ${pos} needs ${sz} bytes, the file ends ${have} bytes later`;
      if (have > 0) recs.push(Number(off), have, dataPos);
      return { recs, truncation: { at: pos, detail } };
    }
    recs.push(Number(off), Number(sz), dataPos);
    pos = dataPos + Number(sz);
    if (onProgress && pos - lastReport > 64 << 20) {
      onProgress(pos, file.size);
      lastReport = pos;
    }
  }
  const detail =
    pos < file.size
      ? `a record header at stream offset ${pos} is cut short`
      : `no end marker after ${recs.length / 3} records`;
  return { recs, truncation: { at: pos, detail } };
}

export class FlattenedSource implements ByteSource {
  readonly size: number;
  /** Records sorted by logical start: logical start, length, stream position of the data, write order. */
  private starts: Float64Array;
  private lens: Float64Array;
  private filePos: Float64Array;
  private order: Uint32Array;
  /** prefix maximum of record ends in sorted order, to find overlapping earlier records. */
  private maxEnd: Float64Array;
  readonly recordCount: number;
  /**
   * Set when the stream ends early (no end marker; the file ends inside a record): where it stops and
   * why. The records before it are kept; reads of bytes no record wrote then fail (readInto) or read as
   * zeros (readIntoSparse), and covers() tells which bytes were written.
   */
  readonly truncation?: Truncation;

  constructor(
    private readonly file: FileSource,
    onProgress?: (done: number, total: number) => void,
  ) {
    checkFlatHeader(file);
    const { recs, truncation } = scanRecords(file, onProgress);
    if (truncation) this.truncation = truncation;
    const n = recs.length / 3;
    this.recordCount = n;
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => recs[3 * a] - recs[3 * b] || a - b);
    this.starts = new Float64Array(n);
    this.lens = new Float64Array(n);
    this.filePos = new Float64Array(n);
    this.order = new Uint32Array(n);
    this.maxEnd = new Float64Array(n);
    let size = 0,
      me = 0;
    idx.forEach((r, i) => {
      this.starts[i] = recs[3 * r];
      this.lens[i] = recs[3 * r + 1];
      this.filePos[i] = recs[3 * r + 2];
      this.order[i] = r;
      me = Math.max(me, this.starts[i] + this.lens[i]);
      this.maxEnd[i] = me;
      size = Math.max(size, this.starts[i] + this.lens[i]);
    });
    this.size = size;
  }

  get name(): string {
    return this.file.name;
  }
  /** Bytes in the stream file itself. */
  get streamSize(): number {
    return this.file.size;
  }

  /**
   * Reads like the reassembled file: bytes no record wrote read as zeros (a sparse file). In a truncated
   * stream such bytes may be lost data, so this throws a DumpError there instead; readIntoSparse reads them as zeros.
   */
  readInto(buf: Buffer, off: number, len: number, pos: number): number {
    if (this.truncation && len > 0 && !this.covers(pos, Math.max(0, Math.min(len, this.size - pos)))) {
      throw new DumpError(
        this.name,
        'truncated',
        `flattened stream is cut short at byte ${this.file.size} (${this.truncation.detail}): ` +
          `bytes ${pos}-${pos + len} of the dump were never written`,
      );
    }
    return this.readIntoSparse(buf, off, len, pos);
  }

  readIntoSparse(buf: Buffer, off: number, len: number, pos: number): number {
    len = Math.max(0, Math.min(len, this.size - pos));
    if (len === 0) return 0;
    // Unwritten gaps of a reassembled file read as zeros (sparse file).
    buf.fill(0, off, off + len);
    const segs = this.fileSegments(pos, len);
    for (let k = 0; k < segs.length; k += 3) {
      const got = this.file.readInto(buf, off + segs[k], segs[k + 2], segs[k + 1]);
      if (got !== segs[k + 2])
        throw new DumpError(this.name, 'truncated', `short read in flattened record at stream offset ${segs[k + 1]}`);
    }
    return len;
  }

  /**
   * Where the bytes [pos, pos + len) of the reassembled file lie in the stream file (this.name): triples
   * (offset in the range, stream file position, length) in the order readIntoSparse copies them (records
   * in write order, so later ones overwrite earlier ones); bytes no triple covers read as zeros. Lets
   * another thread read the same bytes from its own descriptor of the stream file.
   */
  fileSegments(pos: number, len: number): number[] {
    const end = pos + len;
    // last record starting before end
    let lo = 0,
      hi = this.starts.length - 1,
      last = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < end) {
        last = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const hits: number[] = [];
    for (let i = last; i >= 0 && this.maxEnd[i] > pos; i--) if (this.starts[i] + this.lens[i] > pos) hits.push(i);
    if (hits.length > 1) hits.sort((a, b) => this.order[a] - this.order[b]);
    const segs: number[] = [];
    for (const i of hits) {
      const s = Math.max(pos, this.starts[i]),
        e = Math.min(end, this.starts[i] + this.lens[i]);
      segs.push(s - pos, this.filePos[i] + (s - this.starts[i]), e - s);
    }
    return segs;
  }

  /** Whether records wrote every byte of [pos, pos + len). */
  covers(pos: number, len: number): boolean {
    const end = pos + len;
    let cur = pos;
    while (cur < end) {
      // records starting at or before cur: the one reaching furthest covers [cur, maxEnd) (it starts <= cur)
      let lo = 0,
        hi = this.starts.length - 1,
        last = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (this.starts[mid] <= cur) {
          last = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (last < 0 || this.maxEnd[last] <= cur) return false;
      cur = this.maxEnd[last];
    }
    return true;
  }

  close(): void {
    this.file.close();
  }
}
