// Reader of the export written by tools/drgn/memmap_export.py (format: docs/drgn-export.md).
import { COVER_PAGE, COVER_UNREADABLE, hexHalves, OFF, PageImage, writeU64 } from './pageImage';

export const DRGN_EXPORT_MAGIC = '# kmemmap-drgn-export ';

export interface ToolSection {
  nr: number;
  word?: bigint;
  letters?: string;
  subsectionMap?: bigint;
  memMap?: bigint;
  codedMemMap?: bigint;
}
export interface ToolZone {
  node: number;
  index: number;
  name: string;
  startPfn: number;
  spanned: number;
  present?: number;
}
export interface ToolBlock {
  id: number;
  startSection?: number;
  startPfn?: number;
  endPfn?: number;
  state: string;
  node?: number;
  zone?: string;
  nrVmemmapPages?: number;
}
export interface IomemEntry {
  depth: number;
  start: bigint;
  end: bigint;
  name: string;
}

export interface DrgnExport {
  version: number;
  meta: Map<string, string>;
  release?: string;
  pageflags?: Map<string, number>;
  pagetype?: Map<string, number>;
  symbols: Map<string, bigint>;
  constants: Map<string, number>;
  pfnsPerSection: number;
  /** @page_size, when it is a page size (4 to 64 KiB). */
  pageSize?: number;
  vmemmap?: bigint;
  sections: ToolSection[];
  zones: ToolZone[];
  blocks: ToolBlock[];
  iomem: IomemEntry[];
  image: PageImage;
  /** true when the final @end line was seen. */
  complete: boolean;
  warnings: string[];
}

export function looksLikeDrgnExport(head: string): boolean {
  return head.startsWith(DRGN_EXPORT_MAGIC);
}

function pairs(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const kv of s.split(/\s+/)) {
    const i = kv.indexOf('=');
    if (i > 0) {
      const v = Number(kv.slice(i + 1));
      if (Number.isFinite(v)) m.set(kv.slice(0, i), v);
    }
  }
  return m;
}

/** The export being read: what it says so far, the last page row (for `+N` repeats) and the bad lines. */
interface ExportReader {
  out: DrgnExport;
  last: number;
  bad: number;
}

function badLine(r: ExportReader, n: number, line: string, why: string): void {
  if (++r.bad <= 5) r.out.warnings.push(`line ${n + 1}: ${why}: ${line.slice(0, 80)}`);
}

/** Parses the whole export text. Bad lines become warnings (at most a few are listed), never exceptions. */
export function parseDrgnExport(text: string): DrgnExport {
  const warnings: string[] = [];
  const first = text.slice(0, 64);
  if (!looksLikeDrgnExport(first))
    throw new Error('not a kmemmap drgn export (first line must be "# kmemmap-drgn-export N")');
  const version = Number(/^# kmemmap-drgn-export (\d+)/.exec(first)?.[1] ?? NaN);
  if (version !== 1)
    warnings.push(`export format version ${version} is newer than this reader (1): reading what is understood`);
  const out: DrgnExport = {
    version,
    meta: new Map(),
    symbols: new Map(),
    constants: new Map(),
    pfnsPerSection: 1 << 15,
    sections: [],
    zones: [],
    blocks: [],
    iomem: [],
    image: new PageImage(1 << 15),
    complete: false,
    warnings,
  };
  const r: ExportReader = { out, last: -1, bad: 0 };
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    const line = text.charCodeAt(nl - 1) === 13 ? text.slice(pos, nl - 1) : text.slice(pos, nl);
    pos = nl + 1;
    const n = lineNo++;
    if (!line) continue;
    const c = line.charCodeAt(0);
    const isHex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
    if (isHex) readPageRow(r, n, line);
    else if (RECORDS[c]) RECORDS[c](r, n, line);
    else badLine(r, n, line, 'unknown line');
  }
  if (r.bad > 5) warnings.push(`${r.bad} unreadable lines in all`);
  readMetaFacts(out);
  return out;
}

