// The headers of an ELF64 core file: the ELF header's identity and counts, the program headers'
// PT_LOAD segments and PT_NOTE notes. Rules (docs/dump-formats.md, "ELF vmcores"): honour
// e_phoff/e_phentsize, never validate e_ehsize (QEMU 7.2 writes 8), e_phnum == PN_XNUM means the count
// is in shdr[0].sh_info, p_filesz < p_memsz is zero-fill, notes may be one merged PT_NOTE or one per CPU.
import { ByteSource, readExact } from './byteSource';
import { DumpError } from './errors';
import { FlattenedSource } from './flattened';

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
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
  /**
   * Pages of the segment's file data that are lost (beyond the end of a truncated file, or never written
   * in a flattened stream cut short): sorted, disjoint [first, end) page indices relative to paddr, or
   * undefined when all of them are there.
   */
  lost?: [number, number][];
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
}

export const ELF_MACHINES: Record<number, string> = {
  3: 'i386',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch',
};

export function isElfHeader(h: Buffer): boolean {
  return h.length >= 4 && h[0] === 0x7f && h[1] === 0x45 && h[2] === 0x4c && h[3] === 0x46;
}

/** Parses a note blob (sequence of Elf64_Nhdr + 4-byte padded name and desc). Stops at garbage. */
export function parseNotes(blob: Buffer): ElfNote[] {
  const notes: ElfNote[] = [];
  let p = 0;
  while (p + 12 <= blob.length) {
    const namesz = blob.readUInt32LE(p),
      descsz = blob.readUInt32LE(p + 4),
      type = blob.readUInt32LE(p + 8);
    if (namesz === 0 && descsz === 0 && type === 0) break;
    const nameOff = p + 12;
    const descOff = nameOff + ((namesz + 3) & ~3);
    const end = descOff + ((descsz + 3) & ~3);
    if (namesz > 4096 || descOff + descsz > blob.length) break;
    const name = blob
      .subarray(nameOff, nameOff + namesz)
      .toString('latin1')
      .replace(/\0+$/, '');
    notes.push({ name, type, desc: blob.subarray(descOff, descOff + descsz) });
    p = end;
  }
  return notes;
}

/** What the ELF header says: the machine, makedumpfile's "incomplete" flag, where the program headers are. */
export interface ElfHeader {
  machine: number;
  /** e_flags bit 0 from makedumpfile: dump truncated by ENOSPC. */
  incomplete: boolean;
  phoff: number;
  phentsize: number;
  phnum: number;
}

/** Reads and checks the ELF header: a little-endian 64-bit core of x86_64 or aarch64, with program headers. */
export function readElfHeader(src: ByteSource): ElfHeader {
  const name = src.name;
  if (src.size < 64) throw new DumpError(name, 'truncated', `ELF header is truncated (${src.size} bytes)`);
  const eh = readExact(src, 0, 64, 'ELF header');
  if (!isElfHeader(eh)) throw new DumpError(name, 'not-a-dump', 'not an ELF file');
  if (eh[4] !== 2)
    throw new DumpError(name, 'unsupported', 'ELF32 core: only 64-bit (x86_64, aarch64) dumps are supported');
  if (eh[5] !== 1)
    throw new DumpError(
      name,
      'unsupported',
      'big-endian ELF core: only little-endian x86_64 and aarch64 dumps are supported',
    );
  const type = eh.readUInt16LE(16);
  const machine = eh.readUInt16LE(18);
  if (type !== ET_CORE) throw new DumpError(name, 'not-a-dump', `ELF file of type ${type}, not a core dump (ET_CORE)`);
  if (machine !== EM_X86_64 && machine !== EM_AARCH64) {
    throw new DumpError(
      name,
      'wrong-arch',
      `this is a ${ELF_MACHINES[machine] ?? `machine ${machine}`} dump; only x86_64 and aarch64 dumps are supported`,
    );
  }
  const phentsize = eh.readUInt16LE(54);
  if (phentsize < 56)
    throw new DumpError(name, 'corrupt', `ELF e_phentsize ${phentsize} is smaller than an Elf64_Phdr (56)`);
  return {
    machine,
    incomplete: (eh.readUInt32LE(48) & 1) !== 0,
    phoff: Number(eh.readBigUInt64LE(32)),
    phentsize,
    phnum: programHeaderCount(src, eh),
  };
}

