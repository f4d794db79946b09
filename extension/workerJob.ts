// The worker plumbing both host-side clients share (parse and compare): one job that ends with a
// result or a failure, cancellation through an AbortSignal, and numbered questions once it is done.
// No vscode import, so it is unit-tested in plain Node.

import { Worker } from 'node:worker_threads';
import { SnapshotError } from '../parsers/errors';

/** The worker could not read a snapshot; detail is the stack of an unexpected error, for the log. */
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

/** The message every worker sends when its job fails. */
export interface FailedMessage {
  type: 'failed';
  file: string;
  problem: string;
  hint?: string;
  stack?: string;
  cancelled: boolean;
}

/** What a client's message handler may do. */
export interface WorkerJob<Out, R> {
  /** Ends the job with its result. */
  done(result: R): void;
  /** Asks the finished worker a question numbered by `build`'s id; rejects once the worker is gone. */
  ask<T>(build: (id: number) => Out): Promise<T>;
  /** Settles question `id` with the worker's reply. */
  answer(id: number, error: string | undefined, value: unknown): void;
  terminate(): Promise<void>;
}

export interface WorkerJobSpec<In, Out, R> {
  workerFile: string;
  signal?: AbortSignal;
  open: Out;
  cancel: Out;
  /** What the job is, for the errors: "snapshot" / "snapshots". */
  closedMessage: string;
  exitedEarlyMessage: string;
  /** Every message but 'failed', which the job handles. */
  onMessage(msg: Exclude<In, FailedMessage>, job: WorkerJob<Out, R>): void;
}

/** Starts `spec.workerFile`, sends `open`, and settles with the handler's result or the worker's failure. */
export function runWorkerJob<In extends { type: string }, Out, R>(spec: WorkerJobSpec<In, Out, R>): Promise<R> {
  const worker = new Worker(spec.workerFile);
  const post = (m: Out) => worker.postMessage(m);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited = false;

  return new Promise<R>((resolve, reject) => {
    const { signal } = spec;
    const fail = (e: Error) => {
      reject(e);
      void worker.terminate();
    };
    const onAbort = () => {
      post(spec.cancel);
      // A reader that does not check the signal is stopped the hard way.
      setTimeout(() => void worker.terminate(), 500).unref();
      fail(new CancelledError());
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    const job: WorkerJob<Out, R> = {
      done(result) {
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      },
      ask<T>(build: (id: number) => Out): Promise<T> {
        if (exited) return Promise.reject<T>(new Error(spec.closedMessage));
        const id = nextId++;
        return new Promise<T>((res, rej) => {
          pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
          post(build(id));
        });
      },
      answer(id, error, value) {
        const p = pending.get(id);
        pending.delete(id);
        if (error !== undefined) p?.reject(new Error(error));
        else p?.resolve(value);
      },
      terminate: async () => {
        await worker.terminate();
      },
    };

    worker.on('message', (msg: In) => {
      if (!isFailed(msg)) return spec.onMessage(msg as Exclude<In, FailedMessage>, job);
      signal?.removeEventListener('abort', onAbort);
      fail(msg.cancelled ? new CancelledError() : new ReadFailure(msg.file, msg.problem, msg.hint, msg.stack));
    });
    worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', () => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(spec.closedMessage));
      pending.clear();
      reject(new Error(spec.exitedEarlyMessage));
    });
    post(spec.open);
  });
}

function isFailed(msg: { type: string }): msg is FailedMessage {
  return msg.type === 'failed';
}
