// Unpacking a capture .tar.gz without trusting it: only regular files and folders whose names the
// reader uses, no links, devices, absolute or `..` paths, and no more bytes than a capture of that
// many PFNs can hold. A first pass reads the headers (and skips the data) to check every entry; the
// second pass extracts only the entries the first pass accepted.

import { createReadStream, promises as fsp } from 'node:fs';
import { SnapshotError } from '../errors';

/** Most PFNs a capture may cover: a class byte per PFN must fit one typed array (16 TiB of 4 KiB pages). */
export const MAX_CAPTURE_PFNS = 2 ** 32;
/** The files of /proc/kpage* copies: one u64 word per PFN. */
export const U64_FILES = ['kpageflags', 'kpagecount', 'kpagecgroup'] as const;
/** Largest size of each text file of a capture (a dmesg ring is at most 32 MiB raw; a big NUMA zoneinfo a few MiB). */
export const TEXT_CAPS: Record<string, number> = {
  uname: 4 << 10,
  pagesize: 64,
  'manifest.json': 1 << 20,
  meminfo: 1 << 20,
  buddyinfo: 1 << 20,
  iomem: 4 << 20,
  zoneinfo: 16 << 20,
  dmesg: 64 << 20,
};
/** A sysfs attribute of memory/ (state, valid_zones, block_size_bytes...) is a line of text. */
export const MEMORY_FILE_CAP = 4 << 10;
/** memory/ entries allowed per 4096 PFNs (16 MiB blocks, the smallest x86 and arm64 use, with ~8 files each) plus a margin. */
const MEMORY_ENTRIES_PER_4096_PFNS = 16;
const MEMORY_ENTRIES_MARGIN = 256;

export type EntryRole = 'u64' | 'text' | 'memory' | 'folder';

export interface ArchiveEntry {
  /** The entry's path as stored in the archive. */
  path: string;
  role: EntryRole;
  /** Its name below the capture folder (`kpageflags`, `memory/memory3/state`). */
  name: string;
  size: number;
}

/** What the first pass accepted: the entries to extract and the bytes they take. */
export interface ArchivePlan {
  entries: Map<string, ArchiveEntry>;
  pfns: number;
  totalBytes: number;
  /** Entries present but not read by the capture reader (not extracted). */
  skipped: number;
}

const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);
const KIND: Record<string, string> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a named pipe',
};

/**
 * Checks one header: returns the entry when the reader uses it, undefined when it is a harmless
 * regular file or folder the reader ignores; a problem string when the archive must be refused.
 */
export function checkEntry(
  path: string,
  type: string,
  size: number,
  linkpath?: string,
): ArchiveEntry | undefined | string {
  const shown = JSON.stringify(path.slice(0, 200));
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `entry ${shown} has an absolute path`;
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return `entry ${shown} has a ".." path component`;
  if (path.includes('\0')) return `entry ${shown} has a NUL in its name`;
  const isDir = type === 'Directory';
  if (!isDir && !REGULAR.has(type)) {
    const kind = Object.hasOwn(KIND, type) ? KIND[type] : `of type ${type}`;
    return `entry ${shown} is ${kind}${linkpath ? ` (to ${JSON.stringify(linkpath.slice(0, 200))})` : ''}: a capture holds only regular files and folders`;
  }
  if (!Number.isSafeInteger(size) || size < 0) return `entry ${shown} declares an impossible size`;
  // The capture folder is the archive's root or one folder below it.
  const rel = isKnown(parts[0]) ? parts : parts.slice(1);
  if (rel.length === 0) return isDir ? { path, role: 'folder', name: '', size: 0 } : undefined;
  const name = rel.join('/');
  if (rel[0] === 'memory') {
    if (isDir) return { path, role: 'folder', name, size: 0 };
    if (size > MEMORY_FILE_CAP)
      return `entry ${shown} is ${size} bytes: a sysfs memory attribute is at most ${MEMORY_FILE_CAP}`;
    return { path, role: 'memory', name, size };
  }
  if (rel.length !== 1 || isDir) return undefined;
  if ((U64_FILES as readonly string[]).includes(name)) {
    if (size > MAX_CAPTURE_PFNS * 8)
      return `entry ${shown} is ${size} bytes: more than ${MAX_CAPTURE_PFNS * 8} (${MAX_CAPTURE_PFNS} PFNs, 16 TiB)`;
    return { path, role: 'u64', name, size };
  }
  if (!Object.hasOwn(TEXT_CAPS, name)) return undefined;
  const cap = TEXT_CAPS[name];
  if (size > cap) return `entry ${shown} is ${size} bytes: a capture's ${name} is at most ${cap}`;
  return { path, role: 'text', name, size };
}

