// Fuzzing every reader of untrusted input with fast-check mutations of real seeds.
//
//   npm run fuzz -- [--minutes N] [--inputs N] [--jobs J] [--reader NAME[,NAME...]] [--seed S] [--out DIR] [--trace]
//   npm run fuzz -- --replay READER FILE     (one saved input, alone: its outcome and time)
//
// Runs the readers (test/fuzz/targets.ts) in J child processes (default 1), one reader per child at
// a time, until each has read --inputs mutated inputs or the run's N minutes (default 1) are used
// up: a reader's share is the time left divided over the readers still waiting, so readers that
// reach their goal early leave their time to the slow ones. Prints per reader the inputs read,
// inputs/s, typed input errors (expected: exit-2 errors), crashes (any other exception) and hangs
// (an input that took more than 2 s, and again when read once more alone), then the whole table in
// Markdown for the README. Crashing and hanging inputs are written to DIR (default a new folder
// under the system temp folder) to become regression tests under test/fixtures/fuzz/. --trace
// writes each input to DIR/<reader>/current.bin before reading it, so an input that never returns
// is kept. Exit code 1 when anything crashed or hung.

import { fork } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGETS, asSeedEdits, isTypedInputError, savedInput, type FuzzTarget } from '../test/fuzz/targets';
import { fuzzTarget, FuzzResult } from '../test/fuzz/runner';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** What a child reports for its reader (findings are in DIR). */
interface ReaderRow {
  name: string;
  inputs: number;
  seconds: number;
  typedErrors: number;
  crashes: string[];
  hangs: string[];
  slowOnlyUnderLoad: number;
  /** The child's peak resident memory: bounded memory over every input it read. */
  maxRssMiB: number;
}

/** One saved input read alone: whether a hang found under load is the input's or the machine's. */
async function replay(reader: string, file: string): Promise<void> {
  const t = TARGETS.find((x) => x.name === reader);
  if (!t) throw new Error(`no reader named ${reader}; readers: ${TARGETS.map((x) => x.name).join(', ')}`);
  const start = performance.now();
  let outcome = 'a result';
  try {
    await t.run(t.fromBytes(savedInput(t, file)));
  } catch (e) {
    outcome = isTypedInputError(e)
      ? `typed input error: ${(e as Error).message?.split('\n')[0].slice(0, 300)}`
      : `CRASH: ${(e as Error).stack ?? String(e)}`;
  }
  console.log(`${reader} ${file}: ${outcome} in ${(performance.now() - start).toFixed(0)} ms`);
}

function saveFindings(out: string, t: FuzzTarget<unknown>, r: FuzzResult): void {
  for (const [kind, list] of [
    ['crash', r.crashes],
    ['hang', r.hangs],
  ] as const)
    list.forEach((f, i) => {
      mkdirSync(join(out, r.target), { recursive: true });
      writeFileSync(join(out, r.target, `${kind}-${i}.bin`), f.input);
      // a few edits of a seed: the small form to commit under test/fixtures/fuzz/
      const edits = asSeedEdits(t, f.input);
      if (edits) writeFileSync(join(out, r.target, `${kind}-${i}.edits.json`), `${JSON.stringify(edits)}\n`);
      writeFileSync(join(out, r.target, `${kind}-${i}.txt`), `${f.what}\n`);
    });
}

