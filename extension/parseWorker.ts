// Worker thread that reads a snapshot off the extension host's main thread. It keeps the Snapshot
// (so page details can re-read the input) and sends the host only the summary and the class bytes.

import { parentPort } from 'node:worker_threads';
import { openSnapshot } from '../memmap/open';
import { failureReport } from './failureReport';
import type { Snapshot } from '../memmap/snapshot';
import { summaryJson } from '../memmap/summaryJson';
import { basicPageDetail } from './basicPageDetail';
import type { FromWorker, ToWorker } from './workerMessages';

const port = parentPort;
if (!port) throw new Error('parseWorker must run in a worker thread');

let snapshot: Snapshot | undefined;
const abort = new AbortController();
const send = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

/** The buffer to transfer: the array's own, or a tight copy when it is a view into a larger one. */
function ownBuffer(a: Uint8Array): Uint8Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();
}

async function open(path: string, extraPaths: string[]): Promise<void> {
  const t0 = performance.now();
  let lastProgress = 0;
  try {
    snapshot = await openSnapshot(
      path,
      {
        signal: abort.signal,
        onProgress(done, total) {
          const now = performance.now();
          if (now - lastProgress < 100 && done < total) return; // a few updates a second is enough
          lastProgress = now;
          send({ type: 'progress', done, total });
        },
      },
      extraPaths,
    );
    const summary = summaryJson(snapshot);
    // The worker keeps the snapshot for page details, so the host gets its own copy of the bytes.
    const classes = snapshot.classes.slice();
    send({ type: 'opened', summary, classes: ownBuffer(classes), elapsedMs: performance.now() - t0 }, [classes.buffer]);
  } catch (e) {
    const cancelled = abort.signal.aborted;
    send({ type: 'failed', ...failureReport(path, e), cancelled });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'open':
      void open(msg.path, msg.extraPaths);
      break;
    case 'cancel':
      abort.abort();
      break;
    case 'detail': {
      try {
        const s = snapshot;
        const detail = s ? (s.pageDetail?.(msg.pfn) ?? basicPageDetail(s, msg.pfn)) : undefined;
        send({ type: 'detail', id: msg.id, detail });
      } catch (e) {
        send({ type: 'detail', id: msg.id, detail: undefined, error: e instanceof Error ? e.message : String(e) });
      }
      break;
    }
  }
});
