// Opens any snapshot the project can read, choosing the reader from what the path is.
// Pure core: used by the CLI, the extension's parse worker and the tests.

import { promises as fsp } from 'node:fs';
import { basename } from 'node:path';
import type { Snapshot } from './snapshot';
import { SnapshotError } from '../parsers/errors';

import type { OpenOptions } from './openOptions';

export type { OpenOptions };

/** What a path looks like, decided from its first bytes or its folder contents. */
export type InputKind =
  'kpageflags-bundle' | 'kpageflags-archive' | 'kpageflags-raw' | 'vmcore' | 'tool-output' | 'unknown';

export async function detectInput(path: string): Promise<{ kind: InputKind; format?: string }> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    throw new SnapshotError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (st.isDirectory()) return { kind: 'kpageflags-bundle' };
  if (!st.isFile()) throw new SnapshotError(path, 'not a regular file or folder');
  const fh = await fsp.open(path, 'r');
  const head = Buffer.alloc(4096);
  let n = 0;
  try {
    n = (await fh.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  const h = head.subarray(0, n);
  if (n >= 2 && h[0] === 0x1f && h[1] === 0x8b) return { kind: 'kpageflags-archive' };
  const { detectDumpFormat } = await import('../parsers/dump/detect');
  const format = detectDumpFormat(h);
  if (format) return { kind: 'vmcore', format };
  if (/kpageflags/i.test(basename(path))) return { kind: 'kpageflags-raw' };
  const { looksLikeToolOutput } = await import('./toolOutputSnapshot');
  if (looksLikeToolOutput(h.toString('utf8'))) return { kind: 'tool-output' };
  return { kind: 'unknown' };
}

/**
 * Reads a snapshot from a path: a kpageflags capture bundle (folder or .tar.gz), a bare
 * kpageflags file, or a vmcore (ELF, kdump-compressed, flattened). `extraPaths` are further files
 * of the same dump (split kdump sets).
 */
export async function openSnapshot(path: string, opts: OpenOptions = {}, extraPaths: string[] = []): Promise<Snapshot> {
  const { kind } = await detectInput(path);
  switch (kind) {
    case 'kpageflags-bundle':
    case 'kpageflags-archive':
    case 'kpageflags-raw': {
      const { openKpageflagsSnapshot } = await import('./kpageflagsSnapshot');
      return openKpageflagsSnapshot(path, opts);
    }
    case 'vmcore': {
      const { openVmcoreSnapshot } = await import('./vmcoreSnapshot');
      return openVmcoreSnapshot([path, ...extraPaths], opts);
    }
    case 'tool-output': {
      const { openToolOutputSnapshot } = await import('./toolOutputSnapshot');
      return openToolOutputSnapshot(path, opts);
    }
    default:
      throw new SnapshotError(
        path,
        'not a snapshot this tool can read: expected a vmcore (ELF core, kdump-compressed or makedumpfile flattened), ' +
          'a kpageflags capture folder or .tar.gz (see `scripts/capture-kpageflags.sh`), a file named kpageflags, ' +
          'crash output (a session log or `kmem -p`/`kmem -n` listings) or a drgn export (tools/drgn/memmap_export.py)',
      );
  }
}
