// Host side of the parse worker: starts it, relays progress, supports cancellation, and answers
// page-detail requests by PFN. No vscode import, so it is unit-tested in plain Node.

import { Worker } from 'node:worker_threads';
import type { PageDetail } from '../memmap/snapshot';
import { SnapshotError } from '../parsers/errors';
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

/** The worker could not read the snapshot; detail is the stack of an unexpected error, for the log. */
export class ReadFailure extends SnapshotError {
  constructor(
    file: string,
    problem: string,
    hint?: string,
    readonly detail?: string,
  ) {
    super(file, problem, hint);
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** Opens `path` in a new worker running `workerFile` (out/extension/parseWorker.js). */
export function parseInWorker(
  workerFile: string,
  path: string,
  opts: ParseOptions = {},
  extraPaths: string[] = [],
): Promise<ParsedSnapshot> {
  const worker = new Worker(workerFile);
  const post = (m: ToWorker) => worker.postMessage(m);
  const details = new Map<number, { resolve(d: PageDetail | undefined): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited = false;

  return new Promise<ParsedSnapshot>((resolve, reject) => {
    const fail = (e: Error) => {
      reject(e);
      void worker.terminate();
    };
    const onAbort = () => {
      post({ type: 'cancel' });
      // A reader that does not check the signal is stopped the hard way.
      setTimeout(() => void worker.terminate(), 500).unref();
      fail(new CancelledError());
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (msg: FromWorker) => {
      switch (msg.type) {
        case 'progress':
          opts.onProgress?.(msg.done, msg.total);
          break;
        case 'failed':
          opts.signal?.removeEventListener('abort', onAbort);
          fail(msg.cancelled ? new CancelledError() : new ReadFailure(msg.file, msg.problem, msg.hint, msg.stack));
          break;
        case 'opened':
          opts.signal?.removeEventListener('abort', onAbort);
          resolve({
            summary: msg.summary,
            classes: msg.classes,
            elapsedMs: msg.elapsedMs,
            pageDetail(pfn) {
              if (exited) return Promise.reject(new Error('snapshot closed'));
              const id = nextId++;
              return new Promise((res, rej) => {
                details.set(id, { resolve: res, reject: rej });
                post({ type: 'detail', id, pfn });
              });
            },
            async dispose() {
              await worker.terminate();
            },
          });
          break;
        case 'detail': {
          const p = details.get(msg.id);
          details.delete(msg.id);
          if (msg.error) p?.reject(new Error(msg.error));
          else p?.resolve(msg.detail);
          break;
        }
      }
    });
    worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', () => {
      exited = true;
      for (const p of details.values()) p.reject(new Error('snapshot closed'));
      details.clear();
      reject(new Error('parse worker exited before the snapshot was read'));
    });
    post({ type: 'open', path, extraPaths });
  });
}
