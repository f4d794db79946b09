// Random-access, read-only byte sources: a plain file (fs.readSync on a fd, never loaded whole)
// and, in flattened.ts, a makedumpfile flattened stream seen as the file it would reassemble to.
import * as fs from 'node:fs';
import { DumpError } from './errors';

export interface ByteSource {
  /** Display name (the file path). */
  readonly name: string;
  /** Logical size in bytes. */
  readonly size: number;
  /** Reads up to len bytes at pos into buf[off…]; returns bytes read (short only at the end). */
  readInto(buf: Buffer, off: number, len: number, pos: number): number;
  /** The same read on a background thread (libuv pool), where the source supports it. */
  readIntoAsync?(buf: Buffer, off: number, len: number, pos: number): Promise<number>;
  close(): void;
}

/** Reads exactly len bytes or throws a DumpError saying the file is truncated. */
export function readExact(src: ByteSource, pos: number, len: number, what: string): Buffer {
  // A length from a corrupted header is checked against the file before anything is allocated.
  checkInFile(src, pos, len, what);
  const buf = Buffer.allocUnsafe(len);
  readExactInto(src, buf, 0, len, pos, what);
  return buf;
}

function checkInFile(src: ByteSource, pos: number, len: number, what: string): void {
  if (pos < 0 || !Number.isSafeInteger(pos) || len < 0 || !Number.isSafeInteger(len) || pos + len > src.size) {
    throw new DumpError(
      src.name,
      'truncated',
      `file is truncated or corrupt: ${what} at offset ${pos} (+${len} bytes) lies beyond the end of the file (${src.size} bytes)`,
    );
  }
}

export function readExactInto(src: ByteSource, buf: Buffer, off: number, len: number, pos: number, what: string): void {
  checkInFile(src, pos, len, what);
  const n = src.readInto(buf, off, len, pos);
  if (n !== len)
    throw new DumpError(src.name, 'truncated', `short read of ${what} at offset ${pos}: got ${n} of ${len} bytes`);
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;
  /** opts.size: read the file as if it ended there (tests: a truncated dump without copying it). */
  constructor(
    readonly name: string,
    opts: { size?: number } = {},
  ) {
    try {
      this.fd = fs.openSync(name, 'r');
      this.size = fs.fstatSync(this.fd).size;
    } catch (e) {
      throw new DumpError(name, 'io', `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (opts.size !== undefined) this.size = Math.max(0, Math.min(this.size, opts.size));
  }
  readInto(buf: Buffer, off: number, len: number, pos: number): number {
    len = Math.min(len, this.size - pos);
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd, buf, off + done, len - done, pos + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }
  async readIntoAsync(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    len = Math.min(len, this.size - pos);
    let done = 0;
    while (done < len) {
      const n = await new Promise<number>((resolve, reject) =>
        fs.read(this.fd, buf, off + done, len - done, pos + done, (err, got) => (err ? reject(err) : resolve(got))),
      );
      if (n <= 0) break;
      done += n;
    }
    return done;
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
