// ELF64 core files: /proc/vmcore (kdump), makedumpfile -E, QEMU dump-guest-memory, as physical memory
// read through their PT_LOAD segments (the headers are read by elfHeaders.ts).
//
// A truncated dump is an explicit partial result, like a kdump file's: with the ELF header, the program
// headers and the PT_NOTEs intact, each PT_LOAD's file data is capped at the end of the file (in a
// flattened stream cut short: at the bytes no record wrote) and the pages whose data is (partly) lost
// read as Excluded, never as zeros posing as data; a warning says how many and which PFNs. Headers or
// notes cut off stay errors (readExact), and so does a dump that lost every page's data.
import { ByteSource } from './byteSource';
import { DumpError } from './errors';
import { FlattenedSource } from './flattened';
import { CachedPhysicalMemory, PageAvail } from './physmem';
import { ElfNote, ElfSegment, expectedFileSize, readElfHeader, readProgramHeaders } from './elfHeaders';

export class ElfDump extends CachedPhysicalMemory {
  /** 4 KiB unless the kernel's pages are larger (an arm64 16/64 KiB kernel: VMCOREINFO PAGESIZE). */
  readonly pageSize: number;
  readonly maxPfn: number;
  readonly dataEndPfn?: number;
  readonly dataBytes: number;
  readonly machine: number;
  readonly segments: ElfSegment[];
  readonly notes: ElfNote[];
  /** e_flags bit 0 from makedumpfile: dump truncated by ENOSPC. */
  readonly incomplete: boolean;
  /** At least one segment has p_filesz < p_memsz (makedumpfile -E marks excluded pages this way). */
  readonly hasZeroFill: boolean;

  constructor(
    private readonly src: ByteSource,
    pageSize = 4096,
  ) {
    super(1024);
    this.pageSize = pageSize;
    const header = readElfHeader(src);
    const ph = readProgramHeaders(src, header);
    this.machine = header.machine;
    this.incomplete = header.incomplete;
    this.notes = ph.notes;
    this.segments = ph.segments;
    this.hasZeroFill = ph.zeroFill;
    const segs = ph.segments;
    this.maxPfn = segs.reduce((m, s) => Math.max(m, Math.ceil((s.paddr + s.memsz) / this.pageSize)), 0);
    // the page data the headers place in the file (p_filesz): a file cut short lost some of it, which
    // checkPageData reports page by page, but the headers still describe the machine
    const dataEnd = segs.reduce(
      (m, s) => (s.filesz ? Math.max(m, Math.ceil((s.paddr + s.filesz) / this.pageSize)) : m),
      0,
    );
    if (dataEnd < this.maxPfn) this.dataEndPfn = dataEnd;
    this.dataBytes = segs.reduce((n, s) => n + s.filesz, 0);
    this.checkPageData(expectedFileSize(ph.table, header.phnum, header.phentsize));
  }

  readonly warnings: string[] = [];
  /** What the dump lost (text without the file name), for the warning and for errors about needed pages. */
  private loss?: string;

  /**
   * The page data this dump lost, for error messages when the reader needed one of those pages (page
   * tables, mem_section, kallsyms); undefined when nothing was lost. Same shape as KdumpDump.dataLoss().
   */
  dataLoss(): { truncated: boolean; text: string } | undefined {
    return this.loss ? { truncated: true, text: this.loss } : undefined;
  }

  /**
   * Open-time check of the PT_LOADs' file data against `expected`, the size a complete file has: marks
   * the pages a truncated file (or a flattened stream cut short) lost, warns with how many and which
   * PFNs; a dump that lost all of them is an error.
   */
  private checkPageData(expected: number): void {
    const src = this.src;
    const flat = src instanceof FlattenedSource && src.truncation ? src : undefined;
    if (!flat && expected <= src.size) return;
    const present = (pos: number, len: number) => pos + len <= src.size && (!flat || flat.covers(pos, len));
    for (const s of this.segments) {
      const lost = lostPages(s, this.pageSize, src.size, present);
      if (lost.length) s.lost = lost;
    }
    const { nLost, total, runs } = this.lostPfns();
    if (!nLost) return;
    const what = `${nLost} of ${total} pages' data lost (PFNs ${describePfnRuns(runs)})`;
    this.loss = flat
      ? `flattened stream cut short at byte ${flat.streamSize} (${flat.truncation!.detail}): ${what}`
      : `dump truncated at byte ${src.size} of ${expected} expected: ${what}`;
    if (nLost === total) throw new DumpError(src.name, 'truncated', `no page data is left: ${this.loss}`);
    this.warnings.push(`${src.name}: ${this.loss}, shown as excluded`);
  }

