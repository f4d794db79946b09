// Host side of the compare worker: starts it, relays progress, supports cancellation, and forwards the
// diff panel's questions (class bytes of a range, a page on one side, the next change). No vscode
// import, so it is unit-tested in plain Node.

import type { PageDetail } from '../memmap/snapshot';
import type { CompareInput, CompareResult, FromCompareWorker, ToCompareWorker } from './compareMessages';
import { runWorkerJob } from './workerJob';

export interface ComparedSnapshots {
  result: CompareResult;
  pageDetail(side: 'a' | 'b', pfn: number): Promise<PageDetail | null>;
  sectionData(startPfn: number, count: number): Promise<{ startPfn: number; a: Uint8Array; b: Uint8Array }>;
  nextChange(fromPfn: number, direction: 1 | -1, transition?: [number, number]): Promise<number | null>;
  dispose(): Promise<void>;
}

export interface CompareOptions {
  /** fraction: of the whole job (reading a is the first half, b the second). */
  onProgress?(message: string, fraction: number): void;
  signal?: AbortSignal;
}

/** Compares b against a in a new worker running `workerFile` (out/extension/compareWorker.js). */
export function compareInWorker(
  workerFile: string,
  a: CompareInput,
  b: CompareInput,
  opts: CompareOptions = {},
): Promise<ComparedSnapshots> {
  const name = (p: string) => p.split('/').pop() ?? p;
  return runWorkerJob<FromCompareWorker, ToCompareWorker, ComparedSnapshots>({
    workerFile,
    signal: opts.signal,
    open: { type: 'open', a, b },
    cancel: { type: 'cancel' },
    closedMessage: 'snapshots closed',
    exitedEarlyMessage: 'compare worker exited before the snapshots were compared',
    onMessage(msg, job) {
      switch (msg.type) {
        case 'progress': {
          const f = msg.total > 0 ? msg.done / msg.total : 0;
          if (msg.side === 'compare') opts.onProgress?.('comparing…', 1);
          else
            opts.onProgress?.(
              `reading ${name(msg.side === 'a' ? a.path : b.path)}… ${Math.floor(100 * f)}%`,
              (msg.side === 'a' ? 0 : 0.5) + f / 2,
            );
          break;
        }
        case 'compared':
          job.done({
            result: msg.result,
            pageDetail: (side, pfn) => job.ask((id) => ({ type: 'detail', id, side, pfn })),
            sectionData: (startPfn, count) => job.ask((id) => ({ type: 'sectionData', id, startPfn, count })),
            nextChange: (fromPfn, direction, transition) =>
              job.ask((id) => ({ type: 'nextChange', id, fromPfn, direction, transition })),
            dispose: job.terminate,
          });
          break;
        case 'reply':
          job.answer(msg.id, msg.error, msg.value);
          break;
      }
    },
  });
}
