// crash `kmem -p` listings (also the single rows of `kmem -p <addr>` and `kmem <page-address>`):
//       PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS
//   fffffafdc0041380  104e000 ffff8cd6c1042a00        0  1 fffffc0010200 slab,head
// CNT is decimal (hex in drgn's crash mode); MAPPING/INDEX may be dashes (style3) or blank (style2).
import { FlagNameEvidence } from './kmemPFlagNames';
import { CHUNK_PFNS, COVER_PAGE, COVER_UNREADABLE, hexHalves, MAX_PFN, OFF, PageImage, writeU64 } from './pageImage';

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
  /** Which rows printed which names beside which FLAGS bits (kmemPFlagNames.ts). */
  names: FlagNameEvidence;
  /** Name lists wrapped onto the next line (pasted text) and joined back to their row. */
  joinedLines: number;
  /** CNT column was hexadecimal (drgn crash mode). */
  hexCount: boolean;
  headerSeen: boolean;
  unknownHeader?: string;
}

const HEADER = /^\s*PAGE\s+PHYSICAL\s+MAPPING\s+INDEX\s+CNT\s+FLAGS\s*$/;
const OTHER_HEADER = /^\s*PAGE\s+(PHYSICAL|INODE)\b/;
const ROW =
  /^\s*([0-9a-f]{8,16})\s+([0-9a-f]+)\s+([0-9a-f]+|-+)\s+([0-9a-f]+|-+)\s+(-?[0-9a-f]+)\s+([0-9a-f]+)(?:\s+(\S+))?\s*$/;
const ROW_BLANK = /^\s*([0-9a-f]{16})\s+([0-9a-f]+)\s*$/;

export function isKmemPHeader(line: string): boolean {
  return HEADER.test(line);
}

const SP = 32,
  TAB = 9;
const hexVal = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) hexVal[48 + i] = i;
for (let i = 0; i < 6; i++) {
  hexVal[97 + i] = 10 + i;
  hexVal[65 + i] = 10 + i;
}

function skipSpaces(line: string, i: number, n: number): number {
  while (i < n && line.charCodeAt(i) === SP) i++;
  return i;
}

/**
 * Reads hex digits from i up to a space (or a tab, with `stopAtTab`) into st.hexLo/hexHi (the value's
 * two 32-bit halves; digits beyond 16 shift out) and st.hexDigits; returns the index after them, or -1
 * at a character that is not a hex digit.
 */
function readHex(line: string, i: number, n: number, st: FastState, stopAtTab: boolean): number {
  let lo = 0,
    hi = 0,
    nd = 0;
  for (; i < n; i++, nd++) {
    const c = line.charCodeAt(i);
    if (c === SP || (stopAtTab && c === TAB)) break;
    const d = c < 128 ? hexVal[c] : -1;
    if (d < 0) return -1;
    hi = ((hi << 4) | (lo >>> 28)) >>> 0;
    lo = ((lo << 4) | d) >>> 0;
  }
  st.hexLo = lo;
  st.hexHi = hi;
  st.hexDigits = nd;
  return i;
}

/** Reads a decimal count, maybe negative, into st.count; the index after it, or -1 if it is not one. */
function readCount(line: string, i: number, n: number, st: FastState): number {
  const neg = line.charCodeAt(i) === 45;
  if (neg) i++;
  let cnt = 0,
    nc = 0;
  for (; i < n; i++, nc++) {
    const c = line.charCodeAt(i);
    if (c === SP) break;
    if (c < 48 || c > 57) return -1;
    cnt = cnt * 10 + (c - 48);
  }
  if (!nc) return -1;
  st.count = neg ? -cnt : cnt;
  return i;
}

/**
 * The fast path for an ordinary row: PAGE PHYSICAL MAPPING INDEX CNT FLAGS [names], all present,
 * decimal CNT. Writes the struct page words straight into the image chunk and returns the name list's
 * start (or line.length), or -1 when the row is anything else (then the regex path decides).
 */