  /**
   * The lost pages counted by the segment each PFN is read from (kexec's kernel-text PT_LOAD overlaps
   * RAM): how many, of how many with file data, and as sorted PFN runs [first, end).
   */
  private lostPfns(): { nLost: number; total: number; runs: [number, number][] } {
    const ps = this.pageSize;
    const runs: [number, number][] = [];
    let nLost = 0,
      total = 0;
    for (const s of this.segments) {
      const p0 = Math.floor(s.paddr / ps),
        pages = Math.ceil(s.filesz / ps);
      const overlaps = this.segments.some(
        (o) => o !== s && o.paddr < s.paddr + s.filesz && s.paddr < o.paddr + o.memsz,
      );
      const owned = overlaps ? this.ownedRuns(s, p0, pages) : [[0, pages] as [number, number]];
      for (const [a, b] of owned) total += b - a;
      for (const [k0, k1] of s.lost ?? [])
        for (const [a, b] of owned) {
          const lo = Math.max(k0, a),
            hi = Math.min(k1, b);
          if (lo >= hi) continue;
          nLost += hi - lo;
          appendRun(runs, p0 + lo, p0 + hi);
        }
    }
    return { nLost, total, runs: mergeRuns(runs) };
  }

  /** Whether page k of segment s lies in one of its lost runs; else the first lost page after k (or Infinity). */
  private static lostAt(s: ElfSegment, k: number): { lost: boolean; next: number } {
    const r = s.lost;
    if (!r) return { lost: false, next: Infinity };
    let lo = 0,
      hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid][1] <= k) lo = mid + 1;
      else if (r[mid][0] > k) hi = mid - 1;
      else return { lost: true, next: k };
    }
    return { lost: false, next: lo < r.length ? r[lo][0] : Infinity };
  }

  /**
   * The runs [k0, k1) of segment s's pages (page k at (p0 + k) * pageSize) that reads take from s
   * when segments overlap. findSeg's answer changes only where some segment starts or ends, so it is
   * asked once per run between those places, never once per page (a damaged header can make a
   * segment of billions of pages).
   */
  private ownedRuns(s: ElfSegment, p0: number, pages: number): [number, number][] {
    const ps = this.pageSize;
    const base = p0 * ps;
    const cuts = new Set<number>([0, pages]);
    for (const o of this.segments)
      for (const at of [o.paddr, o.paddr + o.memsz]) {
        const k = Math.ceil((at - base) / ps); // the first page starting at or after `at`
        if (k > 0 && k < pages) cuts.add(k);
      }
    const ks = [...cuts].sort((a, b) => a - b);
    const runs: [number, number][] = [];
    for (let i = 0; i + 1 < ks.length; i++) {
      if (this.findSeg((p0 + ks[i]) * ps) !== s) continue;
      const last = runs[runs.length - 1];
      if (last && last[1] === ks[i]) last[1] = ks[i + 1];
      else runs.push([ks[i], ks[i + 1]]);
    }
    return runs;
  }

  private findSeg(paddr: number): ElfSegment | undefined {
    const s = this.segments;
    let lo = 0,
      hi = s.length - 1,
      best: ElfSegment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].paddr <= paddr) {
        best = s[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best && paddr < best.paddr + best.memsz) return best;
    // overlapping segments (kernel text duplicate): fall back to a linear search
    return s.find((x) => paddr >= x.paddr && paddr < x.paddr + x.memsz);
  }

  avail(pfn: number): PageAvail {
    const a = pfn * this.pageSize;
    const s = this.findSeg(a);
    if (!s) return PageAvail.Hole;
    const rel = a - s.paddr;
    if (rel >= s.filesz) return PageAvail.ZeroFill;
    return s.lost && ElfDump.lostAt(s, Math.floor(rel / this.pageSize)).lost ? PageAvail.Excluded : PageAvail.Data;
  }

  protected loadPage(pfn: number): Buffer | undefined {
    const a = pfn * this.pageSize;
    const s = this.findSeg(a);
    if (!s) return undefined;
    const rel = a - s.paddr;
    if (s.lost && rel < s.filesz && ElfDump.lostAt(s, Math.floor(rel / this.pageSize)).lost) return undefined;
    const buf = Buffer.alloc(this.pageSize);
    const n = Math.max(0, Math.min(this.pageSize, s.filesz - rel));
    if (n > 0) {
      const got = this.src.readInto(buf, 0, n, s.offset + rel);
      if (got !== n)
        throw new DumpError(this.src.name, 'truncated', `short read of physical page 0x${pfn.toString(16)}`);
    }
    this.decoded++;
    return buf;
  }

  /** Bulk read: one file read per run of pages inside one segment's file data. */
  override readPagesInto(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
  ): void {
    this.bulkRead(pfn, count, out, outOff, avail, availOff, (at, bytes, pos) => this.src.readInto(out, at, bytes, pos));
  }

  /** The bulk read with the file reads on the libuv pool (sources without async reads read synchronously). */
  async readPagesIntoAsync(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
  ): Promise<void> {
    const src = this.src;
    if (!src.readIntoAsync) {
      this.readPagesInto(pfn, count, out, outOff, avail, availOff);
      return;
    }
    const reads: { at: number; bytes: number; pos: number }[] = [];
    this.bulkRead(pfn, count, out, outOff, avail, availOff, (at, bytes, pos) => {
      reads.push({ at, bytes, pos });
      return bytes;
    });
    const got = await Promise.all(reads.map((r) => src.readIntoAsync!(out, r.at, r.bytes, r.pos)));
    got.forEach((n, k) => {
      if (n !== reads[k].bytes)
        throw new DumpError(
          src.name,
          'truncated',
          `short read of ${reads[k].bytes} bytes of page data at offset ${reads[k].pos}`,
        );
    });
  }

  /** Plans a bulk read: fills holes/zero-fill and avail, and calls read(outAt, bytes, filePos) for each run of file data. */
  private bulkRead(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
    read: (at: number, bytes: number, pos: number) => number,
  ): void {
    const ps = this.pageSize;
    let i = 0;
    while (i < count) {
      const a = (pfn + i) * ps;
      const s = this.findSeg(a);
      const at = outOff + i * ps;
      if (!s) {
        out.fill(0, at, at + ps);
        avail[availOff + i] = PageAvail.Hole;
        i++;
        continue;
      }
      const rel = a - s.paddr;
      if (rel >= s.filesz) {
        out.fill(0, at, at + ps);
        avail[availOff + i] = PageAvail.ZeroFill;
        i++;
        continue;
      }
      const k = Math.floor(rel / ps);
      const l = s.lost ? ElfDump.lostAt(s, k) : undefined;
      if (l?.lost) {
        out.fill(0, at, at + ps);
        avail[availOff + i] = PageAvail.Excluded;
        i++;
        continue;
      }
      // whole pages of file data in this segment from here on, up to the next lost page
      const n = Math.max(1, Math.min(count - i, Math.floor((s.filesz - rel) / ps), (l?.next ?? Infinity) - k));
      const bytes = Math.min(n * ps, s.filesz - rel);
      const got = read(at, bytes, s.offset + rel);
      if (got !== bytes)
        throw new DumpError(
          this.src.name,
          'truncated',
          `short read of physical pages 0x${(pfn + i).toString(16)}+${n}`,
        );
      if (bytes < n * ps) out.fill(0, at + bytes, at + n * ps);
      avail.fill(PageAvail.Data, availOff + i, availOff + i + n);
      this.decoded += n;
      i += n;
    }
  }

  close(): void {
    this.src.close();
  }
}