/** `pfn flags compound_head word16 mapping private mapcount refcount`, hexadecimal but the refcount. */
function readPageRow(r: ExportReader, n: number, line: string): void {
  const f = line.split(' ');
  if (f.length < 8) {
    badLine(r, n, line, 'page row with fewer than 8 fields');
    return;
  }
  const pfn = parseInt(f[0], 16);
  const flags = hexHalves(f[1]),
    ch = hexHalves(f[2]),
    w16 = hexHalves(f[3]),
    mapping = hexHalves(f[4]),
    priv = hexHalves(f[5]);
  const mc = parseInt(f[6], 16),
    rc = Number(f[7]);
  if (
    !Number.isFinite(pfn) ||
    !flags ||
    !ch ||
    !w16 ||
    !mapping ||
    !priv ||
    !Number.isFinite(mc) ||
    !Number.isInteger(rc)
  ) {
    badLine(r, n, line, 'unparsable page row');
    return;
  }
  const { buf, off } = r.out.image.slot(pfn);
  writeU64(buf, off + OFF.flags, flags[0], flags[1]);
  writeU64(buf, off + OFF.compoundHead, ch[0], ch[1]);
  writeU64(buf, off + OFF.word16, w16[0], w16[1]);
  writeU64(buf, off + OFF.mapping, mapping[0], mapping[1]);
  writeU64(buf, off + OFF.private, priv[0], priv[1]);
  buf.writeUInt32LE(mc >>> 0, off + OFF.mapcount);
  buf.writeInt32LE(rc | 0, off + OFF.refcount);
  r.out.image.mark(pfn, COVER_PAGE);
  r.last = pfn;
}

/** '+N' repeats the previous row. */
function readRepeat(r: ExportReader, n: number, line: string): void {
  const k = Number(line.slice(1));
  if (r.last < 0 || !Number.isInteger(k) || k < 0) {
    badLine(r, n, line, 'repeat without a previous row');
    return;
  }
  const { image } = r.out;
  for (let i = 1; i <= k; i++) {
    image.copy(r.last, r.last + i);
    image.mark(r.last + i, COVER_PAGE);
  }
  r.last += k;
}

/** '@key value' */
function readKeyValue(r: ExportReader, _n: number, line: string): void {
  const { out } = r;
  const sp = line.indexOf(' ');
  const key = sp < 0 ? line.slice(1) : line.slice(1, sp);
  const val = sp < 0 ? '' : line.slice(sp + 1);
  if (key === 'pageflags') out.pageflags = pairs(val);
  else if (key === 'pagetype') out.pagetype = pairs(val);
  else if (key === 'symbol') {
    const [s, a] = val.split(' ');
    if (s && a && /^[0-9a-f]+$/i.test(a)) out.symbols.set(s, BigInt('0x' + a));
  } else if (key === 'constant') {
    const [s, v] = val.split(' ');
    if (s && v && Number.isFinite(Number(v))) out.constants.set(s, Number(v));
  } else if (key === 'end') out.complete = true;
  else {
    out.meta.set(key, val);
    if (key === 'page_size') out.pageSize = pageSizeOf(val, out.warnings);
    if (key === 'pfns_per_section' && r.last < 0) sectionPfnsBeforeRows(out, Number(val));
  }
}

/** A page size of 4 to 64 KiB (x86_64 and arm64), or undefined with a warning. */
function pageSizeOf(val: string, warnings: string[]): number | undefined {
  const n = Number(val);
  if (Number.isInteger(n) && n >= 4096 && n <= 65536 && (n & (n - 1)) === 0) return n;
  warnings.push(`@page_size ${val.slice(0, 40)} is not a page size (4 to 64 KiB): 4 KiB assumed`);
  return undefined;
}

