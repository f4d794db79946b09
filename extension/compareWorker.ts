// Worker thread that compares two snapshots off the extension host's main thread: reads a, then b
// (with the same readers as the parse worker), runs the diff engine (memmap/snapshotDiff.ts), and
// keeps both snapshots and the diff's runs to answer the diff panel: both sides' class bytes of a
// PFN range, both sides of a page, the next changed page. The host gets no per-PFN array.

import { parentPort } from 'node:worker_threads';
import { openSnapshot } from '../memmap/open';
import type { Snapshot } from '../memmap/snapshot';
import { diffSnapshots, outsideClass, type SnapshotDiff } from '../memmap/snapshotDiff';
import { summaryJson } from '../memmap/summaryJson';
import { CLASS_ID } from '../kernel/pageClasses';
import { basicPageDetail } from './basicPageDetail';
import type { CompareInput, FromCompareWorker, ToCompareWorker } from './compareMessages';
import { diffSections, sideBytes, type SideBytes } from './diffSections';
import { failureReport } from './failureReport';

const port = parentPort;
if (!port) throw new Error('compareWorker must run in a worker thread');

const abort = new AbortController();
let sides: { a: Snapshot; b: Snapshot; va: SideBytes; vb: SideBytes } | undefined;
let runs: SnapshotDiff['runs'] = [];
const send = (msg: FromCompareWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

async function read(input: CompareInput, side: 'a' | 'b'): Promise<Snapshot> {
  let last = 0;
  return openSnapshot(
    input.path,
    {
      signal: abort.signal,
      onProgress(done, total) {
        const now = performance.now();
        if (now - last < 100 && done < total) return;
        last = now;
        send({ type: 'progress', side, done, total });
      },
    },
    input.extraPaths,
  );
}

async function open(a: CompareInput, b: CompareInput): Promise<void> {
  const t0 = performance.now();
  let current = a.path;
  try {
    const sa = await read(a, 'a');
    current = b.path;
    const sb = await read(b, 'b');
    if (abort.signal.aborted) throw new Error('cancelled');
    send({ type: 'progress', side: 'compare', done: 0, total: 1 });
    const diff = diffSnapshots(sa, sb, [a.path, b.path]);
    const va: SideBytes = { classes: sa.classes, start: sa.startPfn, end: sa.endPfn, outside: outsideClass(sa) };
    const vb: SideBytes = { classes: sb.classes, start: sb.startPfn, end: sb.endPfn, outside: outsideClass(sb) };
    const digest = diffSections(va, vb, diff.compared.start, diff.compared.end, sa.pfnsPerSection);
    sides = { a: sa, b: sb, va, vb };
    runs = diff.runs;
    const { runs: _runs, ...rest } = diff;
    send({
      type: 'compared',
      result: {
        summaryA: summaryJson(sa),
        summaryB: summaryJson(sb),
        diff: { ...rest, runCount: runs.length },
        outsideA: va.outside,
        outsideB: vb.outside,
        digest,
        elapsedMs: performance.now() - t0,
      },
    });
  } catch (e) {
    send({ type: 'failed', ...failureReport(current, e), cancelled: abort.signal.aborted });
  }
}

/** Index of the first run that ends after pfn. */
function runAfter(pfn: number): number {
  let lo = 0,
    hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid][0] + runs[mid][1] <= pfn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first changed PFN after (direction 1) or before (-1) fromPfn, of one transition if given. */
function nextChange(fromPfn: number, direction: 1 | -1, transition?: [number, number]): number | null {
  const names = transition?.map((id) => Object.keys(CLASS_ID).find((k) => CLASS_ID[k as keyof typeof CLASS_ID] === id));
  const matches = (r: SnapshotDiff['runs'][number]) => !names || (r[2] === names[0] && r[3] === names[1]);
  if (direction === 1) {
    for (let i = runAfter(fromPfn + 1); i < runs.length; i++)
      if (matches(runs[i])) return Math.max(runs[i][0], fromPfn + 1);
  } else {
    for (let i = Math.min(runs.length - 1, runAfter(fromPfn - 1)); i >= 0; i--) {
      const r = runs[i];
      if (r[0] > fromPfn - 1 || !matches(r)) continue;
      return Math.min(r[0] + r[1] - 1, fromPfn - 1);
    }
  }
  return null;
}

function answer(msg: Exclude<ToCompareWorker, { type: 'open' | 'cancel' }>): void {
  try {
    if (!sides) throw new Error('the snapshots are not compared yet');
    if (msg.type === 'detail') {
      const s = msg.side === 'a' ? sides.a : sides.b;
      const detail =
        msg.pfn >= s.startPfn && msg.pfn < s.endPfn ? (s.pageDetail?.(msg.pfn) ?? basicPageDetail(s, msg.pfn)) : null;
      send({ type: 'reply', id: msg.id, value: detail ?? null });
    } else if (msg.type === 'sectionData') {
      const a = sideBytes(sides.va, msg.startPfn, msg.startPfn + msg.count);
      const b = sideBytes(sides.vb, msg.startPfn, msg.startPfn + msg.count);
      send({ type: 'reply', id: msg.id, value: { startPfn: msg.startPfn, a, b } }, [
        a.buffer as ArrayBuffer,
        b.buffer as ArrayBuffer,
      ]);
    } else send({ type: 'reply', id: msg.id, value: nextChange(msg.fromPfn, msg.direction, msg.transition) });
  } catch (e) {
    send({ type: 'reply', id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
}

port.on('message', (msg: ToCompareWorker) => {
  if (msg.type === 'open') void open(msg.a, msg.b);
  else if (msg.type === 'cancel') abort.abort();
  else answer(msg);
});