function fastRow(line: string, start: number, n: number, image: PageImage, st: FastState): number {
  // PAGE: exactly 16 hex digits
  let i = readHex(line, skipSpaces(line, start, n), n, st, false);
  if (i < 0 || st.hexDigits !== 16) return -1;
  const pageLo = st.hexLo,
    pageHi = st.hexHi;
  // PHYSICAL: more than 52 bits (13 digits) is for the regex path to count as a bad row
  i = readHex(line, skipSpaces(line, i, n), n, st, false);
  if (i < 0 || !st.hexDigits || st.hexDigits > 13) return -1;
  const phys = st.hexHi * 2 ** 32 + st.hexLo;
  // MAPPING, INDEX
  const words = st.words;
  for (let k = 0; k < 2; k++) {
    i = readHex(line, skipSpaces(line, i, n), n, st, false);
    if (i < 0 || !st.hexDigits || st.hexDigits > 16) return -1;
    words[2 * k] = st.hexLo;
    words[2 * k + 1] = st.hexHi;
  }
  i = readCount(line, skipSpaces(line, i, n), n, st);
  if (i < 0) return -1;
  // FLAGS, which a tab may end
  i = readHex(line, skipSpaces(line, i, n), n, st, true);
  if (i < 0 || !st.hexDigits || st.hexDigits > 16) return -1;
  storeRow(image, st, Math.floor(phys / 4096), pageLo, pageHi);
  return skipSpaces(line, i, n);
}

/** Writes a fast-path row's struct page words (flags from st.hexLo/hexHi) into the image at pfn. */
function storeRow(image: PageImage, st: FastState, pfn: number, pageLo: number, pageHi: number): void {
  if (pfn < st.base || pfn >= st.base + CHUNK_PFNS) {
    const sw = image.chunkWords(pfn);
    st.u32 = sw.u32;
    st.cover = sw.cover;
    st.base = sw.base;
  }
  const idx = pfn - st.base;
  const w = idx * 16; // 64-byte struct page = 16 words
  const u32 = st.u32!,
    words = st.words;
  u32[w] = st.hexLo;
  u32[w + 1] = st.hexHi; // flags (0)
  u32[w + 6] = words[0];
  u32[w + 7] = words[1]; // mapping (24)
  u32[w + 8] = words[2];
  u32[w + 9] = words[3]; // index (32)
  u32[w + 13] = st.count >>> 0; // _refcount (52)
  if (st.cover![idx] !== COVER_PAGE) {
    if (st.cover![idx] === COVER_UNREADABLE) image.unreadable--;
    st.cover![idx] = COVER_PAGE;
    st.added++;
    if (pfn < st.lo) st.lo = pfn;
    if (pfn > st.hi) st.hi = pfn;
  }
  st.lastPfn = pfn;
  st.pageLo = pageLo;
  st.pageHi = pageHi;
  st.flagsLo = st.hexLo;
}

interface FastState {
  words: Uint32Array;
  u32?: Uint32Array;
  cover?: Uint8Array;
  base: number;
  added: number;
  lo: number;
  hi: number;
  lastPfn: number;
  pageLo: number;
  pageHi: number;
  flagsLo: number;
  /** readHex's last field: its value's 32-bit halves and its digit count. */
  hexLo: number;
  hexHi: number;
  hexDigits: number;
  /** readCount's last count. */
  count: number;
}

/** The narrowest wrap width taken for a terminal's (a row this long followed by names-only text was wrapped). */
const WRAP_WIDTH = 72;

/** A line that holds only a continued name list (a row wrapped by a mail client or a terminal). */
const NAMES_ONLY = /^\s*[a-z][a-z0-9_]*(?:[,|]\s*[a-zA-Z][a-z0-9_]*)*[,|]?\s*$/;

function newFastState(): FastState {
  return {
    words: new Uint32Array(4),
    base: -Infinity,
    added: 0,
    lo: Infinity,
    hi: -1,
    lastPfn: 0,
    pageLo: 0,
    pageHi: 0,
    flagsLo: 0,
    hexLo: 0,
    hexHi: 0,
    hexDigits: 0,
    count: 0,
  };
}

