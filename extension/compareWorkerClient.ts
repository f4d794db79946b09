// Host side of the compare worker: starts it, relays progress, supports cancellation, and forwards the
// diff panel's questions (class bytes of a range, a page on one side, the next change). No vscode
// import, so it is unit-tested in plain Node.

import { Worker } from 'node:worker_threads';
import type { PageDetail } from '../memmap/snapshot';
import type { CompareInput, CompareResult, FromCompareWorker, ToCompareWorker } from './compareMessages';
import { CancelledError, ReadFailure } from './parseWorkerClient';

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

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
type Question = Distribute<Exclude<ToCompareWorker, { type: 'open' | 'cancel' }>>;

/** Compares b against a in a new worker running `workerFile` (out/extension/compareWorker.js). */
export function compareInWorker(
  workerFile: string,
  a: CompareInput,
  b: CompareInput,
  opts: CompareOptions = {},
): Promise<ComparedSnapshots> {
  const worker = new Worker(workerFile);
  const post = (m: ToCompareWorker) => worker.postMessage(m);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited = false;
  const ask = <T>(q: Question): Promise<T> => {
    if (exited) return Promise.reject(new Error('snapshots closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      post({ ...q, id } as ToCompareWorker);
    });
  };

  return new Promise<ComparedSnapshots>((resolve, reject) => {
    const fail = (e: Error) => {
      reject(e);
      void worker.terminate();
    };
    const onAbort = () => {
      post({ type: 'cancel' });
      setTimeout(() => void worker.terminate(), 500).unref();
      fail(new CancelledError());
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const name = (p: string) => p.split('/').pop() ?? p;

    worker.on('message', (msg: FromCompareWorker) => {
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
        case 'failed':
          opts.signal?.removeEventListener('abort', onAbort);
          fail(msg.cancelled ? new CancelledError() : new ReadFailure(msg.file, msg.problem, msg.hint, msg.stack));
          break;
        case 'compared':
          opts.signal?.removeEventListener('abort', onAbort);
          resolve({
            result: msg.result,
            pageDetail: (side, pfn) => ask({ type: 'detail', side, pfn }),
            sectionData: (startPfn, count) => ask({ type: 'sectionData', startPfn, count }),
            nextChange: (fromPfn, direction, transition) => ask({ type: 'nextChange', fromPfn, direction, transition }),
            async dispose() {
              await worker.terminate();
            },
          });
          break;
        case 'reply': {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if (msg.error !== undefined) p?.reject(new Error(msg.error));
          else p?.resolve(msg.value);
          break;
        }
      }
    });
    worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', () => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error('snapshots closed'));
      pending.clear();
      reject(new Error('compare worker exited before the snapshots were compared'));
    });
    post({ type: 'open', a, b });
  });
}
