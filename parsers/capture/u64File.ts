// Files of little-endian u64 words indexed by PFN (/proc/kpageflags, kpagecount, kpagecgroup).
// Read in large chunks for the streaming pass; single words for page details.

import { closeSync, openSync, promises as fsp, readSync } from 'node:fs';
import { SnapshotError } from '../../memmap/errors';

export const WORDS_PER_CHUNK = 1 << 20; // 8 MiB per read

/** Size check shared by the readers: a u64-per-PFN file must be a whole number of words. */
export function wordCount(path: string, size: number, what: string): number {
  if (size === 0) throw new SnapshotError(path, `${what} is empty`, 'copy it as root with `cat /proc/' + what + ' > ' + what + '` or `dd`');
  if (size % 8 !== 0) throw new SnapshotError(path, `${what} is ${size} bytes, not a multiple of 8: truncated or not a ${what} copy`);
  return size / 8;
}

/**
 * Calls fn for consecutive chunks of the file as interleaved 32-bit halves of each u64 word:
 * words[2i] (bits 0-31) and words[2i+1] (bits 32-63) belong to PFN firstPfn + i.
 * Avoids BigInt and copies on the hot path (x86 and arm64 hosts are little-endian like the file).
 * Double-buffered: the next chunk is read (on libuv's thread pool) while fn works on this one,
 * so a pass costs about max(read, fn) rather than their sum.
 */
export async function forEachChunk(
  path: string,
  what: string,
  fn: (firstPfn: number, words: Uint32Array, n: number) => void,
  signal?: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const fh = await fsp.open(path, 'r');
  try {
    const words = wordCount(path, (await fh.stat()).size, what);
    const buffers = [new ArrayBuffer(WORDS_PER_CHUNK * 8), new ArrayBuffer(WORDS_PER_CHUNK * 8)];
    const readChunk = async (pfn: number, buf: ArrayBuffer): Promise<number> => {
      const want = Math.min(WORDS_PER_CHUNK, words - pfn);
      const bytes = new Uint8Array(buf);
      let got = 0;
      while (got < want * 8) {
        const { bytesRead } = await fh.read(bytes, got, want * 8 - got, pfn * 8 + got);
        if (bytesRead === 0) throw new SnapshotError(path, `${what} ended early at byte ${pfn * 8 + got} (file changed while reading?)`);
        got += bytesRead;
      }
      return want;
    };
    let pfn = 0;
    let k = 0;
    let pending = words > 0 ? readChunk(0, buffers[0]) : undefined;
    while (pending) {
      const n = await pending;
      if (signal?.aborted) throw new SnapshotError(path, 'reading was cancelled');
      const next = pfn + n;
      pending = next < words ? readChunk(next, buffers[(k + 1) & 1]) : undefined;
      fn(pfn, new Uint32Array(buffers[k & 1], 0, n * 2), n);
      pfn = next;
      k++;
      onProgress?.(pfn, words);
    }
    return words;
  } finally {
    await fh.close();
  }
}

/** One word, or undefined past the end of the file. */
export function readWord(path: string, index: number): bigint | undefined {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(8);
    const n = readSync(fd, b, 0, 8, index * 8);
    return n === 8 ? b.readBigUInt64LE(0) : undefined;
  } finally {
    closeSync(fd);
  }
}
