// Runs one fuzz target: inputs from fast-check (deterministic for a seed), each read by the target;
// counts inputs, crashes (exceptions other than the typed input error) and hangs (inputs that took
// longer than hangMs). Batches of inputs are drawn with seed, seed+1, ... so a run can stop at a
// time limit or an input count.

import fc from 'fast-check';
import { FuzzTarget, isTypedInputError } from './targets';

export interface Finding {
  input: Buffer;
  /** First line of the error and its top stack frame (crashes), or the time taken (hangs). */
  what: string;
  index: number;
}

export interface FuzzResult {
  target: string;
  inputs: number;
  typedErrors: number;
  crashes: Finding[];
  hangs: Finding[];
  /** Inputs that took longer than hangMs in the run but not when read again alone, or then only in wall time, not CPU (the machine was busy, not the input slow). */
  slowOnlyUnderLoad: number;
  elapsedMs: number;
}

export interface FuzzOptions {
  seed: number;
  /** Stop after this many inputs... */
  maxInputs?: number;
  /** ...or after this long (whichever comes first). */
  timeLimitMs?: number;
  hangMs?: number;
  batch?: number;
  /** Keep at most this many findings of each kind (a crash is usually found many times). */
  keep?: number;
  /** Called with each input before it is read (the fuzz script saves it, so an input that never returns is kept). */
  beforeEach?: (input: Buffer, index: number) => void;
}

/** About how many bytes of inputs a batch holds. */
const BATCH_BYTES = 16 << 20;

function crashSignature(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const frame =
    (err.stack ?? '')
      .split('\n')
      .find((l) => /^\s+at /.test(l))
      ?.trim() ?? '';
  return `${err.name}: ${err.message.split('\n')[0].slice(0, 200)} ${frame}`;
}

export async function fuzzTarget(t: FuzzTarget<unknown>, o: FuzzOptions): Promise<FuzzResult> {
  const hangMs = o.hangMs ?? 2000;
  const keep = o.keep ?? 20;
  const arb = await t.input();
  const res: FuzzResult = {
    target: t.name,
    inputs: 0,
    typedErrors: 0,
    crashes: [],
    hangs: [],
    slowOnlyUnderLoad: 0,
    elapsedMs: 0,
  };
  const seen = new Set<string>();
  const t0 = performance.now();
  const done = () =>
    (o.maxInputs !== undefined && res.inputs >= o.maxInputs) ||
    (o.timeLimitMs !== undefined && performance.now() - t0 >= o.timeLimitMs);
  // Batches start at one input and grow fourfold, but hold at most about BATCH_BYTES (by the largest
  // input seen), so a reader of 2 MB dumps does not keep hundreds of them alive: its peak memory is its own.
  let batchSize = 1;
  let largest = 1;
  for (let b = 0; !done(); b++) {
    const batch = fc.sample(arb, {
      seed: o.seed + b,
      numRuns: Math.min(batchSize, (o.maxInputs ?? Infinity) - res.inputs),
    });
    for (const input of batch) largest = Math.max(largest, t.bytes(input).length);
    batchSize = Math.max(1, Math.min(4 * batchSize, o.batch ?? 200, Math.floor(BATCH_BYTES / largest)));
    for (const input of batch) {
      if (done()) break;
      o.beforeEach?.(t.bytes(input), res.inputs);
      const { ms, error } = await timedRun(t, input);
      if (error !== undefined) {
        if (isTypedInputError(error)) res.typedErrors++;
        else {
          const sig = crashSignature(error);
          if (!seen.has(sig) && res.crashes.length < keep)
            res.crashes.push({ input: t.bytes(input), what: sig, index: res.inputs });
          seen.add(sig);
        }
      }
      if (ms > hangMs) await confirmHang(t, input, ms, hangMs, res, keep);
      res.inputs++;
      // Back to the event loop now and then: process.nextTick callbacks (a failed zlib stream's close)
      // run only there, and a loop of resolved awaits would hold them, and what they reference, forever.
      if (res.inputs % 16 === 0) await new Promise((r) => setImmediate(r));
    }
  }
  res.elapsedMs = performance.now() - t0;
  return res;
}

interface Timed {
  ms: number;
  /** CPU time of the process (every thread) while the input was read. */
  cpuMs: number;
  error?: unknown;
}

async function timedRun(t: FuzzTarget<unknown>, input: unknown): Promise<Timed> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const done = (error?: unknown): Timed => {
    const c = process.cpuUsage(cpu);
    return { ms: performance.now() - start, cpuMs: (c.user + c.system) / 1000, error };
  };
  try {
    const result = await t.run(input);
    (result as { close?: () => void } | undefined)?.close?.(); // a snapshot's files, if it holds any
    return done();
  } catch (error) {
    return done(error ?? new Error(String(error)));
  }
}

/** Past this many times the limit in wall time, a re-read is a hang even without CPU (blocked, not busy). */
const BLOCKED_FACTOR = 5;

/**
 * A hang costs the time itself: read again, it is slow, and it either keeps the CPU busy past the
 * limit or blocks far past it. Wall time alone is not enough: on 2 cores beside QEMU guests a 70 ms
 * input once took 2.6 s twice in a row, and 65-96 ms read alone later.
 */
function isHang(again: Timed, hangMs: number): boolean {
  return again.ms > hangMs && (again.cpuMs > hangMs || again.ms > BLOCKED_FACTOR * hangMs);
}

/**
 * A slow input is read once more, alone: only if it is slow again is it a hang. A 2-core machine
 * running other jobs (or a major GC) stretches an ordinary input past the limit now and then.
 */
async function confirmHang(
  t: FuzzTarget<unknown>,
  input: unknown,
  ms: number,
  hangMs: number,
  res: FuzzResult,
  keep: number,
): Promise<void> {
  const again = await timedRun(t, input);
  if (!isHang(again, hangMs)) {
    res.slowOnlyUnderLoad++;
    return;
  }
  if (res.hangs.length < keep)
    res.hangs.push({
      input: t.bytes(input),
      what: `${ms.toFixed(0)} ms, ${again.ms.toFixed(0)} ms (cpu ${again.cpuMs.toFixed(0)} ms) read again`,
      index: res.inputs,
    });
}