/** The section size an export names before its first page row is the one its image is read in (arm64 16 KiB pages: 8192 PFNs). */
function sectionPfnsBeforeRows(out: DrgnExport, pps: number): void {
  if (!Number.isInteger(pps) || pps < 256 || pps > 1 << 20 || (pps & (pps - 1)) !== 0) return;
  out.pfnsPerSection = pps;
  out.image = new PageImage(pps);
}

/** S nr word [subsection_map] */
function readSection(r: ExportReader, n: number, line: string): void {
  const f = line.split(' ');
  const nr = Number(f[1]);
  if (!Number.isInteger(nr) || !f[2] || !/^[0-9a-f]+$/i.test(f[2])) {
    badLine(r, n, line, 'bad section line');
    return;
  }
  r.out.sections.push({
    nr,
    word: BigInt('0x' + f[2]),
    subsectionMap: f[3] && /^[0-9a-f]+$/i.test(f[3]) ? BigInt('0x' + f[3]) : undefined,
  });
}

/** U pfn count */
function readUnreadable(r: ExportReader, n: number, line: string): void {
  const f = line.split(' ');
  const pfn = parseInt(f[1], 16),
    k = Number(f[2]);
  if (!Number.isFinite(pfn) || !Number.isInteger(k)) {
    badLine(r, n, line, 'bad unreadable line');
    return;
  }
  for (let i = 0; i < k; i++) r.out.image.mark(pfn + i, COVER_UNREADABLE);
  r.last = -1;
}

/** The readers of the lines that are not page rows, by their first character. */
const RECORDS: Record<number, (r: ExportReader, n: number, line: string) => void> = {
  43: readRepeat, // '+'
  35: () => undefined, // '#'
  64: readKeyValue, // '@'
  83: readSection, // 'S'
  85: readUnreadable, // 'U'
  90: (r, _n, line) => {
    // Z nid idx name start spanned present
    const f = line.split(' ');
    r.out.zones.push({
      node: Number(f[1]),
      index: Number(f[2]),
      name: f[3] ?? '?',
      startPfn: parseInt(f[4], 16),
      spanned: Number(f[5]),
      present: Number(f[6]),
    });
  },
  77: (r, _n, line) => {
    // M id start_section state nid zone nr_vmemmap
    const f = line.split(' ');
    r.out.blocks.push({
      id: Number(f[1]),
      startSection: Number(f[2]),
      state: f[3] ?? 'unknown',
      node: Number(f[4]),
      zone: f[5] === '-' ? undefined : f[5],
      nrVmemmapPages: Number(f[6] ?? 0),
    });
  },
  73: (r, _n, line) => {
    // I depth start end name
    const m = /^I (\d+) ([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) r.out.iomem.push({ depth: Number(m[1]), start: BigInt('0x' + m[2]), end: BigInt('0x' + m[3]), name: m[4] });
  },
  78: () => undefined, // N node lines: informational
};

/** Release, vmemmap base and the size checks from the @ lines, and whether the export was cut off. */
function readMetaFacts(out: DrgnExport): void {
  const { meta, warnings } = out;
  out.release = meta.get('release') || undefined;
  const pps = Number(meta.get('pfns_per_section'));
  if (Number.isInteger(pps) && pps > 0 && pps !== out.pfnsPerSection)
    warnings.push(
      `pfns_per_section ${pps} came after the page rows, which were read in sections of ${out.pfnsPerSection} PFNs: sections are drawn as ${out.pfnsPerSection} PFNs`,
    );
  const sps = Number(meta.get('struct_page_size'));
  if (Number.isInteger(sps) && sps !== 64)
    warnings.push(`struct page is ${sps} bytes, not 64: unusual build, field positions assumed from x86_64`);
  const vm = meta.get('vmemmap');
  if (vm && /^[0-9a-f]+$/i.test(vm)) out.vmemmap = BigInt('0x' + vm);
  if (!out.complete)
    warnings.push('the export ends early (no @end line): it was cut off; PFNs after the last row are "not in listing"');
}
