// ELF64 core files: /proc/vmcore (kdump), makedumpfile -E, QEMU dump-guest-memory.
// Rules (dump-formats-and-tools.md §1.1): honour e_phoff/e_phentsize, never validate e_ehsize
// (QEMU 7.2 writes 8), e_phnum == PN_XNUM means the count is in shdr[0].sh_info, p_filesz < p_memsz
// is zero-fill, notes may be one merged PT_NOTE or one per CPU.
import { ByteSource, readExact } from './byteSource';
import { DumpError } from './errors';
import { CachedPhysicalMemory, PageAvail } from './physmem';

export const EM_X86_64 = 62;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PN_XNUM = 0xffff;
const ET_CORE = 4;

export interface ElfSegment {
  paddr: number;
  vaddr: bigint;
  offset: number;
  filesz: number;
  memsz: number;
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

export const ELF_MACHINES: Record<number, string> = { 3: 'i386', 8: 'mips', 20: 'ppc', 21: 'ppc64', 22: 's390', 40: 'arm', 62: 'x86_64', 183: 'aarch64', 243: 'riscv', 258: 'loongarch' };

export function isElfHeader(h: Buffer): boolean {
  return h.length >= 4 && h[0] === 0x7f && h[1] === 0x45 && h[2] === 0x4c && h[3] === 0x46;
}

/** Parses a note blob (sequence of Elf64_Nhdr + 4-byte padded name and desc). Stops at garbage. */
export function parseNotes(blob: Buffer): ElfNote[] {
  const notes: ElfNote[] = [];
  let p = 0;
  while (p + 12 <= blob.length) {
    const namesz = blob.readUInt32LE(p), descsz = blob.readUInt32LE(p + 4), type = blob.readUInt32LE(p + 8);
    if (namesz === 0 && descsz === 0 && type === 0) break;
    const nameOff = p + 12;
    const descOff = nameOff + ((namesz + 3) & ~3);
    const end = descOff + ((descsz + 3) & ~3);
    if (namesz > 4096 || descOff + descsz > blob.length) break;
    const name = blob.subarray(nameOff, nameOff + namesz).toString('latin1').replace(/\0+$/, '');
    notes.push({ name, type, desc: blob.subarray(descOff, descOff + descsz) });
    p = end;
  }
  return notes;
}

export class ElfDump extends CachedPhysicalMemory {
  readonly pageSize = 4096;
  readonly maxPfn: number;
  readonly machine: number;
  readonly segments: ElfSegment[];
  readonly notes: ElfNote[] = [];
  /** e_flags bit 0 from makedumpfile: dump truncated by ENOSPC. */
  readonly incomplete: boolean;
  /** At least one segment has p_filesz < p_memsz (makedumpfile -E marks excluded pages this way). */
  readonly hasZeroFill: boolean;

  constructor(private readonly src: ByteSource) {
    super(1024);
    const name = src.name;
    if (src.size < 64) throw new DumpError(name, 'truncated', `ELF header is truncated (${src.size} bytes)`);
    const eh = readExact(src, 0, 64, 'ELF header');
    if (!isElfHeader(eh)) throw new DumpError(name, 'not-a-dump', 'not an ELF file');
    if (eh[4] !== 2) throw new DumpError(name, 'unsupported', 'ELF32 core: only 64-bit (x86_64) dumps are supported');
    if (eh[5] !== 1) throw new DumpError(name, 'unsupported', 'big-endian ELF core: only x86_64 dumps are supported');
    const type = eh.readUInt16LE(16);
    this.machine = eh.readUInt16LE(18);
    if (type !== ET_CORE) throw new DumpError(name, 'not-a-dump', `ELF file of type ${type}, not a core dump (ET_CORE)`);
    if (this.machine !== EM_X86_64) {
      throw new DumpError(name, 'wrong-arch', `this is a ${ELF_MACHINES[this.machine] ?? `machine ${this.machine}`} dump; only x86_64 dumps are supported`);
    }
    this.incomplete = (eh.readUInt32LE(48) & 1) !== 0;
    const phoff = Number(eh.readBigUInt64LE(32));
    const shoff = Number(eh.readBigUInt64LE(40));
    const phentsize = eh.readUInt16LE(54);
    let phnum = eh.readUInt16LE(56);
    if (phentsize < 56) throw new DumpError(name, 'corrupt', `ELF e_phentsize ${phentsize} is smaller than an Elf64_Phdr (56)`);
    if (phnum === PN_XNUM) {
      if (!shoff) throw new DumpError(name, 'corrupt', 'e_phnum is PN_XNUM but there is no section header holding the real count');
      const sh = readExact(src, shoff, 64, 'section header 0 (PN_XNUM count)');
      phnum = sh.readUInt32LE(44);
    }
    if (phnum === 0) throw new DumpError(name, 'corrupt', 'ELF core has no program headers');
    const ph = readExact(src, phoff, phnum * phentsize, `${phnum} program headers`);
    const segs: ElfSegment[] = [];
    let zeroFill = false;
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      const ptype = ph.readUInt32LE(b);
      const offset = Number(ph.readBigUInt64LE(b + 8));
      const vaddr = ph.readBigUInt64LE(b + 16);
      const paddr = Number(ph.readBigUInt64LE(b + 24));
      const filesz = Number(ph.readBigUInt64LE(b + 32));
      const memsz = Number(ph.readBigUInt64LE(b + 40));
      if (ptype === PT_NOTE) {
        if (filesz === 0) continue;
        const blob = readExact(src, offset, filesz, `PT_NOTE segment ${i}`);
        this.notes.push(...parseNotes(blob));
      } else if (ptype === PT_LOAD) {
        if (filesz > memsz) throw new DumpError(name, 'corrupt', `PT_LOAD ${i} has p_filesz ${filesz} > p_memsz ${memsz}`);
        if (offset + filesz > src.size) {
          throw new DumpError(name, 'truncated',
            `file is truncated: PT_LOAD ${i} (physical 0x${paddr.toString(16)}) needs bytes up to ${offset + filesz}, the file has ${src.size}`);
        }
        if (memsz > filesz) zeroFill = true;
        segs.push({ paddr, vaddr, offset, filesz, memsz });
      }
    }
    // kexec's kernel-text PT_LOAD duplicates part of RAM under a virtual address; keep the direct ones
    // first so the physical lookup sees RAM segments, but keep all of them (they agree on content).
    segs.sort((a, b) => a.paddr - b.paddr);
    this.segments = segs;
    this.hasZeroFill = zeroFill;
    this.maxPfn = segs.reduce((m, s) => Math.max(m, Math.ceil((s.paddr + s.memsz) / this.pageSize)), 0);
  }

