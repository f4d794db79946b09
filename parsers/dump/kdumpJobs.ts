// Decoding a kdump's pages on two threads (KdumpDump.readPagesIntoAsync): the job planner.
//
// begin() starts a decode worker (kdumpDecodeWorker.ts) when the pass will decode enough pages for it
// to pay. Each request is then planned on the reading thread at once — descriptors, excluded, shared and
// damaged pages: the checks of readPagesInto — into chunks of a few pages whose data lie back to back,
// and the plan is posted to the worker, which starts taking chunks from the job's shared counter and
// decodes them into the caller's buffer (shared memory) or a staging buffer. The reading thread takes
// chunks of the same job only once its caller has yielded — the memmap pass classifies the previous
// section first — so the two threads share the decoding by how much time each has. Jobs complete on the
// reading thread in request order, and every page that could not be read or decoded there goes through
// the ordinary single-page path, so losses, warnings and their order are readPagesInto's.
import { ByteSource, FileSource } from './byteSource';
import {
  DUMP_DH_COMPRESSED_LZO,
  DUMP_DH_COMPRESSED_SNAPPY,
  DUMP_DH_COMPRESSED_ZLIB,
  DUMP_DH_COMPRESSED_ZSTD,
} from './codecs';
import { FlattenedSource } from './flattened';
import { DecodeWorkerMode, PageAvail } from './physmem';
import {
  CTRL_DONE,
  CTRL_NEXT,
  decodeChunk,
  GroupReader,
  ITEM_OK,
  ITEM_UNAVAILABLE,
  jobLayout,
  OWNER_MAIN,
  OWNER_NONE,
  OWNER_WORKER,
} from './kdumpChunks';
import { DECODE_WORKER_FILE, DecodeWorker, decodeWorkerLocation } from './kdumpParallel';

/** Pages per chunk: small enough that neither thread waits long for the other at the end of a job. */
const CHUNK_PAGES = 8;
/** Below this estimated one-thread decode time of a pass a worker does not pay: it starts in ~40-50 ms, and two threads decode ~1.4x as fast as one on this 2-vCPU machine. */
const MIN_PARALLEL_MS = 150;

/** Rough decode cost of one page of a dump in µs, with its read (measured on the lab dumps). */
function decodeCostUs(status: number): number {
  const s = status;
  return s & DUMP_DH_COMPRESSED_ZLIB
    ? 7
    : s & DUMP_DH_COMPRESSED_LZO
      ? 12
      : s & DUMP_DH_COMPRESSED_ZSTD
        ? 30
        : s & DUMP_DH_COMPRESSED_SNAPPY
          ? 15
          : 0;
}

/** What the planner uses of the dump (KdumpDump): its files, descriptors and single-page paths. */
export interface KdumpJobHost {
  readonly pageSize: number;
  /** The dump's files in PFN order (a split set has several). */
  sources(): ByteSource[];
  /** "zlib", "lzo", …, for the notes. */
  readonly compression: string;
  /** The header's status word (DUMP_DH_COMPRESSED_*). */
  readonly status: number;
  /** Whether the reading thread takes chunks of a job too (KdumpDump.readingThreadShares, a test seam). */
  readonly readingThreadShares: boolean;
  /** KdumpDump.descriptorRuns: runs of Data pages of one file with their descriptors; other pages zeroed and marked. */
  descriptorRuns(
    pfn: number,
    count: number,
    out: Buffer,
    outOff: number,
    avail: Uint8Array,
    availOff: number,
    onRun: (i: number, n: number, partIndex: number, d: Buffer | undefined) => void,
  ): void;
  /** Decoded pages of recently seen shared data offsets of one file. */
  sharedOf(src: ByteSource): Map<number, Buffer>;
  /** Whether [offset, offset + size) of src is in the file (and was written). */
  dataReadable(src: ByteSource, offset: number, size: number): boolean;
  /** The one-thread path for a whole request. */
  readPagesInto(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): void;
  /** One page through loadPage. */
  readOne(pfn: number, out: Buffer, at: number, avail: Uint8Array, ai: number): void;
  /** One page from its descriptor, damage accounted, shared pages remembered. */
  decodeOne(
    pfn: number,
    offset: number,
    size: number,
    flags: number,
    src: ByteSource,
    out: Buffer,
    at: number,
    avail: Uint8Array,
    ai: number,
  ): void;
  /** A page decoded alone, remembered in case another descriptor points at the same data. */
  rememberShared(src: ByteSource, offset: number, out: Buffer, at: number): void;
  /** Counts a page decoded (by either thread) in the dump's stats. */
  countDecoded(): void;
}

/** What a page of a request needs (KdumpJob.kind): nothing more, decoding (in a chunk), the single-page path, loadPage. */
const K_DONE = 0,
  K_DECODE = 1,
  K_SINGLE = 2,
  K_LOAD = 3;

