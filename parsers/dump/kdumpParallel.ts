// The reading thread's handle on the kdump decode worker (kdumpDecodeWorker.ts): starts it, posts jobs,
// waits for the chunks it took, and stops it. The worker never keeps the process alive on its own: it is
// referenced only while the reading thread waits for it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DecodeWorkerData, FromDecodeWorker, ToDecodeWorker } from './kdumpChunks';

export const DECODE_WORKER_FILE = 'kdumpDecodeWorker.js';

/**
 * The worker script: next to the running bundle (out/extension, out/cli, out/bench, out/lab); test bundles,
 * which live in subfolders of out/test, find the one in out/test.
 */
export function decodeWorkerPath(dir = __dirname): string | undefined {
  const candidates = [join(dir, DECODE_WORKER_FILE)];
  for (let d = dir; ; d = dirname(d)) {
    if (/[\\/]out[\\/]test$/.test(d)) {
      candidates.push(join(d, DECODE_WORKER_FILE));
      break;
    }
    if (dirname(d) === d) break;
  }
  return candidates.find((p) => existsSync(p));
}

/** Where beginBulkReads looks for the worker script (tests replace find to see the one-thread fallback). */
export const decodeWorkerLocation = { find: (): string | undefined => decodeWorkerPath() };

let live = 0;
/** Decode workers of this process that have not exited yet (tests: none may be left after a pass). */
export function liveDecodeWorkers(): number {
  return live;
}

export class DecodeWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiters = new Map<number, () => void>();
  /** Why the worker stopped before it was told to (undefined while it runs, or after terminate()). */
  died?: string;
  /** terminate() was called, or the thread is gone: no more jobs. */
  private stopping = false;
  private gone = false;
  private readonly exited: Promise<void>;
  private readonly startedAt = performance.now();
  /** ms from the start until the worker said it was ready. */
  readyMs?: number;
  jobs = 0;
  /** Pages the worker decoded, and the time it spent on jobs (ms of its own wall time). */
  workerPages = 0;
  workerBusyMs = 0;

  constructor(
    readonly file: string,
    data: DecodeWorkerData,
  ) {
    this.worker = new Worker(file, { workerData: data });
    live++;
    this.worker.unref();
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        live--;
        if (!this.stopping) this.died ??= `the decode worker exited (code ${code})`;
        this.stopping = this.gone = true;
        // a waiting job now finishes the chunks the worker took but did not finish (it can no longer write)
        for (const w of this.waiters.values()) w();
        this.waiters.clear();
        this.worker.unref();
        resolve();
      }),
    );
    this.worker.on('error', (e) => {
      if (!this.stopping) this.died = `the decode worker failed: ${e?.message ?? e}`;
    });
    this.worker.on('message', (m: FromDecodeWorker) => {
      if (m.type === 'ready') this.readyMs = performance.now() - this.startedAt;
      else if (m.type === 'fatal') this.died = `the decode worker stopped: ${m.message}`;
      else if (m.type === 'jobDone') {
        this.workerPages += m.decoded;
        this.workerBusyMs += m.busyMs;
        const w = this.waiters.get(m.id);
        if (w) {
          this.waiters.delete(m.id);
          if (this.waiters.size === 0) this.worker.unref();
          w();
        }
      }
    });
  }

  /** Whether jobs can be posted. */
  get usable(): boolean {
    return !this.died && !this.stopping;
  }

  /** Posts a job; returns its id. The shared buffers must stay untouched by others until the job is done. */
  post(job: Omit<Extract<ToDecodeWorker, { type: 'job' }>, 'type' | 'id'>): number {
    const id = this.nextId++;
    this.jobs++;
    this.worker.postMessage({ type: 'job', id, ...job } satisfies ToDecodeWorker);
    return id;
  }

  /**
   * Resolves when the worker has finished the chunks it took of job id (call it only while a chunk of the
   * job is still being decoded by the worker), or once its thread has exited: after that it writes nothing.
   */
  wait(id: number): Promise<void> {
    if (this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.set(id, resolve);
      this.worker.ref(); // the process must not exit while we wait for the worker
    });
  }

  /** Stops the worker (idempotent); resolves when its thread has exited. */
  terminate(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      void this.worker.terminate().catch(() => undefined);
    }
    return this.exited;
  }
}