  private findSeg(paddr: number): ElfSegment | undefined {
    const s = this.segments;
    let lo = 0, hi = s.length - 1, best: ElfSegment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].paddr <= paddr) { best = s[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    if (best && paddr < best.paddr + best.memsz) return best;
    // overlapping segments (kernel text duplicate): fall back to a linear search
    return s.find((x) => paddr >= x.paddr && paddr < x.paddr + x.memsz);
  }

  avail(pfn: number): PageAvail {
    const a = pfn * this.pageSize;
    const s = this.findSeg(a);
    if (!s) return PageAvail.Hole;
    return a - s.paddr < s.filesz ? PageAvail.Data : PageAvail.ZeroFill;
  }

  protected loadPage(pfn: number): Buffer | undefined {
    const a = pfn * this.pageSize;
    const s = this.findSeg(a);
    if (!s) return undefined;
    const buf = Buffer.alloc(this.pageSize);
    const rel = a - s.paddr;
    const n = Math.max(0, Math.min(this.pageSize, s.filesz - rel));
    if (n > 0) {
      const got = this.src.readInto(buf, 0, n, s.offset + rel);
      if (got !== n) throw new DumpError(this.src.name, 'truncated', `short read of physical page 0x${pfn.toString(16)}`);
    }
    this.decoded++;
    return buf;
  }

  /** Bulk read: one file read per run of pages inside one segment's file data. */
  override readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): void {
    this.bulkRead(pfn, count, out, outOff, avail, availOff, (at, bytes, pos) => this.src.readInto(out, at, bytes, pos));
  }

  /** The bulk read with the file reads on the libuv pool (sources without async reads read synchronously). */
  async readPagesIntoAsync(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): Promise<void> {
    const src = this.src;
    if (!src.readIntoAsync) { this.readPagesInto(pfn, count, out, outOff, avail, availOff); return; }
    const reads: { at: number; bytes: number; pos: number }[] = [];
    this.bulkRead(pfn, count, out, outOff, avail, availOff, (at, bytes, pos) => { reads.push({ at, bytes, pos }); return bytes; });
    const got = await Promise.all(reads.map((r) => src.readIntoAsync!(out, r.at, r.bytes, r.pos)));
    got.forEach((n, k) => {
      if (n !== reads[k].bytes) throw new DumpError(src.name, 'truncated', `short read of ${reads[k].bytes} bytes of page data at offset ${reads[k].pos}`);
    });
  }

  /** Plans a bulk read: fills holes/zero-fill and avail, and calls read(outAt, bytes, filePos) for each run of file data. */
  private bulkRead(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number, read: (at: number, bytes: number, pos: number) => number): void {
    const ps = this.pageSize;
    let i = 0;
    while (i < count) {
      const a = (pfn + i) * ps;
      const s = this.findSeg(a);
      const at = outOff + i * ps;
      if (!s) { out.fill(0, at, at + ps); avail[availOff + i] = PageAvail.Hole; i++; continue; }
      const rel = a - s.paddr;
      if (rel >= s.filesz) { out.fill(0, at, at + ps); avail[availOff + i] = PageAvail.ZeroFill; i++; continue; }
      // whole pages of file data in this segment from here on
      const n = Math.max(1, Math.min(count - i, Math.floor((s.filesz - rel) / ps)));
      const bytes = Math.min(n * ps, s.filesz - rel);
      const got = read(at, bytes, s.offset + rel);
      if (got !== bytes) throw new DumpError(this.src.name, 'truncated', `short read of physical pages 0x${(pfn + i).toString(16)}+${n}`);
      if (bytes < n * ps) out.fill(0, at + bytes, at + n * ps);
      avail.fill(PageAvail.Data, availOff + i, availOff + i + n);
      this.decoded += n;
      i += n;
    }
  }

  close(): void { this.src.close(); }
}
