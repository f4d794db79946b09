// The issue's own case on real data: a copy of a QEMU guest's flattened kdump (as QEMU writes it) with
// one bit flipped in its bitmap of dumped pages. Every page after that PFN would be read through the
// next page's descriptor; the reader refuses the copy, naming the count that is off, and opens the
// original.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { FileSource, readExact } from '../../../parsers/dump/byteSource';
import { DumpError } from '../../../parsers/dump/errors';
import { FlattenedSource } from '../../../parsers/dump/flattened';

/** The stream file position of the first byte of bitmap2 that has a bit set, and that byte. */
function firstDumpedByte(path: string): { filePos: number; value: number } {
  const flat = new FlattenedSource(new FileSource(path));
  try {
    const h = readExact(flat, 0, 464, 'header');
    const bs = h.readInt32LE(428),
      half = (h.readUInt32LE(436) / 2) * bs;
    const bitmap2 = (1 + h.readInt32LE(432)) * bs + half;
    const bytes = readExact(flat, bitmap2, half, 'bitmap2');
    const i = bytes.findIndex((b) => b !== 0);
    assert.ok(i >= 0, 'a dumped page');
    const segs = flat.fileSegments(bitmap2 + i, 1);
    return { filePos: segs[segs.length - 2], value: bytes[i] };
  } finally {
    flat.close();
  }
}

describe('kdump: a flipped bit in the bitmap of dumped pages (real QEMU dump)', function () {
  this.timeout(120_000);
  const set = findSets({ kernel: '6.1', scenario: 'balloon' })[0];
  it(`${set?.name ?? '6.1-balloon'}: the damaged copy is refused naming the count, the original opens`, async () => {
    assert.ok(set, 'the 6.1-balloon lab set (npm test makes it: node out/lab/lab.js --ensure-ci-sets)');
    const dir = mkdtempSync(join(tmpdir(), 'kmemmap-bitmap-'));
    try {
      const copy = join(dir, 'vmcore-bitmap-flipped.kdump');
      copyFileSync(set.kdump, copy);
      const { filePos, value } = firstDumpedByte(copy);
      const fd = openSync(copy, 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, filePos);
      assert.equal(b[0], value, 'the byte found through the stream records');
      b[0] = value & (value - 1); // its lowest set bit cleared: one page fewer marked dumped
      writeSync(fd, b, 0, 1, filePos);
      closeSync(fd);
      await assert.rejects(
        openVmcoreSnapshot([copy]),
        (e: unknown) =>
          e instanceof DumpError &&
          e.kind === 'corrupt' &&
          e.file === copy &&
          /bitmap2 has 1 fewer bits set than the table has descriptors/.test(e.message) &&
          /take or copy the dump again/i.test(e.hint ?? ''),
      );
      const original = await openVmcoreSnapshot([set.kdump]);
      assert.ok(original.endPfn > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
