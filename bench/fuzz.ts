// Fuzzing every reader of untrusted input with fast-check mutations of real seeds.
//
//   npm run fuzz -- [--minutes N] [--reader NAME[,NAME...]] [--seed S] [--out DIR] [--trace]
//
// Splits N minutes (default 1) evenly over the readers (test/fuzz/targets.ts), and prints per reader
// the inputs read, inputs/s, typed input errors (expected: exit-2 errors), crashes (any other
// exception) and hangs (an input that took more than 2 s). Crashing and hanging inputs are written to
// DIR (default a new folder under the system temp folder) to become regression tests under
// test/fixtures/fuzz/. --trace writes each input to DIR/<reader>/current.bin before reading it, so an
// input that never returns is kept. Exit code 1 when anything crashed or hung.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGETS } from '../test/fuzz/targets';
import { fuzzTarget, FuzzResult } from '../test/fuzz/runner';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const minutes = Number(arg('--minutes') ?? 1);
  const seed = Number(arg('--seed') ?? Date.now() % 2 ** 31);
  const only = arg('--reader')?.split(',');
  const targets = only ? TARGETS.filter((t) => only.includes(t.name)) : TARGETS;
  if (!targets.length)
    throw new Error(`no reader named ${only?.join(', ')}; readers: ${TARGETS.map((t) => t.name).join(', ')}`);
  const out = arg('--out') ?? mkdtempSync(join(tmpdir(), 'kmemmap-fuzz-'));
  const perTarget = (minutes * 60_000) / targets.length;
  console.log(
    `fuzzing ${targets.length} readers for ${minutes} min (${(perTarget / 1000).toFixed(0)} s each), seed ${seed}; findings go to ${out}`,
  );
  const results: FuzzResult[] = [];
  for (const t of targets) {
    const trace = process.argv.includes('--trace') ? join(out, t.name, 'current.bin') : undefined;
    if (trace) mkdirSync(join(out, t.name), { recursive: true });
    const r = await fuzzTarget(t, {
      seed,
      timeLimitMs: perTarget,
      beforeEach: trace ? (b) => writeFileSync(trace, b) : undefined,
    });
    results.push(r);
    for (const [kind, list] of [
      ['crash', r.crashes],
      ['hang', r.hangs],
    ] as const)
      list.forEach((f, i) => {
        mkdirSync(join(out, t.name), { recursive: true });
        writeFileSync(join(out, t.name, `${kind}-${i}.bin`), f.input);
        writeFileSync(join(out, t.name, `${kind}-${i}.txt`), `${f.what}\n`);
      });
    console.log(
      `${t.name.padEnd(14)} ${String(r.inputs).padStart(9)} inputs  ${(r.inputs / (r.elapsedMs / 1000)).toFixed(0).padStart(7)}/s  typed errors ${String(r.typedErrors).padStart(8)}  crashes ${r.crashes.length}  hangs ${r.hangs.length}`,
    );
    for (const c of r.crashes) console.log(`  crash: ${c.what}`);
    for (const h of r.hangs) console.log(`  hang: ${h.what} (input #${h.index})`);
  }
  const total = results.reduce((a, r) => a + r.inputs, 0);
  const bad = results.reduce((a, r) => a + r.crashes.length + r.hangs.length, 0);
  console.log(
    `total ${total} inputs, ${results.reduce((a, r) => a + r.crashes.length, 0)} crashes, ${results.reduce((a, r) => a + r.hangs.length, 0)} hangs`,
  );
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
