// Decoding kdump pages fast: zlib pages inflate through one reused handle straight into the caller's
// buffer (codecs.ts), with exactly inflateSync's results and errors.
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { CodecError, decodePage, decodePageInto, DUMP_DH_COMPRESSED_ZLIB, zlibFastPath } from '../../../parsers/dump/codecs';

const PS = 4096;

/** What decodePage gave for a zlib page before the fast path: the page, or the CodecError's message. */
function viaInflateSync(data: Buffer): Buffer | string {
  let out: Buffer;
  try { out = zlib.inflateSync(data, { maxOutputLength: PS }); } catch (e) { return `page data does not decompress: ${(e as Error).message}`; }
  return out.length === PS ? out : `page decompressed to ${out.length} bytes, expected ${PS}`;
}

function outcome(f: () => Buffer): Buffer | string {
  try { return f(); } catch (e) { assert.ok(e instanceof CodecError, `not a CodecError: ${e}`); return e.message; }
}

describe('zlib pages: the reused-handle fast path gives inflateSync\'s results', () => {
  const page = Buffer.alloc(PS);
  for (let i = 0; i < PS; i++) page[i] = (i * 7) & 0x3f ^ (i >> 9);
  const good = zlib.deflateSync(page);
  const cases: [string, Buffer][] = [
    ['a page', good],
    ['a page, level 1', zlib.deflateSync(page, { level: 1 })],
    ['a zero page', zlib.deflateSync(Buffer.alloc(PS))],
    ['a page with trailing bytes', Buffer.concat([good, Buffer.from('trailing garbage')])],
    ['a page without its checksum', good.subarray(0, good.length - 4)],
    ['a page missing the last checksum byte', good.subarray(0, good.length - 1)],
    ['half a page\'s stream', good.subarray(0, good.length >> 1)],
    ['a short page', zlib.deflateSync(page.subarray(0, 4000))],
    ['one byte more than a page', zlib.deflateSync(Buffer.concat([page, Buffer.from([1])]))],
    ['two pages', zlib.deflateSync(Buffer.concat([page, page]))],
    ['no zlib header', Buffer.from('not zlib at all, just text')],
    ['a bad block', Buffer.concat([good.subarray(0, 2), Buffer.alloc(40, 0xff)])],
    ['a flipped byte', (() => { const b = Buffer.from(good); b[b.length >> 1] ^= 0x55; return b; })()],
    ['nothing', Buffer.alloc(0)],
  ];

  it('is in use on this Node', () => assert.ok(zlibFastPath()));

  for (const [name, data] of cases) {
    it(name, () => {
      const want = viaInflateSync(data);
      const got = outcome(() => decodePage(data, DUMP_DH_COMPRESSED_ZLIB, PS));
      assert.deepEqual(got, want);
      // into a buffer at an offset, also in shared memory (the decode worker writes there); neighbours untouched
      for (const mem of [Buffer.alloc(3 * PS, 0xee), Buffer.from(new SharedArrayBuffer(3 * PS)).fill(0xee)]) {
        const r = outcome(() => { decodePageInto(data, DUMP_DH_COMPRESSED_ZLIB, PS, mem, PS); return mem.subarray(PS, 2 * PS); });
        assert.deepEqual(typeof r === 'string' ? r : Buffer.from(r), want);
        assert.ok(mem.subarray(0, PS).every((x) => x === 0xee) && mem.subarray(2 * PS).every((x) => x === 0xee), 'wrote outside its page');
      }
    });
  }

  it('keeps working after errors, and mixed with other pages', () => {
    const out = Buffer.alloc(PS);
    for (let k = 0; k < 50; k++) {
      assert.throws(() => decodePageInto(cases[10][1], DUMP_DH_COMPRESSED_ZLIB, PS, out, 0), CodecError);
      assert.throws(() => decodePageInto(cases[6][1], DUMP_DH_COMPRESSED_ZLIB, PS, out, 0), CodecError);
      decodePageInto(good, DUMP_DH_COMPRESSED_ZLIB, PS, out, 0);
      assert.ok(out.equals(page));
    }
  });
});