/** One readPagesIntoAsync request, planned (KdumpJobs.plan). */
interface KdumpJob {
  pfn: number;
  count: number;
  out: Buffer;
  outOff: number;
  avail: Uint8Array;
  availOff: number;
  /** per page: K_*, its part and descriptor (data offset, size, flags), its chunk (K_DECODE) */
  kind: Uint8Array;
  part: Uint16Array;
  off: Float64Array;
  size: Uint32Array;
  flags: Uint32Array;
  chunkOf: Int32Array;
  /** K_DECODE pages alone in their group: remembered as possibly shared, like readPagesInto's single pages */
  single: Uint8Array;
  /** the chunks (kdumpChunks.ts), in the job's shared buffer with its control words, chunk owners and page statuses */
  plan: Float64Array;
  nChunks: number;
  ctrl: Int32Array;
  owners: Uint8Array;
  status: Uint8Array;
  /** the worker the job was posted to and its id there (none: this thread decodes it all) */
  worker?: DecodeWorker;
  id: number;
  /** where the worker put its pages when the caller's buffer is not shared memory */
  staging?: Buffer;
}

/** A group of pages of one chunk whose data lie back to back in one file. */
interface Group {
  file: number;
  pos: number;
  len: number;
  first: number;
  n: number;
}

/** The chunks of a job being planned, in the flat form the worker reads (kdumpChunks.ts). */
class ChunkPlan {
  private groups: Group[] = [];
  private inChunk = 0;
  readonly body: number[] = [];
  readonly starts: number[] = [];

  constructor(
    private readonly job: KdumpJob,
    private readonly sources: ByteSource[],
  ) {}

  /** Adds page i (data at pos, size bytes of file) to the chunk being built; closes it when full. */
  add(i: number, file: number, pos: number, size: number): void {
    const g = this.groups[this.groups.length - 1];
    if (g && g.file === file && g.pos + g.len === pos) {
      g.len += size;
      g.n++;
    } else this.groups.push({ file, pos, len: size, first: i, n: 1 });
    if (++this.inChunk === CHUNK_PAGES) this.close();
  }

  close(): void {
    if (!this.inChunk) return;
    const { job, body } = this;
    const c = this.starts.length;
    this.starts.push(body.length);
    body.push(this.groups.length);
    for (const g of this.groups) {
      const src = this.sources[g.file];
      const segs = src instanceof FlattenedSource ? src.fileSegments(g.pos, g.len) : [0, g.pos, g.len];
      body.push(g.file, g.pos, g.len, segs.length / 3);
      for (const x of segs) body.push(x);
      body.push(g.n);
      // the group's pages are consecutive K_DECODE pages of the request
      for (let i = g.first, k = 0; k < g.n; i++) {
        if (job.kind[i] !== K_DECODE || job.chunkOf[i] !== -1) continue;
        body.push(i, job.size[i], job.flags[i]);
        job.chunkOf[i] = c;
        k++;
      }
      if (g.n === 1) job.single[g.first] = 1;
    }
    this.groups = [];
    this.inChunk = 0;
  }
}

/** The two-thread decoding of one dump: its worker, its jobs in flight and the notes of the last pass. */
export class KdumpJobs {
  private worker?: DecodeWorker;
  /** Provenance notes of the last pass: why it decoded on one thread, or what the worker did. */
  private notes: string[] = [];
  private pass?: { planned: number; mainPages: number; jobs: number };
  /** Completion of the last request: requests complete in order. */
  private chain: Promise<void> = Promise.resolve();
  private stagingPool: SharedArrayBuffer[] = [];

  constructor(private readonly host: KdumpJobHost) {}

  /** The decode worker of the pass, while one runs. */
  get currentWorker(): DecodeWorker | undefined {
    return this.worker;
  }

  begin(pages: number, mode?: DecodeWorkerMode): void {
    if (this.worker) return;
    this.notes = [];
    const env = process.env.KMEMMAP_DECODE_WORKER;
    mode ??= env === '0' || env === 'never' ? 'never' : env === '1' || env === 'always' ? 'always' : 'auto';
    const single = (why: string) => {
      this.notes.push(`kdump pages decoded on one thread: ${why}`);
    };
    if (mode === 'never') return single('decode worker turned off');
    const estMs = (pages * decodeCostUs(this.host.status)) / 1000;
    if (mode === 'auto' && estMs < MIN_PARALLEL_MS) {
      return single(
        `~${pages} memmap pages (${this.host.compression}, ~${estMs.toFixed(0)} ms to decode) do not pay for a decode worker`,
      );
    }
    const sources = this.host.sources();
    if (!sources.every((s) => s instanceof FileSource || s instanceof FlattenedSource))
      return single('the dump is not read from files');
    const file = decodeWorkerLocation.find();
    if (!file) return single(`the decode worker ${DECODE_WORKER_FILE} is missing next to ${__dirname}`);
    try {
      this.worker = new DecodeWorker(file, { files: sources.map((s) => s.name), pageSize: this.host.pageSize });
    } catch (e) {
      return single(`the decode worker did not start: ${(e as Error)?.message ?? e}`);
    }
    this.pass = { planned: 0, mainPages: 0, jobs: 0 };
  }

