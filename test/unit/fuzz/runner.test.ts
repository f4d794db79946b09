// The fuzz runner's accounting: what counts as a crash, and a hang only when an input is slow again
// when read alone, by its CPU time or blocked far past the limit (a busy machine stretches ordinary
// inputs now and then).

import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzTarget } from '../../fuzz/runner';
import type { FuzzTarget } from '../../fuzz/targets';
import { SnapshotError } from '../../../parsers/errors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spins until this process has used ms of CPU time (however long that takes in wall time). */
function burnCpu(ms: number): void {
  const start = process.cpuUsage();
  for (let x = 0; process.cpuUsage(start).user < ms * 1000; x++) Math.sqrt(x);
}

function target(run: (n: number) => unknown): FuzzTarget<unknown> {
  return {
    name: 'test',
    what: 'test',
    input: async () => fc.nat(),
    run: (n) => run(n as number),
    bytes: (n) => Buffer.from(String(n)),
    fromBytes: (b) => Number(b.toString()),
  };
}

describe('fuzz runner', function () {
  this.timeout(30_000);

  it('counts typed input errors apart from crashes, and keeps one crash per signature', async () => {
    let i = 0;
    const r = await fuzzTarget(
      target(() => {
        if (i++ % 2) throw new SnapshotError('input', 'bad input');
        throw new TypeError('not typed');
      }),
      { seed: 1, maxInputs: 10, hangMs: Infinity },
    );
    assert.equal(r.inputs, 10);
    assert.equal(r.typedErrors, 5);
    assert.equal(r.crashes.length, 1);
    assert.match(r.crashes[0].what, /^TypeError: not typed/);
  });

  it('an input slow only the first time is counted as slow under load, not as a hang', async () => {
    let calls = 0;
    const r = await fuzzTarget(
      target(async () => {
        if (calls++ === 0) await sleep(1200);
      }),
      { seed: 1, maxInputs: 3, hangMs: 1000 },
    );
    assert.deepEqual([r.hangs.length, r.slowOnlyUnderLoad], [0, 1]);
  });

  it('an input that keeps the CPU busy past the limit again when read alone is a hang, saved with its times', async () => {
    let calls = 0;
    const r = await fuzzTarget(
      target(() => {
        if (calls++ < 2) burnCpu(300); // CPU time, however busy the machine is
      }),
      { seed: 1, maxInputs: 2, hangMs: 200 },
    );
    assert.equal(r.hangs.length, 1);
    assert.match(r.hangs[0].what, /^\d+ ms, \d+ ms \(cpu \d+ ms\) read again$/);
    assert.equal(r.hangs[0].index, 0);
  });

  it('an input that blocks far past the limit (5x) when read again is a hang without using the CPU', async () => {
    let calls = 0;
    const r = await fuzzTarget(
      target(async () => {
        if (calls++ < 2) await sleep(1100);
      }),
      { seed: 1, maxInputs: 2, hangMs: 200 },
    );
    assert.equal(r.hangs.length, 1);
  });

  it('an input slow again only in wall time, not CPU, is counted as slow under load (a busy machine), not as a hang', async () => {
    let calls = 0;
    const r = await fuzzTarget(
      target(async () => {
        if (calls++ < 2) await sleep(300);
      }),
      { seed: 1, maxInputs: 2, hangMs: 200 },
    );
    assert.deepEqual([r.hangs.length, r.slowOnlyUnderLoad], [0, 1]);
  });
});
