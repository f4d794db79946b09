// Host side of the parse worker: starts it, relays progress, supports cancellation, and answers
// page-detail requests by PFN. No vscode import, so it is unit-tested in plain Node.

import type { PageDetail } from '../memmap/snapshot';
import { runWorkerJob } from './workerJob';
import type { FromWorker, SnapshotSummary, ToWorker } from './workerMessages';

export interface ParsedSnapshot {
  summary: SnapshotSummary;
  /** One class byte per PFN from summary.pfns.start. */
  classes: Uint8Array;
  elapsedMs: number;
  pageDetail(pfn: number): Promise<PageDetail | undefined>;
  dispose(): Promise<void>;
}

export interface ParseOptions {
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}

/** Opens `path` in a new worker running `workerFile` (out/extension/parseWorker.js). */
export function parseInWorker(
  workerFile: string,
  path: string,
  opts: ParseOptions = {},
  extraPaths: string[] = [],
): Promise<ParsedSnapshot> {
  return runWorkerJob<FromWorker, ToWorker, ParsedSnapshot>({
    workerFile,
    signal: opts.signal,
    open: { type: 'open', path, extraPaths },
    cancel: { type: 'cancel' },
    closedMessage: 'snapshot closed',
    exitedEarlyMessage: 'parse worker exited before the snapshot was read',
    onMessage(msg, job) {
      switch (msg.type) {
        case 'progress':
          opts.onProgress?.(msg.done, msg.total);
          break;
        case 'opened':
          job.done({
            summary: msg.summary,
            classes: msg.classes,
            elapsedMs: msg.elapsedMs,
            pageDetail: (pfn) => job.ask((id) => ({ type: 'detail', id, pfn })),
            dispose: job.terminate,
          });
          break;
        case 'detail':
          job.answer(msg.id, msg.error, msg.detail);
          break;
      }
    },
  });
}
