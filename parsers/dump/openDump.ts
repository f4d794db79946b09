// Opens one dump (a file, a flattened stream, or the files of a split kdump set) as physical memory
// plus its VMCOREINFO, regardless of the container format.
import { ByteSource, FileSource, readExact } from './byteSource';
import { detectDumpFormat } from './detect';
import { DumpError, NO_VMCOREINFO_HINT } from './errors';
import { ElfDump } from './elf';
import { ElfNote, ELF_MACHINES } from './elfHeaders';
import { FlattenedSource } from './flattened';
import { KdumpDump } from './kdump';
import { PhysicalMemory } from './physmem';
import { SubPagedMemory } from './subPaged';
import { looksLikeVmcoreInfo, parseVmcoreInfo, VmcoreInfo } from '../vmcoreinfo';

export interface OpenedDump {
  mem: PhysicalMemory;
  /** e.g. "elf-vmcore", "kdump-flattened (zlib)". */
  format: string;
  files: string[];
  /** `uname -m` from the dump's header (kdump utsname), when it has one; arch/ decides what it means. */
  machine?: string;
  vmcoreinfo: VmcoreInfo;
  vmcoreinfoText: string;
  notes: ElfNote[];
  /** ELF only: PT_LOAD segments (for direct-map base hints). */
  elf?: ElfDump;
  kdump?: KdumpDump;
  warnings: string[];
  notesLines: string[];
}

/**
 * How openDump opens each file. Tests replace `open` to read a real dump as if it were cut at some byte
 * (`new FileSource(path, { size })`) instead of copying gigabytes, and restore it afterwards.
 */
export const dumpFiles = { open: (path: string): FileSource => new FileSource(path) };

function openContainer(
  path: string,
  onProgress?: (d: number, t: number) => void,
): { src: ByteSource; inner: 'elf' | 'kdump'; flat: boolean } {
  const file = dumpFiles.open(path);
  try {
    const head = Buffer.alloc(Math.min(4096, file.size));
    file.readInto(head, 0, head.length, 0);
    const fmt = detectDumpFormat(head);
    if (!fmt) {
      throw new DumpError(
        path,
        'not-a-dump',
        'not a dump: expected an ELF core (/proc/vmcore, QEMU dump-guest-memory), a kdump-compressed file or a makedumpfile flattened stream',
      );
    }
    if (fmt !== 'flattened') return { src: file, inner: fmt === 'elf' ? 'elf' : 'kdump', flat: false };
    const flat = new FlattenedSource(file, onProgress);
    const ih = readExact(flat, 0, Math.min(64, flat.size), 'reassembled header');
    const inner = detectDumpFormat(ih);
    if (inner === 'elf') return { src: flat, inner: 'elf', flat: true };
    if (inner === 'kdump' || inner === 'diskdump') return { src: flat, inner: 'kdump', flat: true };
    if (flat.truncation) {
      // makedumpfile may write the header block last: a stream cut short need not have it yet
      throw new DumpError(
        path,
        'truncated',
        `flattened stream is cut short at byte ${flat.streamSize} (${flat.truncation.detail}) ` +
          'and what it wrote at offset 0 is neither an ELF nor a kdump header (the header may be among the records it lost)',
      );
    }
    throw new DumpError(
      path,
      'corrupt',
      'flattened stream does not reassemble to an ELF core or a kdump-compressed file',
    );
  } catch (e) {
    file.close();
    throw e;
  }
}

type Opened = { src: ByteSource; inner: 'elf' | 'kdump'; flat: boolean };

/** What the container gives before VMCOREINFO is read: memory, notes, format, and the header's hints. */
interface ContainerDump {
  mem: PhysicalMemory;
  notes: ElfNote[];
  format: string;
  elf?: ElfDump;
  kdump?: KdumpDump;
  viText?: string;
  machine?: string;
  warnings: string[];
  notesLines: string[];
}

/** An ELF core: one file only (only kdump-compressed dumps can be split). */
function elfContainer(paths: string[], opened: Opened[]): ContainerDump {
  if (opened.length > 1)
    throw new DumpError(
      paths[1],
      'inconsistent-set',
      'several files were given but the first is an ELF core; only kdump-compressed dumps can be split',
    );
  const warnings: string[] = [];
  const notesLines: string[] = [];
  const elf = inElfKernelPages(new ElfDump(opened[0].src), opened[0].src);
  warnings.push(...elf.warnings);
  if (elf.incomplete)
    warnings.push(`${paths[0]}: makedumpfile marked this ELF dump incomplete (disk full while writing)`);
  if (elf.hasZeroFill)
    notesLines.push(
      'some PT_LOADs have p_filesz < p_memsz: those pages are treated as excluded (makedumpfile -E) where struct pages are needed',
    );
  return {
    mem: elf,
    notes: elf.notes,
    format: opened[0].flat ? 'elf-flattened' : 'elf-vmcore',
    elf,
    machine: ELF_MACHINES[elf.machine],
    warnings,
    notesLines,
  };
}

