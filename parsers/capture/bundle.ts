// A kpageflags capture bundle: a folder (or a .tar.gz of one) whose files are named after where
// they came from. Only `kpageflags` is required. See scripts/capture-kpageflags.sh.

import { promises as fsp, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SnapshotError } from '../../memmap/errors';

export interface CaptureBundle {
  /** What the user opened. */
  source: string;
  /** Folder holding the files (a temporary copy for archives). */
  dir: string;
  kpageflags: string;
  kpagecount?: string;
  kpagecgroup?: string;
  memoryDir?: string;
  texts: { iomem?: string; meminfo?: string; zoneinfo?: string; buddyinfo?: string; dmesg?: string; uname?: string; manifest?: string };
}

const TEXT_FILES = ['iomem', 'meminfo', 'zoneinfo', 'buddyinfo', 'dmesg', 'uname'] as const;
/** Text captures larger than this are not ours (dmesg of a big machine is a few MB at most). */
const MAX_TEXT_BYTES = 64 << 20;

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

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
  for (const e of entries) if (e.isDirectory() && (await exists(join(dir, e.name, 'kpageflags')))) return join(dir, e.name);
  return undefined;
}

async function extractArchive(path: string): Promise<string> {
  const tar = await import('tar');
  const dir = mkdtempSync(join(tmpdir(), 'kmemmap-'));
  tempDirs.push(dir);
  try {
    // node-tar refuses absolute paths and ".." entries by default; links are not followed out.
    await tar.x({ file: path, cwd: dir, strict: true, preservePaths: false });
  } catch (e) {
    throw new SnapshotError(path, `cannot unpack the archive: ${(e as Error).message}`, 'expected a .tar.gz of a capture folder');
  }
  return dir;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    const st = await fsp.stat(path);
    if (!st.isFile() || st.size > MAX_TEXT_BYTES) return undefined;
    return await fsp.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function openCaptureBundle(path: string): Promise<CaptureBundle> {
  const st = await fsp.stat(path).catch(() => undefined);
  if (!st) throw new SnapshotError(path, 'no such file or folder');
  let root: string;
  if (st.isDirectory()) root = path;
  else if (basename(path) === 'kpageflags' || (await isGzip(path)) === false) {
    // A bare kpageflags file: its siblings may be the rest of a bundle.
    const dir = dirname(path);
    return {
      source: path,
      dir,
      kpageflags: path,
      ...(basename(path) === 'kpageflags' ? await optionalFiles(dir) : { texts: {} }),
    };
  } else root = await extractArchive(path);
  const dir = await findBundleDir(root);
  if (!dir)
    throw new SnapshotError(path, 'no kpageflags file in this capture', 'a capture folder must hold a copy of /proc/kpageflags named "kpageflags"');
  return { source: path, dir, kpageflags: join(dir, 'kpageflags'), ...(await optionalFiles(dir)) };
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

async function optionalFiles(dir: string): Promise<Omit<CaptureBundle, 'source' | 'dir' | 'kpageflags'>> {
  const texts: CaptureBundle['texts'] = {};
  for (const name of TEXT_FILES) texts[name] = await readText(join(dir, name));
  texts.manifest = await readText(join(dir, 'manifest.json'));
  const file = async (name: string) => ((await exists(join(dir, name))) ? join(dir, name) : undefined);
  const memoryDir = join(dir, 'memory');
  const memSt = await fsp.stat(memoryDir).catch(() => undefined);
  return {
    kpagecount: await file('kpagecount'),
    kpagecgroup: await file('kpagecgroup'),
    memoryDir: memSt?.isDirectory() ? memoryDir : undefined,
    texts,
  };
}