/** Appends [a, b) to sorted runs, extending the last run when it ends at a. */
function appendRun(runs: [number, number][], a: number, b: number): void {
  const last = runs[runs.length - 1];
  if (last && last[1] === a) last[1] = b;
  else runs.push([a, b]);
}

/** The runs sorted, with overlapping or touching ones merged. */
function mergeRuns(runs: [number, number][]): [number, number][] {
  runs.sort((a, b) => a[0] - b[0]);
  for (let i = runs.length - 1; i > 0; i--)
    if (runs[i - 1][1] >= runs[i][0]) {
      runs[i - 1][1] = Math.max(runs[i - 1][1], runs[i][1]);
      runs.splice(i, 1);
    }
  return runs;
}

/** "0x10-0x1f, 0x40 and 3 more ranges": the first four PFN runs, in hex. */
function describePfnRuns(runs: [number, number][]): string {
  const hex = (n: number) => `0x${n.toString(16)}`;
  return (
    runs
      .slice(0, 4)
      .map(([a, b]) => (b - a === 1 ? hex(a) : `${hex(a)}-${hex(b - 1)}`))
      .join(', ') + (runs.length > 4 ? ` and ${runs.length - 4} more ranges` : '')
  );
}

/**
 * The pages [first, end) of segment s (indices from its paddr) whose file data the file does not hold:
 * those reaching past the end of the (logical) file, and holes a flattened stream left, found by
 * halving (few runs: O(runs · log pages) checks of `present`).
 */
function lostPages(
  s: ElfSegment,
  ps: number,
  fileSize: number,
  present: (pos: number, len: number) => boolean,
): [number, number][] {
  const pages = Math.ceil(s.filesz / ps);
  const lost: [number, number][] = [];
  if (!pages || present(s.offset, s.filesz)) return lost;
  const bytesOf = (k0: number, k1: number) => Math.min(s.filesz, k1 * ps) - k0 * ps;
  const inFile = Math.max(0, Math.min(pages, Math.floor((fileSize - s.offset) / ps)));
  const scan = (k0: number, k1: number): void => {
    if (k0 >= k1 || present(s.offset + k0 * ps, bytesOf(k0, k1))) return;
    if (k1 - k0 === 1) {
      appendRun(lost, k0, k1);
      return;
    }
    const mid = (k0 + k1) >>> 1;
    scan(k0, mid);
    scan(mid, k1);
  };
  scan(0, inFile);
  // the last page in the file may still be partial
  if (inFile < pages) appendRun(lost, inFile, pages);
  return lost;
}