function isKnown(first: string | undefined): boolean {
  return (
    first !== undefined &&
    (first === 'memory' || (U64_FILES as readonly string[]).includes(first) || Object.hasOwn(TEXT_CAPS, first))
  );
}

/** Whole-archive limits, once every header is known: per-PFN files agree, memory/ fits the machine. */
export function checkTotals(entries: ArchiveEntry[]): { pfns: number; totalBytes: number } | string {
  const flags = entries.find((e) => e.role === 'u64' && e.name === 'kpageflags');
  const pfns = flags ? Math.floor(flags.size / 8) : 0;
  for (const e of entries)
    if (e.role === 'u64' && e.size > (flags?.size ?? 0))
      return `${e.name} is ${e.size} bytes but kpageflags ${flags ? `is ${flags.size}` : 'is missing'}: a per-PFN file cannot cover more PFNs than kpageflags`;
  const memoryEntries = entries.filter((e) => e.name.startsWith('memory')).length;
  const memoryCap = Math.ceil(pfns / 4096) * MEMORY_ENTRIES_PER_4096_PFNS + MEMORY_ENTRIES_MARGIN;
  if (memoryEntries > memoryCap)
    return `memory/ has ${memoryEntries} entries: a capture of ${pfns} PFNs has at most ${memoryCap}`;
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.role !== 'folder' && seen.has(e.name)) return `${e.name} is in the archive twice`;
    seen.add(e.name);
  }
  return { pfns, totalBytes: entries.reduce((s, e) => s + e.size, 0) };
}

/** Pass 1: reads every header of the archive (skipping the data) and returns what may be extracted. */
export async function planArchive(path: string): Promise<ArchivePlan> {
  const tar = await import('tar');
  const entries = new Map<string, ArchiveEntry>();
  let skipped = 0;
  const input = createReadStream(path);
  // closed however the parse ends (pipe() leaves the source open when the parser fails), before
  // the caller goes on: a worker or a fuzz run reading thousands of archives runs out of descriptors
  try {
    await new Promise<void>((resolve, reject) => {
      const refuse = (problem: string) => {
        input.destroy();
        reject(
          new SnapshotError(
            path,
            `unsafe archive: ${problem}`,
            'a capture .tar.gz holds only regular files and folders (see scripts/capture-kpageflags.sh)',
          ),
        );
      };
      const parser = new tar.Parser({
        strict: true,
        onReadEntry: (e) => {
          e.resume();
          const r = checkEntry(e.path, e.type, e.size ?? 0, e.linkpath);
          if (typeof r === 'string') return refuse(r);
          if (r) entries.set(e.path, r);
          else skipped++;
        },
      });
      parser.on('error', (e: Error) =>
        reject(
          new SnapshotError(path, `cannot unpack the archive: ${e.message}`, 'expected a .tar.gz of a capture folder'),
        ),
      );
      parser.on('close', () => resolve());
      input.on('error', (e) => reject(new SnapshotError(path, `cannot read the archive: ${e.message}`)));
      input.pipe(parser);
    });
  } finally {
    if (!input.closed) await new Promise<void>((r) => input.once('close', () => r()).destroy());
  }
  const totals = checkTotals([...entries.values()]);
  if (typeof totals === 'string') throw new SnapshotError(path, `unsafe archive: ${totals}`);
  return { entries, skipped, ...totals };
}

/** Refuses when the folder's file system has less room than the plan needs (plus 64 MiB to spare). */
export async function checkRoom(archive: string, dir: string, plan: ArchivePlan): Promise<void> {
  const fsStat = await fsp.statfs(dir).catch(() => undefined);
  if (!fsStat) return;
  const free = fsStat.bavail * fsStat.bsize;
  if (plan.totalBytes + (64 << 20) > free)
    throw new SnapshotError(
      archive,
      `unpacking needs ${plan.totalBytes} bytes but ${dir} has ${free} free`,
      'free space there, or set TMPDIR to a larger folder, or unpack the archive yourself and open the folder',
    );
}

/** Pass 2: extracts the entries the plan accepted into dir (nothing else, same type and size). */
export async function extractPlanned(path: string, dir: string, plan: ArchivePlan): Promise<void> {
  const tar = await import('tar');
  try {
    await tar.x({
      file: path,
      cwd: dir,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      noChmod: true,
      filter: (p, entry) => {
        const e = plan.entries.get(p);
        const type = 'type' in entry ? entry.type : undefined;
        return (
          !!e && (e.role === 'folder' ? type === 'Directory' : !!type && REGULAR.has(type) && entry.size === e.size)
        );
      },
    });
  } catch (e) {
    throw new SnapshotError(
      path,
      `cannot unpack the archive: ${(e as Error).message}`,
      'expected a .tar.gz of a capture folder',
    );
  }
}
