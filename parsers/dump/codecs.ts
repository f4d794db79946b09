// Page decompression for kdump-compressed dumps: zlib via Node, snappy via snappyjs and zstd via fzstd
// (both pure JS), LZO via lzo-wasm — FFmpeg's av_lzo1x_decode compiled to WebAssembly (the npm
// package's glue is BSD-2-Clause; its lzo-wasm.wasm is FFmpeg code under the LGPL-2.1+ and ships as a
// separate, replaceable file next to our bundles, see scripts/build.mjs and README). The wasm is only
// loaded when a dump has LZO pages (prepareLzo at open time, else on the first LZO page), synchronously,
// so decodePage stays a synchronous per-page call.
import * as zlib from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress as zstdDecompress } from 'fzstd';
import { uncompress as snappyUncompress } from 'snappyjs';
import createLzoModule, { type LzoWasmModule, type LzoWasmModuleArg } from 'lzo-wasm/lzo-wasm.js';

export const DUMP_DH_COMPRESSED_ZLIB = 0x1;
export const DUMP_DH_COMPRESSED_LZO = 0x2;
export const DUMP_DH_COMPRESSED_SNAPPY = 0x4;
export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8;
export const DUMP_DH_EXCLUDED_VMEMMAP = 0x10;
export const DUMP_DH_COMPRESSED_ZSTD = 0x20;

/** The page's data is bad: it does not decompress to one page. */
export class CodecError extends Error {}
/** A decoder cannot be used at all (not the page's fault): the whole dump cannot be read. */
export class CodecUnavailableError extends CodecError {}

const LZO_WASM = 'lzo-wasm.wasm';
/** av_lzo1x_decode may read this many bytes past the input (AV_LZO_INPUT_PADDING). */
const LZO_INPUT_PADDING = 8;
/** lzo-wasm's decompress() mallocs outputLen + AV_LZO_OUTPUT_PADDING for its output. */
const LZO_OUTPUT_PADDING = 12;
/**
 * lzo-wasm's decompress() throws from inside the wasm on bad data, leaking its output buffer (~4 KiB)
 * and a few bytes of wasm stack in a fixed 32 MiB memory: after this many failures the decoder starts
 * a fresh instance (~2 ms).
 */
const LZO_MAX_FAILURES = 256;

/** The decoder's wasm: next to the running bundle (out/extension, out/cli, ...), else in node_modules. */
function lzoWasmPath(): string | undefined {
  const candidates = [join(__dirname, LZO_WASM)];
  try {
    candidates.push(require.resolve(`lzo-wasm/${LZO_WASM}`));
  } catch {
    /* package not installed */
  }
  return candidates.find((p) => existsSync(p));
}

class LzoDecoder {
  private m!: LzoWasmModule;
  private dec!: (input: number, inputLen: number, outputLen: number) => number;
  private inPtr = 0;
  private inCap = 0;
  private failures = 0;
  /** Instances started so far (1 + restarts after LZO_MAX_FAILURES failures). */
  instances = 0;
  /** Decodes whose output block was not the one pre-filled with the sentinel (short output not checked). */
  unprobed = 0;

  constructor(private readonly wasm: WebAssembly.Module) {
    this.start();
  }

  /** A fresh Emscripten instance, synchronously: we instantiate the compiled module ourselves. */
  private start(): void {
    const arg: LzoWasmModuleArg = {
      instantiateWasm: (imports, receive) => {
        const inst = new WebAssembly.Instance(this.wasm, imports);
        receive(inst, this.wasm);
        return inst.exports;
      },
      print: () => undefined,
      printErr: () => undefined,
    };
    createLzoModule(arg).catch(() => undefined);
    const m = arg as unknown as LzoWasmModule;
    if (typeof m._malloc !== 'function' || typeof m.cwrap !== 'function' || !m.HEAPU8) {
      throw new CodecUnavailableError('the LZO decoder (lzo-wasm) did not start');
    }
    this.m = m;
    this.dec = m.cwrap('decompress', 'number', ['number', 'number', 'number']);
    this.inPtr = 0;
    this.inCap = 0;
    this.failures = 0;
    this.instances++;
  }