/** e_phnum, or with PN_XNUM the real count from section header 0's sh_info. */
function programHeaderCount(src: ByteSource, eh: Buffer): number {
  let phnum = eh.readUInt16LE(56);
  const shoff = Number(eh.readBigUInt64LE(40));
  if (phnum === PN_XNUM) {
    if (!shoff)
      throw new DumpError(
        src.name,
        'corrupt',
        'e_phnum is PN_XNUM but there is no section header holding the real count',
      );
    phnum = readExact(src, shoff, 64, 'section header 0 (PN_XNUM count)').readUInt32LE(44);
  }
  if (phnum === 0) throw new DumpError(src.name, 'corrupt', 'ELF core has no program headers');
  return phnum;
}

/** The program headers' table as read, and what it holds: the PT_LOADs (sorted by address) and the notes. */
export interface ProgramHeaders {
  table: Buffer;
  segments: ElfSegment[];
  notes: ElfNote[];
  /** At least one segment has p_filesz < p_memsz (makedumpfile -E marks excluded pages this way). */
  zeroFill: boolean;
}

/** Reads the program headers; a core with no PT_LOAD (or blank headers: cut short) is an error. */
export function readProgramHeaders(src: ByteSource, h: ElfHeader): ProgramHeaders {
  const table = readExact(src, h.phoff, h.phnum * h.phentsize, `${h.phnum} program headers`);
  const segments: ElfSegment[] = [];
  const notes: ElfNote[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const b = i * h.phentsize;
    const ptype = table.readUInt32LE(b);
    if (ptype === PT_NOTE) {
      const filesz = Number(table.readBigUInt64LE(b + 32));
      if (filesz)
        notes.push(...parseNotes(readExact(src, Number(table.readBigUInt64LE(b + 8)), filesz, `PT_NOTE segment ${i}`)));
    } else if (ptype === PT_LOAD) segments.push(loadSegment(src.name, i, table, b));
  }
  if (!segments.length) throw noMemoryError(src, table, h.phnum);
  // kexec's kernel-text PT_LOAD duplicates part of RAM under a virtual address; keep the direct ones
  // first so the physical lookup sees RAM segments, but keep all of them (they agree on content).
  segments.sort((a, b) => a.paddr - b.paddr);
  return { table, segments, notes, zeroFill: segments.some((s) => s.memsz > s.filesz) };
}

/** PT_LOAD i at byte b of the table, checked: file data within its memory size, both in safe integers. */
function loadSegment(name: string, i: number, table: Buffer, b: number): ElfSegment {
  const offset = Number(table.readBigUInt64LE(b + 8));
  const vaddr = table.readBigUInt64LE(b + 16);
  const paddr = Number(table.readBigUInt64LE(b + 24));
  const filesz = Number(table.readBigUInt64LE(b + 32));
  const memsz = Number(table.readBigUInt64LE(b + 40));
  if (filesz > memsz) throw new DumpError(name, 'corrupt', `PT_LOAD ${i} has p_filesz ${filesz} > p_memsz ${memsz}`);
  if (!Number.isSafeInteger(offset + filesz) || !Number.isSafeInteger(paddr + memsz)) {
    throw new DumpError(
      name,
      'corrupt',
      `PT_LOAD ${i} is corrupt: offset ${offset}, p_filesz ${filesz}, physical 0x${paddr.toString(16)}, p_memsz ${memsz}`,
    );
  }
  return { paddr, vaddr, offset, filesz, memsz };
}

/** The error for program headers without a PT_LOAD: cut short (blank headers, a short stream) or corrupt. */
function noMemoryError(src: ByteSource, table: Buffer, phnum: number): DumpError {
  // makedumpfile -E writes blank program headers first and the real ones after the page data
  const flat = src instanceof FlattenedSource && src.truncation ? src : undefined;
  const blank = table.every((b) => b === 0);
  return new DumpError(
    src.name,
    flat || blank ? 'truncated' : 'corrupt',
    (flat ? `flattened stream is cut short at byte ${flat.streamSize} (${flat.truncation!.detail}): ` : '') +
      (blank
        ? `the ${phnum} program headers are blank (all zero): makedumpfile writes them after the page data, so the dump was cut short before it finished`
        : `none of the ${phnum} program headers is a PT_LOAD: the dump holds no memory`),
  );
}

/** Every byte the program headers say the file holds (notes included): the size a complete file has. */
export function expectedFileSize(table: Buffer, phnum: number, phentsize: number): number {
  let expected = 0;
  for (let i = 0; i < phnum; i++) {
    const b = i * phentsize;
    const t = table.readUInt32LE(b);
    if (t === PT_LOAD || t === PT_NOTE)
      expected = Math.max(expected, Number(table.readBigUInt64LE(b + 8)) + Number(table.readBigUInt64LE(b + 32)));
  }
  return expected;
}