  async end(): Promise<string[]> {
    await this.chain;
    const w = this.worker,
      pass = this.pass;
    this.worker = undefined;
    this.pass = undefined;
    this.stagingPool = [];
    if (w && pass) {
      await w.terminate();
      this.notes.push(
        `kdump pages decoded on two threads: the decode worker decoded ${w.workerPages} of ${pass.planned} pages ` +
          `(${pass.jobs} jobs; ready after ${w.readyMs === undefined ? '—' : `${w.readyMs.toFixed(0)} ms`}, busy ${w.workerBusyMs.toFixed(0)} ms), this thread ${pass.mainPages}` +
          (w.died ? `; ${w.died}, this thread decoded the rest` : ''),
      );
    }
    return this.notes;
  }

  /** Stops the worker (the dump is closed). */
  stop(): void {
    if (this.worker) {
      void this.worker.terminate();
      this.worker = undefined;
    }
  }

  read(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): Promise<void> {
    const prev = this.chain;
    let job: KdumpJob | undefined;
    try {
      if (this.worker?.usable) job = this.plan(pfn, count, out, outOff, avail, availOff);
    } catch (e) {
      return Promise.reject(e);
    }
    const done = (async () => {
      await undefined; // the caller goes on (classifies) before this thread decodes its share
      if (!job) {
        await prev;
        this.host.readPagesInto(pfn, count, out, outOff, avail, availOff);
        return;
      }
      if (this.host.readingThreadShares) this.decodeShare(job);
      if (job.worker && Atomics.load(job.ctrl, CTRL_DONE) < job.nChunks) {
        await job.worker.wait(job.id);
        if (Atomics.load(job.ctrl, CTRL_DONE) < job.nChunks) this.decodeShare(job, true); // the worker died on the job
      }
      await prev;
      this.complete(job);
    })();
    this.chain = done.catch(() => undefined);
    return done;
  }

  /** What each page of a request needs, decided before any decoding; posts the job to the worker. */
  private plan(pfn: number, count: number, out: Buffer, outOff: number, avail: Uint8Array, availOff: number): KdumpJob {
    const host = this.host,
      ps = host.pageSize,
      sources = host.sources();
    const job: KdumpJob = {
      pfn,
      count,
      out,
      outOff,
      avail,
      availOff,
      kind: new Uint8Array(count),
      part: new Uint16Array(count),
      off: new Float64Array(count),
      size: new Uint32Array(count),
      flags: new Uint32Array(count),
      chunkOf: new Int32Array(count),
      single: new Uint8Array(count),
      plan: new Float64Array(0),
      nChunks: 0,
      id: 0,
      ctrl: new Int32Array(0),
      owners: new Uint8Array(0),
      status: new Uint8Array(0),
    };
    const chunks = new ChunkPlan(job, sources);
    job.chunkOf.fill(-1);
    let planned = 0;
    host.descriptorRuns(pfn, count, out, outOff, avail, availOff, (i0, n, pi, d) => {
      if (!d) {
        job.kind.fill(K_LOAD, i0, i0 + n);
        return;
      }
      const src = sources[pi];
      const shared = host.sharedOf(src);
      for (let j = 0, i = i0; j < n; j++, i++) {
        const offset = Number(d.readBigInt64LE(j * 24)),
          size = d.readUInt32LE(j * 24 + 8),
          flags = d.readUInt32LE(j * 24 + 12);
        job.part[i] = pi;
        job.off[i] = offset;
        job.size[i] = size;
        job.flags[i] = flags;
        if (
          offset <= 0 ||
          size === 0 ||
          size > ps * 2 ||
          !Number.isSafeInteger(offset + size) ||
          !host.dataReadable(src, offset, size)
        ) {
          job.kind[i] = K_SINGLE; // empty, corrupt or missing: the single-page path says what is lost
          continue;
        }
        const memo = shared.get(offset);
        if (memo) {
          memo.copy(out, outOff + i * ps);
          avail[availOff + i] = PageAvail.Data;
          job.kind[i] = K_DONE;
          continue;
        }
        job.kind[i] = K_DECODE;
        planned++;
        chunks.add(i, pi, offset, size);
      }
    });
    chunks.close();
    this.layOut(job, chunks);
    this.post(job);
    if (this.pass) this.pass.planned += planned;
    return job;
  }