  /**
   * Decodes one LZO1X block into outLen bytes. lzo-wasm's decompress() does not report how many bytes
   * it wrote, so a stream that ends cleanly but early would leave the rest of its (reused, uncleared)
   * output buffer as stale bytes. We catch that with a sentinel: decompress() mallocs its output right
   * after we freed a block of the same size, which the allocator hands back; we fill that block first,
   * and a page whose last byte is still the sentinel is decoded again over a second sentinel — if that
   * last byte changes with it, the output was short. (When the allocator hands out another block, which
   * it has not been seen to do, the check is skipped.)
   */
  decode(data: Uint8Array, outLen: number): Buffer {
    const a = this.decodeOver(data, outLen, 0xa5);
    if (a.probed && a.out[outLen - 1] === 0xa5) {
      const b = this.decodeOver(data, outLen, 0x5a);
      if (b.probed && b.out[outLen - 1] === 0x5a)
        throw new CodecError(`LZO data decompressed to fewer than ${outLen} bytes`);
    }
    return a.out;
  }

  /** One decode with the output block pre-filled with sentinel where the allocator will put it. */
  private decodeOver(data: Uint8Array, outLen: number, sentinel: number): { out: Buffer; probed: boolean } {
    const need = data.length + LZO_INPUT_PADDING;
    if (need > this.inCap) {
      if (this.inPtr) this.m._free(this.inPtr);
      this.inCap = Math.max(need, 2 * 4096 + LZO_INPUT_PADDING);
      this.inPtr = this.m._malloc(this.inCap);
      if (!this.inPtr) {
        this.inCap = 0;
        throw new CodecUnavailableError('the LZO decoder is out of memory');
      }
    }
    const heap = this.m.HEAPU8;
    heap.set(data, this.inPtr);
    heap.fill(0, this.inPtr + data.length, this.inPtr + need);
    const probe = this.m._malloc(outLen + LZO_OUTPUT_PADDING);
    if (probe) {
      heap.fill(sentinel, probe, probe + outLen);
      this.m._free(probe);
    }
    let outPtr: number;
    try {
      outPtr = this.dec(this.inPtr, data.length, outLen);
    } catch (e) {
      const bad = e instanceof Error && e.message === 'Failed to decompress';
      if (!bad || ++this.failures >= LZO_MAX_FAILURES) this.start();
      throw new CodecError(
        bad ? 'LZO data does not decompress' : `LZO decoder failed (${(e as Error)?.message ?? e}); restarted it`,
      );
    }
    if (!outPtr) throw new CodecUnavailableError('the LZO decoder is out of memory');
    const out = Buffer.from(heap.subarray(outPtr, outPtr + outLen));
    this.m._free(outPtr);
    // not the block we filled: a short output cannot be told from data; the bytes are taken as they are
    if (outPtr !== probe) this.unprobed++;
    return { out, probed: outPtr === probe };
  }
}

let lzo: LzoDecoder | undefined;
let lzoProblem: string | undefined;

/**
 * Loads the LZO decoder once per process (~5 ms); returns undefined when it is ready, else why it cannot
 * be used. Call it when a dump says it holds LZO pages, so dumps without them never load the wasm.
 */
export function prepareLzo(): string | undefined {
  if (lzo) return undefined;
  if (lzoProblem) return lzoProblem;
  try {
    const p = lzoWasmPath();
    if (!p) throw new Error(`${LZO_WASM} is neither next to ${__dirname} nor in node_modules/lzo-wasm`);
    lzo = new LzoDecoder(new WebAssembly.Module(readFileSync(p)));
  } catch (e) {
    lzoProblem = `the LZO decoder could not be loaded: ${(e as Error)?.message ?? e}`;
  }
  return lzoProblem;
}

/**
 * For tests and benchmarks: LZO decoder instances started in this process (0: never loaded) and decodes
 * whose short-output check could not run.
 */
export function lzoStats(): { instances: number; unprobed: number } {
  return { instances: lzo?.instances ?? 0, unprobed: lzo?.unprobed ?? 0 };
}

/**
 * zlib inflate of a page straight into the caller's buffer through one reused native handle. Node's
 * inflateSync builds a stream object, a handle and output buffers per call: three quarters of the cost
 * of a 4 KiB page (~17 µs of ~23 µs on the lab dumps). This uses node's zlib internals (`_handle.reset`,
 * `_handle.writeSync`, `_writeState`, unchanged since Node 10), checks them once on a known page, and
 * whenever it does not end with exactly one page and the end of the stream — errors included — the
 * caller decodes the page again with inflateSync, so results and error messages are inflateSync's.
 */