/**
 * An ELF core has no page size of its own: read it in the kernel's pages (VMCOREINFO PAGESIZE, e.g.
 * 16 KiB on an arm64 -16k kernel) so that PFNs are the kernel's. 4 KiB, or no readable PAGESIZE,
 * keeps the 4 KiB reading.
 */
function inElfKernelPages(elf: ElfDump, src: ByteSource): ElfDump {
  const note = elf.notes.find((n) => n.name === 'VMCOREINFO');
  const kps = note ? parseVmcoreInfo(note.desc.toString('latin1')).pageSize : undefined;
  if (kps === undefined || kps <= elf.pageSize || kps > 65536 || (kps & (kps - 1)) !== 0) return elf;
  return new ElfDump(src, kps);
}

/** One kdump-compressed file or a split set of them. */
function kdumpContainer(paths: string[], opened: Opened[]): ContainerDump {
  if (opened.some((o) => o.inner !== 'kdump'))
    throw new DumpError(paths[0], 'inconsistent-set', 'a split set must consist of kdump-compressed files only');
  const kdump = new KdumpDump(opened.map((o) => o.src));
  return {
    mem: kdump,
    notes: kdump.notes,
    format: `${opened[0].flat ? 'kdump-flattened' : 'kdump'}${opened.length > 1 ? '-split' : ''} (${kdump.compression})`,
    kdump,
    viText: kdump.vmcoreinfoText,
    machine: kdump.header.utsname.machine || undefined,
    warnings: [...kdump.warnings],
    notesLines: [
      `kdump header v${kdump.header.version}, dump level ${kdump.header.dumpLevel ?? '?'}, max_mapnr 0x${kdump.maxPfn.toString(16)}`,
    ],
  };
}

/** VMCOREINFO from its ELF note, else from the kdump header; an error when missing or unreadable. */
function readVmcoreInfo(path: string, c: ContainerDump): { vmcoreinfo: VmcoreInfo; viText: string } {
  let viText = c.viText;
  const viNote = c.notes.find((n) => n.name === 'VMCOREINFO');
  if (viNote) viText = viNote.desc.toString('latin1');
  if (!viText) throw new DumpError(path, 'no-vmcoreinfo', 'no VMCOREINFO in the dump', NO_VMCOREINFO_HINT);
  const vmcoreinfo = parseVmcoreInfo(viText);
  if (!looksLikeVmcoreInfo(vmcoreinfo))
    throw new DumpError(
      path,
      'corrupt',
      'the VMCOREINFO note is unreadable (no OSRELEASE, no SYMBOL lines)',
      NO_VMCOREINFO_HINT,
    );
  return { vmcoreinfo, viText };
}

/** QEMU's aarch64 kdump uses 64 KiB blocks whatever the guest's page size: read it in the kernel's pages. */
function inKernelPages(mem: PhysicalMemory, kps: number | undefined, notesLines: string[]): PhysicalMemory {
  if (kps !== undefined && kps > 0 && mem.pageSize > kps && mem.pageSize % kps === 0) {
    notesLines.push(
      `dump blocks of ${mem.pageSize / 1024} KiB hold ${mem.pageSize / kps} kernel pages of ${kps / 1024} KiB each (VMCOREINFO PAGESIZE): read as ${kps / 1024} KiB pages`,
    );
    return new SubPagedMemory(mem, kps);
  }
  return mem;
}

export function openDump(paths: string[], onProgress?: (d: number, t: number) => void): OpenedDump {
  if (paths.length === 0) throw new DumpError('(none)', 'io', 'no dump file given');
  const opened: Opened[] = [];
  try {
    for (const p of paths) opened.push(openContainer(p, onProgress));
    const c = opened[0].inner === 'elf' ? elfContainer(paths, opened) : kdumpContainer(paths, opened);
    const { vmcoreinfo, viText } = readVmcoreInfo(paths[0], c);
    const mem = inKernelPages(c.mem, vmcoreinfo.pageSize, c.notesLines);
    return {
      mem,
      format: c.format,
      files: paths,
      machine: c.machine,
      vmcoreinfo,
      vmcoreinfoText: viText,
      notes: c.notes,
      elf: c.elf,
      kdump: c.kdump,
      warnings: c.warnings,
      notesLines: c.notesLines,
    };
  } catch (e) {
    for (const o of opened) o.src.close();
    throw e;
  }
}