  /** The job's shared buffer: control words, chunk owners, page statuses and the plan (kdumpChunks.ts jobLayout). */
  private layOut(job: KdumpJob, chunks: ChunkPlan): void {
    const { body, starts } = chunks;
    const nChunks = (job.nChunks = starts.length),
      planLen = nChunks + 1 + body.length;
    const L = jobLayout(nChunks, job.count, planLen);
    const shared = new SharedArrayBuffer(L.bytes);
    job.ctrl = new Int32Array(shared, 0, 2);
    job.owners = new Uint8Array(shared, L.owners, nChunks);
    job.status = new Uint8Array(shared, L.status, job.count);
    const plan = (job.plan = new Float64Array(shared, L.plan, planLen));
    for (let c = 0; c < nChunks; c++) plan[c] = nChunks + 1 + starts[c];
    plan[nChunks] = planLen;
    plan.set(body, nChunks + 1);
  }

  /** Posts a job of two chunks or more to the worker. */
  private post(job: KdumpJob): void {
    const w = this.worker,
      ps = this.host.pageSize,
      { out, outOff, count, nChunks } = job;
    if (nChunks < 2 || !w?.usable) return;
    // the worker writes into the caller's buffer when it is shared memory, else into a staging buffer
    let target: SharedArrayBuffer,
      targetOff = 0;
    if (out.buffer instanceof SharedArrayBuffer) {
      target = out.buffer;
      targetOff = out.byteOffset + outOff;
    } else {
      const k = this.stagingPool.findIndex((b) => b.byteLength >= count * ps);
      target = k >= 0 ? this.stagingPool.splice(k, 1)[0] : new SharedArrayBuffer(Math.max(count * ps, 512 * ps));
      job.staging = Buffer.from(target, 0, count * ps);
    }
    job.worker = w;
    job.id = w.post({
      ctrl: job.ctrl.buffer as SharedArrayBuffer,
      nChunks,
      nPages: count,
      planLen: job.plan.length,
      target,
      targetOff,
    });
    if (this.pass) this.pass.jobs++;
  }

  /** This thread's share of a job: chunks it takes from the shared counter (or, orphans, those the worker left when it died). */
  private decodeShare(job: KdumpJob, orphans = false): void {
    const ps = this.host.pageSize,
      sources = this.host.sources();
    const target = job.out.subarray(job.outOff, job.outOff + job.count * ps);
    const read: GroupReader = (file, buf, pos, len) => sources[file].readInto(buf, 0, len, pos) === len;
    const one = (c: number) => {
      const n = decodeChunk(job.plan, c, ps, read, target, job.status);
      if (this.pass) this.pass.mainPages += n;
      Atomics.store(job.owners, c, OWNER_MAIN);
      Atomics.add(job.ctrl, CTRL_DONE, 1);
    };
    if (orphans) {
      for (let c = 0; c < job.nChunks; c++) if (Atomics.load(job.owners, c) === OWNER_NONE) one(c);
      return;
    }
    for (let c: number; (c = Atomics.add(job.ctrl, CTRL_NEXT, 1)) < job.nChunks;) one(c);
  }

  /** Completes a job in page order: the worker's pages from staging; pages that need it take the single-page path. */
  private complete(job: KdumpJob): void {
    const host = this.host,
      ps = host.pageSize,
      sources = host.sources(),
      { out, outOff, avail, availOff, pfn } = job;
    let unavailable = false;
    for (let i = 0; i < job.count; i++) {
      const kind = job.kind[i];
      if (kind === K_DONE) continue;
      const at = outOff + i * ps;
      if (kind === K_LOAD) {
        host.readOne(pfn + i, out, at, avail, availOff + i);
        continue;
      }
      const src = sources[job.part[i]];
      if (kind === K_DECODE && job.status[i] === ITEM_OK) {
        if (job.staging && job.owners[job.chunkOf[i]] === OWNER_WORKER) job.staging.copy(out, at, i * ps, (i + 1) * ps);
        avail[availOff + i] = PageAvail.Data;
        host.countDecoded();
        if (job.single[i]) host.rememberShared(src, job.off[i], out, at);
        continue;
      }
      if (job.status[i] === ITEM_UNAVAILABLE) unavailable = true;
      // K_SINGLE, or a page that did not read or decode: as readPagesInto would take it
      host.decodeOne(pfn + i, job.off[i], job.size[i], job.flags[i], src, out, at, avail, availOff + i);
    }
    if (job.staging && this.stagingPool.length < 4) this.stagingPool.push(job.staging.buffer as SharedArrayBuffer);
    if (unavailable && job.worker?.usable) {
      this.notes.push(
        'the decode worker could not load a decoder this thread has: later pages decoded on this thread only',
      );
      void job.worker.terminate();
    }
  }
}