/** The child's side: one reader, then its row as JSON on the IPC channel. */
async function child(name: string): Promise<void> {
  const t = TARGETS.find((x) => x.name === name)!;
  const out = arg('--out')!;
  const trace = process.argv.includes('--trace') ? join(out, name, 'current.bin') : undefined;
  if (trace) mkdirSync(join(out, name), { recursive: true });
  const r = await fuzzTarget(t, {
    seed: Number(arg('--seed')),
    timeLimitMs: Number(arg('--ms')),
    maxInputs: arg('--inputs') ? Number(arg('--inputs')) : undefined,
    beforeEach: trace ? (b) => writeFileSync(trace, b) : undefined,
  });
  saveFindings(out, t, r);
  const row: ReaderRow = {
    name,
    inputs: r.inputs,
    seconds: r.elapsedMs / 1000,
    typedErrors: r.typedErrors,
    crashes: r.crashes.map((c) => c.what),
    hangs: r.hangs.map((h) => `${h.what} (input #${h.index})`),
    slowOnlyUnderLoad: r.slowOnlyUnderLoad,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.send!(row, () => process.exit(0));
}

function runChild(name: string, ms: number, common: string[]): Promise<ReaderRow> {
  return new Promise((resolve, reject) => {
    const p = fork(__filename, ['--child', name, '--ms', String(Math.max(1000, Math.round(ms))), ...common], {
      execArgv: ['--max-old-space-size=2048'],
    });
    let row: ReaderRow | undefined;
    p.on('message', (m) => (row = m as ReaderRow));
    p.on('exit', (code, signal) =>
      row
        ? resolve(row)
        : reject(new Error(`reader ${name}: child ended (${signal ?? `exit ${code}`}) without a result`)),
    );
  });
}

const rate = (r: ReaderRow) => (r.seconds > 0 ? r.inputs / r.seconds : 0);

function printRow(r: ReaderRow): void {
  console.log(
    `${r.name.padEnd(14)} ${String(r.inputs).padStart(9)} inputs  ${rate(r).toFixed(0).padStart(7)}/s  typed errors ${String(r.typedErrors).padStart(8)}  crashes ${r.crashes.length}  hangs ${r.hangs.length}  slow only under load ${r.slowOnlyUnderLoad}  peak RSS ${r.maxRssMiB} MiB`,
  );
  for (const c of r.crashes) console.log(`  crash: ${c}`);
  for (const h of r.hangs) console.log(`  hang: ${h}`);
}

function printMarkdown(rows: ReaderRow[]): void {
  console.log(
    '\n| reader | what it reads | inputs | per s | typed errors | crashes | hangs | slow only under load | peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const t of TARGETS) {
    const r = rows.find((x) => x.name === t.name);
    if (r)
      console.log(
        `| \`${r.name}\` | ${t.what} | ${r.inputs.toLocaleString('en-US')} | ${rate(r).toFixed(0)} | ${r.typedErrors.toLocaleString('en-US')} | ${r.crashes.length} | ${r.hangs.length} | ${r.slowOnlyUnderLoad} | ${r.maxRssMiB} MiB |`,
      );
  }
}

async function main(): Promise<void> {
  const r = process.argv.indexOf('--replay');
  if (r >= 0) return replay(process.argv[r + 1], process.argv[r + 2]);
  const c = arg('--child');
  if (c) return child(c);
  const minutes = Number(arg('--minutes') ?? 1);
  const jobs = Math.max(1, Number(arg('--jobs') ?? 1));
  const seed = Number(arg('--seed') ?? Date.now() % 2 ** 31);
  const only = arg('--reader')?.split(',');
  // in the order given, so a long run can put the fast readers first and leave the time they do not need to the slow ones
  const targets = only ? only.flatMap((n) => TARGETS.filter((t) => t.name === n)) : TARGETS;
  if (!targets.length)
    throw new Error(`no reader named ${only?.join(', ')}; readers: ${TARGETS.map((t) => t.name).join(', ')}`);
  const out = arg('--out') ?? mkdtempSync(join(tmpdir(), 'kmemmap-fuzz-'));
  const common = ['--seed', String(seed), '--out', out];
  if (arg('--inputs')) common.push('--inputs', String(arg('--inputs')));
  if (process.argv.includes('--trace')) common.push('--trace');
  console.log(
    `fuzzing ${targets.length} readers in ${jobs} process(es) for at most ${minutes} min${arg('--inputs') ? `, up to ${arg('--inputs')} inputs each` : ''}, seed ${seed}; findings go to ${out}`,
  );
  const deadline = performance.now() + minutes * 60_000;
  const waiting = [...targets];
  const rows: ReaderRow[] = [];
  const lane = async () => {
    for (let t = waiting.shift(); t; t = waiting.shift()) {
      // this reader's share: the time left over the rounds of readers not yet finished
      const rounds = Math.ceil((waiting.length + 1) / jobs);
      const row = await runChild(t.name, (deadline - performance.now()) / rounds, common);
      rows.push(row);
      printRow(row);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, targets.length) }, lane));
  const bad = rows.reduce((a, x) => a + x.crashes.length + x.hangs.length, 0);
  console.log(
    `total ${rows.reduce((a, x) => a + x.inputs, 0)} inputs, ${rows.reduce((a, x) => a + x.crashes.length, 0)} crashes, ${rows.reduce((a, x) => a + x.hangs.length, 0)} hangs`,
  );
  printMarkdown(rows);
  // as a test tier (scripts/test-all.sh): one check per reader, failed when it crashed or hung
  if (process.env.KMEMMAP_COUNTS_FILE) {
    const failed = rows.filter((x) => x.crashes.length + x.hangs.length > 0).length;
    appendFileSync(
      process.env.KMEMMAP_COUNTS_FILE,
      `${JSON.stringify({ tier: 'fuzz', passed: rows.length - failed, failed, skipped: 0 })}\n`,
    );
  }
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
