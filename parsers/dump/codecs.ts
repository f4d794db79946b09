// Page decompression for kdump-compressed dumps. zlib via Node; snappy via snappyjs; zstd via fzstd
// (both pure JS). LZO: no maintained pure-JS lzo1x decoder exists on npm (`lzo`/`lzo-decompress` are
// native addons), so LZO pages are reported with a clear error instead of a hand-written codec.
import * as zlib from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { uncompress as snappyUncompress } from 'snappyjs';

export const DUMP_DH_COMPRESSED_ZLIB = 0x1;
export const DUMP_DH_COMPRESSED_LZO = 0x2;
export const DUMP_DH_COMPRESSED_SNAPPY = 0x4;
export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8;
export const DUMP_DH_EXCLUDED_VMEMMAP = 0x10;
export const DUMP_DH_COMPRESSED_ZSTD = 0x20;

export class CodecError extends Error {}

/** Decodes one page; the result must be exactly pageSize bytes. */
export function decodePage(data: Buffer, flags: number, pageSize: number): Buffer {
  let out: Buffer;
  try {
    if (flags & DUMP_DH_COMPRESSED_ZLIB) out = zlib.inflateSync(data, { maxOutputLength: pageSize });
    else if (flags & DUMP_DH_COMPRESSED_ZSTD) out = Buffer.from(zstdDecompress(data, new Uint8Array(pageSize)));
    else if (flags & DUMP_DH_COMPRESSED_SNAPPY) out = Buffer.from(snappyUncompress(data, pageSize) as Uint8Array);
    else if (flags & DUMP_DH_COMPRESSED_LZO) {
      throw new CodecError('page is LZO-compressed; LZO is not supported (no maintained pure-JS lzo1x decoder). ' +
        'Convert the dump: `makedumpfile -c` (zlib) or `makedumpfile -z` (zstd) from the original, or `-d 31 -E` for ELF');
    } else if (flags === 0 && data.length === pageSize) out = data;
    else throw new CodecError(`unknown page compression flags 0x${flags.toString(16)} with ${data.length} bytes`);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`page data does not decompress: ${(e as Error).message}`);
  }
  if (out.length !== pageSize) throw new CodecError(`page decompressed to ${out.length} bytes, expected ${pageSize}`);
  return out;
}
