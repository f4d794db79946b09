// A kpageflags capture bundle: a folder (or a .tar.gz of one) whose files are named after where
// they came from. Only `kpageflags` is required. See scripts/capture-kpageflags.sh.
//
// Everything is opened or read while the bundle is opened: the per-PFN files stay open as file
// descriptors (page details re-read them), the text files and memory/ are read into memory. An
// archive is unpacked into a temporary folder that is removed before openCaptureBundle returns,
// however it returns; the open descriptors keep the unpacked data alive until they are closed
// (close(), the end of the process, or of the worker thread, which closes the descriptors it
// opened), and then the kernel frees it.

import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdtempSync,
  openSync,
  promises as fsp,
  readSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SnapshotError } from '../errors';
import { checkRoom, extractPlanned, planArchive, TEXT_CAPS } from './captureArchive';
import { readSysfsMemory, SysfsMemory } from './sysfsMemory';
import { openU64File, U64File } from './u64File';

export interface CaptureBundle {
  /** What the user opened. */
  source: string;
  kpageflags: U64File;
  kpagecount?: U64File;
  kpagecgroup?: U64File;
  sysfs?: SysfsMemory;
  texts: {
    iomem?: string;
    meminfo?: string;
    zoneinfo?: string;
    buddyinfo?: string;
    dmesg?: string;
    uname?: string;
    /** `getconf PAGESIZE` (scripts/capture-kpageflags.sh since the arm64 16 KiB support), in bytes. */
    pagesize?: string;
    manifest?: string;
  };
  /** Files of the bundle that were not read, and why (symbolic links, too large). */
  problems: string[];
  /** Closes the per-PFN files. */
  close(): void;
}

const TEXT_FILES = ['iomem', 'meminfo', 'zoneinfo', 'buddyinfo', 'dmesg', 'uname', 'pagesize'] as const;

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Finds the folder that holds `kpageflags`: the folder itself or one level below. */
async function findBundleDir(dir: string): Promise<string | undefined> {
  if (await exists(join(dir, 'kpageflags'))) return dir;
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  for (const e of entries)
    if (e.isDirectory() && (await exists(join(dir, e.name, 'kpageflags')))) return join(dir, e.name);
  return undefined;
}

/** Reads a regular file (never through a symbolic link) of at most cap bytes; a problem otherwise. */
function readText(path: string, label: string, cap: number, problems: string[]): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') problems.push(`${label} is a symbolic link: not read`);
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      problems.push(`${label} is not a regular file: not read`);
      return undefined;
    }
    if (st.size > cap) {
      problems.push(`${label} is ${st.size} bytes, more than a capture's ${label} can be (${cap}): not read`);
      return undefined;
    }
    const b = Buffer.alloc(st.size);
    let got = 0;
    for (let n = 1; got < b.length && n > 0; got += n) n = readSync(fd, b, got, b.length - got, got);
    return b.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Opens a per-PFN file if present; a symbolic link or a non-regular file is refused. */
function optionalU64(dir: string, name: string, source: string): U64File | undefined {
  const p = join(dir, name);
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (!st) return undefined;
  return openU64File(p, name, source);
}

function openFiles(
  source: string,
  dir: string,
  kpageflagsPath: string,
  sysfs: SysfsMemory | undefined,
  withSiblings: boolean,
): CaptureBundle {
  const problems: string[] = [];
  // The file the user named is opened even through a link; a capture's own files never are.
  const kpageflags = openU64File(kpageflagsPath, 'kpageflags', source, kpageflagsPath === source);
  const opened: U64File[] = [kpageflags];
  try {
    const texts: CaptureBundle['texts'] = {};
    let kpagecount: U64File | undefined;
    let kpagecgroup: U64File | undefined;
    if (withSiblings) {
      for (const name of TEXT_FILES) texts[name] = readText(join(dir, name), name, TEXT_CAPS[name], problems);
      texts.manifest = readText(join(dir, 'manifest.json'), 'manifest.json', TEXT_CAPS['manifest.json'], problems);
      kpagecount = optionalU64(dir, 'kpagecount', source);
      if (kpagecount) opened.push(kpagecount);
      kpagecgroup = optionalU64(dir, 'kpagecgroup', source);
      if (kpagecgroup) opened.push(kpagecgroup);
    }
    return {
      source,
      kpageflags,
      kpagecount,
      kpagecgroup,
      sysfs,
      texts,
      problems,
      close: () => opened.forEach((f) => f.close()),
    };
  } catch (e) {
    opened.forEach((f) => f.close());
    throw e;
  }
}

async function readMemoryDir(dir: string): Promise<SysfsMemory | undefined> {
  const memoryDir = join(dir, 'memory');
  const st = lstatSync(memoryDir, { throwIfNoEntry: false });
  return st?.isDirectory() ? readSysfsMemory(memoryDir) : undefined;
}

async function openFolder(source: string, root: string): Promise<CaptureBundle> {
  const dir = await findBundleDir(root);
  if (!dir)
    throw new SnapshotError(
      source,
      'no kpageflags file in this capture',
      'a capture folder must hold a copy of /proc/kpageflags named "kpageflags"',
    );
  return openFiles(source, dir, join(dir, 'kpageflags'), await readMemoryDir(dir), true);
}

/** Unpacks the archive into a temporary folder, opens what it holds, and removes the folder. */
async function openArchive(path: string): Promise<CaptureBundle> {
  const plan = await planArchive(path);
  const tmp = mkdtempSync(join(tmpdir(), 'kmemmap-'));
  try {
    await checkRoom(path, tmp, plan);
    await extractPlanned(path, tmp, plan);
    return await openFolder(path, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function openCaptureBundle(path: string): Promise<CaptureBundle> {
  const st = await fsp.stat(path).catch(() => undefined);
  if (!st) throw new SnapshotError(path, 'no such file or folder');
  if (st.isDirectory()) return openFolder(path, path);
  if (basename(path) === 'kpageflags') {
    // A bare kpageflags file: its siblings may be the rest of a bundle.
    const dir = dirname(path);
    return openFiles(path, dir, path, await readMemoryDir(dir), true);
  }
  if (!(await isGzip(path))) return openFiles(path, dirname(path), path, undefined, false);
  return openArchive(path);
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await fsp.open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
