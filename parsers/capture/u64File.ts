// Files of little-endian u64 words indexed by PFN (/proc/kpageflags, kpagecount, kpagecgroup).
// Read in large chunks for the streaming pass; single words for page details.

import { closeSync, constants, fstatSync, openSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { SnapshotError } from '../errors';

const readAsync = promisify(read);

/** An open file of u64 words: name for messages, descriptor, size at open time. */
export interface U64File {
  /** The file as a user knows it: its path, or `<archive>: kpagecount` for a file of an archive. */
  name: string;
  fd: number;
  size: number;
  close(): void;
}

/**
 * Opens a per-PFN file. With follow false (files found inside a capture folder) a symbolic link is
 * refused, so a capture cannot make us read another file of the user's.
 */
export function openU64File(path: string, what: string, source: string, follow = false): U64File {
  const name = source === path ? path : `${source}: ${what}`;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (follow ? 0 : constants.O_NOFOLLOW) | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new SnapshotError(
        name,
        `${what} is a symbolic link`,
        'a capture folder holds copies of the files, not links to them',
      );
    throw new SnapshotError(name, `cannot open ${what}: ${(e as Error).message}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new SnapshotError(
      name,
      `${what} is not a regular file`,
      'copy it with `cat /proc/' + what + ' > ' + what + '`',
    );
  }
  const file: U64File = {
    name,
    fd,
    size: st.size,
    close() {
      // -1 after closing: a late read fails (EBADF) instead of reading whatever file reuses the number
      if (file.fd >= 0) closeSync(file.fd);
      file.fd = -1;
    },
  };
  return file;
}

export const WORDS_PER_CHUNK = 1 << 20; // 8 MiB per read

/** Size check shared by the readers: a u64-per-PFN file must be a whole number of words. */
export function wordCount(path: string, size: number, what: string): number {
  if (size === 0)
    throw new SnapshotError(
      path,
      `${what} is empty`,
      'copy it as root with `cat /proc/' + what + ' > ' + what + '` or `dd`',
    );
  if (size % 8 !== 0)
    throw new SnapshotError(path, `${what} is ${size} bytes, not a multiple of 8: truncated or not a ${what} copy`);
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
  file: U64File,
  what: string,
  fn: (firstPfn: number, words: Uint32Array, n: number) => void,
  signal?: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const path = file.name;
  const words = wordCount(path, file.size, what);
  // no larger than the file: a small capture does not zero 16 MiB per file it reads
  const chunkBytes = Math.min(WORDS_PER_CHUNK, words) * 8;
  const buffers = [new ArrayBuffer(chunkBytes), new ArrayBuffer(chunkBytes)];
  const readChunk = async (pfn: number, buf: ArrayBuffer): Promise<number> => {
    const want = Math.min(WORDS_PER_CHUNK, words - pfn);
    const bytes = new Uint8Array(buf);
    let got = 0;
    while (got < want * 8) {
      const { bytesRead } = await readAsync(file.fd, bytes, got, want * 8 - got, pfn * 8 + got);
      if (bytesRead === 0)
        throw new SnapshotError(path, `${what} ended early at byte ${pfn * 8 + got} (file changed while reading?)`);
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
}

/** One word, or undefined past the end of the file. */
export function readWord(file: U64File, index: number): bigint | undefined {
  const b = Buffer.alloc(8);
  const n = readSync(file.fd, b, 0, 8, index * 8);
  return n === 8 ? b.readBigUInt64LE(0) : undefined;
}
