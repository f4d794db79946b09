// Dumps held in memory for the fuzzer: openDump reads `mem:<name>` paths from buffers instead of
// files (dumpFiles.open is the seam tests use), so no input is written to disk.

import type { ByteSource, FileSource } from '../../parsers/dump/byteSource';
import { dumpFiles } from '../../parsers/dump/openDump';

class MemorySource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly data: Buffer,
  ) {
    this.size = data.length;
  }
  readInto(buf: Buffer, off: number, len: number, pos: number): number {
    if (pos < 0 || pos >= this.size) return 0;
    return this.data.copy(buf, off, pos, Math.min(this.size, pos + len));
  }
  async readIntoAsync(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    return this.readInto(buf, off, len, pos);
  }
  close(): void {}
}

const buffers = new Map<string, Buffer>();
const fileOpen = dumpFiles.open;
dumpFiles.open = (path: string) => {
  const b = buffers.get(path);
  return b ? (new MemorySource(path, b) as unknown as FileSource) : fileOpen(path);
};

/** Makes `mem:<name>` readable by openDump with the given bytes; returns that path. */
export function memoryDump(name: string, data: Buffer): string {
  const path = `mem:${name}`;
  buffers.set(path, data);
  return path;
}
