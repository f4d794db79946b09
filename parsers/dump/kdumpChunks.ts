// Decoding of planned kdump page data, shared by the reading thread and the decode worker
// (kdumpDecodeWorker.ts): a chunk is a short list of groups, each a run of pages whose compressed data
// lie back to back in one file of the dump; both threads take chunks of one job from a shared counter.
import { CodecUnavailableError, decodePageInto } from './codecs';

/** Per-page results of a job (a Uint8Array in shared memory, one byte per page of the request). */
export const ITEM_PENDING = 0,
  ITEM_OK = 1,
  ITEM_BAD = 2,
  ITEM_UNAVAILABLE = 3;

/**
 * A job's plan is a Float64Array in shared memory (no copy to the worker): nChunks + 1 start indices, then
 * the chunks. Encoding of one chunk:
 *   nGroups, then per group:
 *     file (index into the job's files), pos (logical offset in the kdump file), len,
 *     nSegs, nSegs × (offset in the group, position in the file the worker opens, length),
 *     nItems, nItems × (slot: page index in the request, compressed size, descriptor flags)
 * Segments say where a flattened stream keeps the bytes (gaps read as zeros); a plain file has one
 * segment (0, pos, len).
 */
export type Plan = Float64Array;

/** Reads a group's bytes into buf[0, len): true when every byte was read. */
export type GroupReader = (
  file: number,
  buf: Buffer,
  pos: number,
  len: number,
  plan: Plan,
  segAt: number,
  nSegs: number,
) => boolean;

let scratch = Buffer.alloc(0);

/**
 * Decodes every page of a chunk into target[slot * pageSize…] and sets status[slot]; returns how many
 * pages decoded. Pages whose data cannot be read or decoded are left for the reading thread, which
 * decodes them again through the ordinary path (so damage is reported exactly as without a worker).
 */
export function decodeChunk(
  plan: Plan,
  c: number,
  pageSize: number,
  read: GroupReader,
  target: Buffer,
  status: Uint8Array,
): number {
  let at = plan[c],
    decoded = 0;
  const nGroups = plan[at++];
  for (let g = 0; g < nGroups; g++) {
    const file = plan[at++],
      pos = plan[at++],
      len = plan[at++];
    const nSegs = plan[at++],
      segAt = at;
    at += nSegs * 3;
    const nItems = plan[at++];
    if (scratch.length < len) scratch = Buffer.alloc(Math.max(len, 1 << 18));
    let ok: boolean;
    try {
      ok = read(file, scratch, pos, len, plan, segAt, nSegs);
    } catch {
      ok = false;
    }
    let p = 0;
    for (let k = 0; k < nItems; k++, at += 3) {
      const slot = plan[at],
        size = plan[at + 1],
        flags = plan[at + 2];
      if (!ok) {
        status[slot] = ITEM_BAD;
        continue;
      }
      try {
        decodePageInto(scratch.subarray(p, p + size), flags, pageSize, target, slot * pageSize);
        status[slot] = ITEM_OK;
        decoded++;
      } catch (e) {
        status[slot] = e instanceof CodecUnavailableError ? ITEM_UNAVAILABLE : ITEM_BAD; // CodecError, or anything else: the reading thread decides
      }
      p += size;
    }
  }
  return decoded;
}

/** Control words of a job, at the start of its shared buffer (Int32): next chunk to take, chunks done. */
export const CTRL_NEXT = 0,
  CTRL_DONE = 1;
/** Byte layout of a job's shared buffer: control words, chunk owners, page statuses, then the plan (planLen doubles). */
export function jobLayout(nChunks: number, nPages: number, planLen: number) {
  const plan = Math.ceil((8 + nChunks + nPages) / 8) * 8;
  return { owners: 8, status: 8 + nChunks, plan, bytes: plan + planLen * 8 };
}
/** Who decoded a chunk (owners[c]): not yet, the reading thread, the worker. */
export const OWNER_NONE = 0,
  OWNER_MAIN = 1,
  OWNER_WORKER = 2;

/** Main thread → worker. */
export type ToDecodeWorker = {
  type: 'job';
  id: number;
  ctrl: SharedArrayBuffer;
  nChunks: number;
  nPages: number;
  planLen: number;
  /** Where the worker writes page slot 0 (shared memory): the caller's buffer itself or a staging buffer. */
  target: SharedArrayBuffer;
  targetOff: number;
};
/** Worker → main thread. */
export type FromDecodeWorker =
  | { type: 'ready' }
  | { type: 'jobDone'; id: number; decoded: number; busyMs: number }
  | { type: 'fatal'; message: string };

export interface DecodeWorkerData {
  files: string[];
  pageSize: number;
}