class ZlibInto {
  private readonly engine: zlib.Inflate;
  private readonly handle: {
    reset(): void;
    writeSync(
      flush: number,
      inp: Uint8Array,
      inOff: number,
      inLen: number,
      out: Uint8Array,
      outOff: number,
      outLen: number,
    ): void;
    onerror: unknown;
  };
  private readonly state: Uint32Array;
  private failed = false;
  private readonly tail = Buffer.alloc(64);

  constructor() {
    this.engine = new zlib.Inflate();
    const e = this.engine as unknown as { _handle?: ZlibInto['handle']; _writeState?: unknown };
    const h = e._handle;
    if (
      !h ||
      typeof h.reset !== 'function' ||
      typeof h.writeSync !== 'function' ||
      !(e._writeState instanceof Uint32Array)
    )
      throw new Error('zlib internals not as expected');
    this.handle = h;
    this.state = e._writeState;
    h.onerror = () => {
      this.failed = true;
    };
    // once, on a known page
    const page = Buffer.alloc(4096);
    for (let i = 0; i < page.length; i++) page[i] = (i * 131) >>> 3;
    const z = zlib.deflateSync(page),
      out = Buffer.alloc(4096);
    if (!this.inflate(z, out, 0, 4096) || !out.equals(page) || this.inflate(z.subarray(0, z.length - 3), out, 0, 4096))
      throw new Error('zlib internals do not behave as expected');
  }

  /** Whether data inflated to exactly out[off, off + len) and the stream ended there. */
  inflate(data: Uint8Array, out: Uint8Array, off: number, len: number): boolean {
    const h = this.handle,
      st = this.state;
    this.failed = false;
    h.reset();
    h.writeSync(zlib.constants.Z_FINISH, data, 0, data.length, out, off, len);
    if (this.failed || st[0] !== 0) return false; // an error, or fewer bytes than a page
    // the page is full: the stream must end here (inflateSync reads on and fails on more output)
    const rest = st[1];
    h.writeSync(zlib.constants.Z_FINISH, data, data.length - rest, rest, this.tail, 0, this.tail.length);
    return !this.failed && st[0] === this.tail.length;
  }
}

/** The fast zlib path of this thread: undefined until first used, null when node's internals do not fit. */
let zlibInto: ZlibInto | null | undefined;
function fastZlib(): ZlibInto | null {
  if (zlibInto === undefined) {
    try {
      zlibInto = new ZlibInto();
    } catch {
      zlibInto = null;
    }
  }
  return zlibInto;
}

/** For tests and benchmarks: whether zlib pages are inflated through the reused handle. */
export function zlibFastPath(): boolean {
  return fastZlib() !== null;
}

/**
 * Decodes one page into out[off, off + pageSize); throws like decodePage (on a CodecError the bytes
 * there are undefined).
 */
export function decodePageInto(data: Buffer, flags: number, pageSize: number, out: Uint8Array, off: number): void {
  if (flags & DUMP_DH_COMPRESSED_ZLIB) {
    const z = fastZlib();
    if (z && z.inflate(data, out, off, pageSize)) return;
  }
  out.set(decodePage(data, flags, pageSize, true), off);
}

/** Decodes one page; the result is exactly pageSize bytes (the input itself when it is stored raw). */
export function decodePage(data: Buffer, flags: number, pageSize: number, slow = false): Buffer {
  if (!slow && flags & DUMP_DH_COMPRESSED_ZLIB) {
    const z = fastZlib(),
      page = Buffer.allocUnsafe(pageSize);
    if (z && z.inflate(data, page, 0, pageSize)) return page;
  }
  let out: Buffer;
  try {
    if (flags & DUMP_DH_COMPRESSED_ZLIB) out = zlib.inflateSync(data, { maxOutputLength: pageSize });
    else if (flags & DUMP_DH_COMPRESSED_LZO) {
      const problem = prepareLzo();
      if (problem) throw new CodecUnavailableError(problem);
      out = lzo!.decode(data, pageSize);
    } else if (flags & DUMP_DH_COMPRESSED_ZSTD) out = Buffer.from(zstdDecompress(data, new Uint8Array(pageSize)));
    else if (flags & DUMP_DH_COMPRESSED_SNAPPY) out = Buffer.from(snappyUncompress(data, pageSize) as Uint8Array);
    else if (flags === 0 && data.length === pageSize) out = data;
    else throw new CodecError(`unknown page compression flags 0x${flags.toString(16)} with ${data.length} bytes`);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`page data does not decompress: ${(e as Error).message}`);
  }
  if (out.length !== pageSize) throw new CodecError(`page decompressed to ${out.length} bytes, expected ${pageSize}`);
  return out;
}