/**
 * A line that is not a row: a wrapped name list, a header, a row whose struct page is unreadable,
 * or a bad row. Returns whether the layout is unknown after it (another tool's header).
 */
function otherLine(
  line: string,
  image: PageImage,
  r: KmemPResult,
  pending: PendingNames,
  unknownLayout: boolean,
): boolean {
  if (pending.canJoin && NAMES_ONLY.test(line)) {
    pending.join(line.trim());
    return unknownLayout;
  }
  pending.flush();
  if (HEADER.test(line)) {
    r.headerSeen = true;
    return false;
  }
  if (OTHER_HEADER.test(line)) {
    r.unknownHeader ??= line.trim();
    return true;
  }
  if (unknownLayout) return true;
  const b = ROW_BLANK.exec(line);
  if (b) {
    // style2: struct page not readable
    const pfn = Math.floor(parseInt(b[2], 16) / 4096);
    if (!(pfn < MAX_PFN)) {
      bad(r, line);
      return false;
    }
    image.mark(pfn, COVER_UNREADABLE);
    r.rows++;
    return false;
  }
  if (/^\s*[0-9a-f]{16}\s+[0-9a-f]+\s/.test(line)) bad(r, line);
  return false;
}

/** A row the fast scanner did not take but ROW matched: written into the image; its pfn, or -1 when malformed. */
function regexRow(m: RegExpExecArray, line: string, image: PageImage, r: KmemPResult, pending: PendingNames): number {
  const pfn = Math.floor(parseInt(m[2], 16) / 4096);
  const flags = hexHalves(m[6]);
  const cnt = r.hexCount ? parseInt(m[5], 16) | 0 : Number(m[5]);
  if (!flags || !Number.isFinite(pfn) || pfn >= MAX_PFN || !Number.isInteger(cnt)) {
    pending.flush();
    bad(r, line);
    return -1;
  }
  const { buf, off } = image.slot(pfn);
  writeU64(buf, off + OFF.flags, flags[0], flags[1]);
  const mapping = m[3].charCodeAt(0) === 45 ? undefined : hexHalves(m[3]);
  if (mapping) writeU64(buf, off + OFF.mapping, mapping[0], mapping[1]);
  const index = m[4].charCodeAt(0) === 45 ? undefined : hexHalves(m[4]);
  if (index) writeU64(buf, off + OFF.index, index[0], index[1]);
  buf.writeInt32LE(cnt, off + OFF.refcount);
  image.mark(pfn, COVER_PAGE);
  pending.row(m[7] ?? '', 0, (m[7] ?? '').length, flags[0], line.length);
  return pfn;
}

/**
 * Parses rows of a kmem -p listing into the image. `hexCount` forces CNT as hex (drgn crash mode);
 * `names` collects the flag-name evidence of several listings in one place.
 */
export function parseKmemP(
  input: string | string[],
  image: PageImage,
  opts: { hexCount?: boolean; names?: FlagNameEvidence } = {},
): KmemPResult {
  const r: KmemPResult = {
    rows: 0,
    badRows: 0,
    badSamples: [],
    vmemmapMismatch: 0,
    flagNames: new Set(),
    names: opts.names ?? new FlagNameEvidence(),
    joinedLines: 0,
    hexCount: !!opts.hexCount,
    headerSeen: false,
  };
  let vm: bigint | undefined;
  let unknownLayout = false;
  const st = newFastState();
  // The last row's names and flags wait one line: a wrapped name list on the next line joins them.
  const pending = new PendingNames(r);
  const noteVmemmap = (page: bigint, pfn: number) => {
    if ((r.rows & 4095) !== 0) return;
    const v = page - BigInt(pfn) * 64n;
    if (vm === undefined) vm = v;
    else if (v !== vm) r.vmemmapMismatch++;
  };
  // Lines are taken from one string by index (no array of a million strings), or from an array.
  const text = typeof input === 'string' ? input : input.join('\n');
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const start = pos;
    pos = end + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (!unknownLayout && !r.hexCount) {
      const at = fastRow(text, start, end, image, st);
      if (at >= 0) {
        pending.row(text, at, end, st.flagsLo, end - start);
        noteVmemmap((BigInt(st.pageHi) << 32n) | BigInt(st.pageLo), st.lastPfn);
        r.rows++;
        continue;
      }
    }
    const line = text.slice(start, end);
    const m = unknownLayout ? null : ROW.exec(line);
    if (!m) {
      unknownLayout = otherLine(line, image, r, pending, unknownLayout);
      continue;
    }
    const pfn = regexRow(m, line, image, r, pending);
    if (pfn < 0) continue;
    noteVmemmap(BigInt('0x' + m[1]), pfn);
    r.rows++;
  }
  pending.flush();
  if (st.added) image.noteCovered(st.added, st.lo, st.hi);
  r.vmemmap = r.vmemmapMismatch ? undefined : vm;
  return r;
}

