// Decode worker of the kdump reader (a worker thread; bundled as kdumpDecodeWorker.js next to every bundle
// that opens dumps, see scripts/build.mjs). It opens the dump's files read-only itself and, for each job the
// reading thread posts, takes chunks of planned pages from the job's shared counter — the reading thread
// takes chunks of the same job — reads their compressed data at the file positions the plan gives
// (flattened streams are resolved by the reading thread) and decodes them into shared memory. Pages it
// cannot read or decode are only marked: the reading thread decodes them again and reports the damage.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import {
  CTRL_DONE,
  CTRL_NEXT,
  decodeChunk,
  DecodeWorkerData,
  FromDecodeWorker,
  GroupReader,
  jobLayout,
  OWNER_WORKER,
  ToDecodeWorker,
} from './kdumpChunks';

const port = parentPort;
if (!port) throw new Error('kdumpDecodeWorker must run in a worker thread');
const { files, pageSize } = workerData as DecodeWorkerData;
const send = (m: FromDecodeWorker) => port.postMessage(m);

let fds: number[] = [];
try {
  fds = files.map((f) => fs.openSync(f, 'r'));
} catch (e) {
  for (const fd of fds) fs.closeSync(fd);
  send({ type: 'fatal', message: `cannot open the dump: ${(e as Error).message}` });
  process.exit(1);
}

function readFull(fd: number, buf: Buffer, off: number, len: number, pos: number): boolean {
  let done = 0;
  while (done < len) {
    const n = fs.readSync(fd, buf, off + done, len - done, pos + done);
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

const read: GroupReader = (file, buf, _pos, len, plan, segAt, nSegs) => {
  const fd = fds[file];
  // gaps between a flattened stream's records read as zeros, like FlattenedSource.readIntoSparse
  if (!(nSegs === 1 && plan[segAt] === 0 && plan[segAt + 2] === len)) buf.fill(0, 0, len);
  for (let s = 0, at = segAt; s < nSegs; s++, at += 3)
    if (!readFull(fd, buf, plan[at], plan[at + 2], plan[at + 1])) return false;
  return true;
};

port.on('message', (m: ToDecodeWorker) => {
  if (m.type !== 'job') return;
  const t0 = performance.now();
  const L = jobLayout(m.nChunks, m.nPages, m.planLen);
  const ctrl = new Int32Array(m.ctrl, 0, 2);
  const owners = new Uint8Array(m.ctrl, L.owners, m.nChunks);
  const status = new Uint8Array(m.ctrl, L.status, m.nPages);
  const plan = new Float64Array(m.ctrl, L.plan, m.planLen);
  const target = Buffer.from(m.target, m.targetOff, m.nPages * pageSize);
  let took = 0,
    decoded = 0;
  for (let c: number; (c = Atomics.add(ctrl, CTRL_NEXT, 1)) < m.nChunks;) {
    took++;
    decoded += decodeChunk(plan, c, pageSize, read, target, status);
    Atomics.store(owners, c, OWNER_WORKER);
    Atomics.add(ctrl, CTRL_DONE, 1);
  }
  // only a job the worker took part in is waited for (the reading thread may have done all of it)
  if (took) send({ type: 'jobDone', id: m.id, decoded, busyMs: performance.now() - t0 });
});
send({ type: 'ready' });