function bad(r: KmemPResult, line: string): void {
  r.badRows++;
  if (r.badSamples.length < 3) r.badSamples.push(line.slice(0, 100));
}

/** The name list of the row just read, held until the next line shows whether it continues there. */
class PendingNames {
  private names = '';
  private flagsLo = 0;
  open = false;
  constructor(private readonly r: KmemPResult) {}

  /** A new row: names are text[at, end) (trailing blanks allowed); the previous row is recorded. */
  row(text: string, at: number, end: number, flagsLo: number, lineLength: number): void {
    this.flush();
    this.lineLength = lineLength;
    // Rows of a listing mostly repeat the previous name list: reuse the string instead of slicing.
    const prev = this.lastNames;
    if (at >= end) this.names = '';
    else if (prev && text.startsWith(prev, at) && isBlank(text, at + prev.length, end)) this.names = prev;
    else this.names = text.slice(at, end).trimEnd();
    this.flagsLo = flagsLo;
    this.open = true;
  }

  private lastNames = '';

  private lineLength = 0;

  /**
   * A mail client wraps at a space, so a wrapped list moved whole to the next line (the row shows
   * no names) or was cut after a separator; a terminal wraps at its width (72 columns or more),
   * possibly inside a name. Anything else on the next line is not a continuation.
   */
  get canJoin(): boolean {
    return this.open && (this.names === '' || /[,|]$/.test(this.names) || this.lineLength >= WRAP_WIDTH);
  }

  join(more: string): void {
    this.names += more;
    this.r.joinedLines++;
  }

  flush(): void {
    if (!this.open) return;
    this.open = false;
    if (this.names && this.names !== this.lastNames) this.r.flagNames.add(this.names);
    this.lastNames = this.names;
    this.r.names.add(this.names, this.flagsLo);
  }
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) !== SP && text.charCodeAt(i) !== TAB) return false;
  return true;
}

/**
 * The page size a kmem -p listing shows: the PHYSICAL step between rows whose PAGE (struct page)
 * addresses are one 64-byte struct page apart, when the first such pairs agree; undefined when the
 * text has no such pair. crash prints one row per page, so the step is the machine's page size.
 */
export function kmemPPageStep(text: string): number | undefined {
  const row = /^\s*([0-9a-f]{16})\s+([0-9a-f]{1,16})\s/gm;
  let prev: { page: bigint; phys: bigint } | undefined;
  const steps = new Map<bigint, number>();
  let pairs = 0;
  for (let m = row.exec(text); m && pairs < 64; m = row.exec(text)) {
    const cur = { page: BigInt('0x' + m[1]), phys: BigInt('0x' + m[2]) };
    if (prev && cur.page - prev.page === 64n && cur.phys > prev.phys) {
      const step = cur.phys - prev.phys;
      steps.set(step, (steps.get(step) ?? 0) + 1);
      pairs++;
    }
    prev = cur;
  }
  if (!pairs) return undefined;
  const [step, n] = [...steps].sort((a, b) => b[1] - a[1])[0];
  return n * 2 > pairs && step <= 1n << 20n ? Number(step) : undefined;
}
