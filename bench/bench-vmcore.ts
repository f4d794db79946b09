// Benchmark: node out/bench/bench-vmcore.js <dump> [more split files] [--no-tools] [--runs N] [--walks N]
//            node out/bench/bench-vmcore.js --lab [options]   (npm run bench:vmcore: the lab's 6.1-big ELF and
//            kdump when `npm run lab -- --big` made them, else 6.1-balloon's; says which)
// On the same dump, in one run, prints:
//   - the floor: merely reading + decompressing the memmap bytes of every section with a memmap, on one
//     thread (the snapshot of a big kdump decodes on two: its note says how the pages were shared);
//   - our full snapshot build (wall and CPU): PFNs/s, memmap pages/s, and the read+classify phase alone;
//   - the ratio to the floor;
//   - where installed, crash `kmem -p` (6.1 kernels: crash 8.0.2 cannot open ≥ 6.4) and a minimal drgn
//     walk (for_each_page reading page->flags), with the vmlinux the lab's tool step put under
//     <lab>/tools/vmlinux-<release> (never downloaded here), compared two ways:
//       (a) walk only: their walk vs our read+classify phase;
//       (b) end to end, what a user waits: their session load + one walk vs `kmemmap summary <dump>` in a
//           fresh node process (node start-up, module load, cold JIT, snapshot, summary).
//     Both tools are timed INSIDE one session each: crash runs `!` shell stamps between commands (date,
//     and crash's own CPU time from /proc/<crash>/stat and schedstat), the drgn script stamps time.time()
//     and time.process_time(); so session-load noise (crash: ~11-17 s CPU, ±1.5 s) never enters a walk.
//   - memory used.
// Ours and the floor run --runs times (default 3, interleaved; in process, so later runs have a warm JIT) and
// the median is printed, as is the CLI's; the tools walk
// --walks times (default 3) in their one session, median printed. The machine may be shared: wall and
// CPU are printed side by side; ratios are given for both.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVmcoreSnapshot } from '../memmap/vmcoreSnapshot';
import type { Snapshot } from '../memmap/snapshot';
import { openDump } from '../parsers/dump/openDump';
import { architectureOfDump } from '../arch';
import { readMemSections } from '../parsers/kernelMemory/memSection';
import { VmcoreMemmap } from '../memmap/vmcoreMemmap';
import { findSets, labRoot } from '../test/lab/sets';

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const wallNow = () => Number(process.hrtime.bigint()) / 1e9;
/** Wall-clock (epoch) seconds, comparable with `date +%s.%N` and Python's time.time(). */
const epochNow = () => (performance.timeOrigin + performance.now()) / 1000;
const fmtRate = (n: number, s: number) => `${(n / s / 1e6).toFixed(2)} M/s`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ');
/** "x times faster" with one decimal, or "x times slower" when below 1. */
const faster = (theirs: number, ours: number) => {
  const r = theirs / ours;
  if (!Number.isFinite(r) || r <= 0) return 'n/a';
  return r >= 1 ? `ours ${r.toFixed(1)}x faster` : `ours ${(1 / r).toFixed(1)}x slower`;
};

interface Time {
  wall: number;
  cpu: number;
}

/** Reads the memmap of every online section once through the bulk path: the floor we compare against. */
function readFloor(files: string[]): Time & { pfns: number } {
  const w0 = wallNow(),
    c0 = cpuNow();
  const d = openDump(files);
  try {
    const found = architectureOfDump(d.machine, d.vmcoreinfo);
    if ('error' in found) throw new Error(found.error);
    const g = found.arch.geometry(d.vmcoreinfo, d.mem.pageSize);
    const vm = found.arch.translator(d.mem, d.vmcoreinfo);
    const table = readMemSections(d.vmcoreinfo, vm, g.pageSize, g.sectionSizeBits);
    const mm = new VmcoreMemmap(d.mem, vm, table, 64, g.pageSize, g.subsectionShift);
    const buf = Buffer.alloc(table.pfnsPerSection * 64);
    const st = new Uint8Array(table.pfnsPerSection);
    let pfns = 0;
    for (const s of table.sections) {
      if (!(s.word & 2n) || !(s.word & 4n)) continue;
      mm.readStructPages(s.nr * table.pfnsPerSection, table.pfnsPerSection, buf, st);
      pfns += table.pfnsPerSection;
    }
    return { wall: wallNow() - w0, cpu: cpuNow() - c0, pfns };
  } finally {
    d.mem.close();
  }
}

interface Ours {
  total: Time;
  classify: Time;
  snap: Snapshot;
}

async function runOurs(files: string[]): Promise<Ours> {
  const classify: Time = { wall: NaN, cpu: NaN };
  const w0 = wallNow(),
    c0 = cpuNow();
  const snap = await openVmcoreSnapshot(files, {
    onPhase: (name, ms, cpuMs) => {
      if (name === 'memmap read+classify') {
        classify.wall = ms / 1000;
        classify.cpu = cpuMs / 1000;
      }
    },
  });
  return { total: { wall: wallNow() - w0, cpu: cpuNow() - c0 }, classify, snap };
}

const isElf = (f: string) => {
  const b = Buffer.alloc(4);
  const fd = openSync(f, 'r');
  try {
    readSync(fd, b, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return b.readUInt32BE(0) === 0x7f454c46;
};
/** `kmemmap summary <dump>` in a fresh node process, as a user runs it: wall (measured here) and the child's
 *  CPU (user+sys from bash's `times`). */
function runCli(files: string[]): Time | string {
  const cli = join(__dirname, '..', 'cli', 'kmemmap.js');
  if (!existsSync(cli)) return `no ${cli} (npm run build)`;
  const quoted = [process.execPath, cli, 'summary', ...files].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const w0 = wallNow();
  const r = spawnSync('bash', ['-c', `${quoted} > /dev/null; rc=$?; times >&2; exit $rc`], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const wall = wallNow() - w0;
  const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec((r.stderr ?? '').trim());
  if (r.status !== 0 || !t) return `kmemmap summary failed (${r.status}): ${lastLine(r.stderr ?? '')}`;
  return { wall, cpu: Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) };
}

const which = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const lastLine = (s: string) => s.trim().split('\n').slice(-1)[0] ?? '';

/** A tool session measured from inside: load (spawn to first stamp) and each walk (between stamps). */
interface Session {
  /** spawn to the first stamp: what the user waits before the first command runs */
  load: Time;
  /** one entry per walk */
  walks: Time[];
  /** pages the walk visits */
  pages: number;
  /** what the walk is, for the printout */
  what: string;
  /** extra lines (how it was measured, overheads) */
  notes: string[];
}

// ---- crash: one session, `!` stamps between commands ----
// The stamp is sourced into the shell crash runs for `!` (so $PPID is crash itself): wall time, crash's
// utime+stime (clock ticks, all threads) and the sum of its threads' schedstat run time (ns).
const CRASH_STAMP =
  [
    'p=$PPID',
    "c=$(awk '{print $14+$15}' /proc/$p/stat)",
    's=$(cat /proc/$p/task/*/schedstat 2>/dev/null | awk \'{s+=$1} END {printf "%.0f", s}\')',
    'echo "@@STAMP $N $(date +%s.%N) $c ${s:-0}"',
  ].join('\n') + '\n';

interface Stamp {
  name: string;
  wall: number;
  cpuTicks: number;
  runNs: number;
}
const parseStamps = (out: string): Stamp[] =>
  [...out.matchAll(/^@@STAMP (\S+) ([\d.]+) (\d+) (\d+)$/gm)].map((m) => ({
    name: m[1],
    wall: Number(m[2]),
    cpuTicks: Number(m[3]),
    runNs: Number(m[4]),
  }));

function crashSession(dump: string, vmlinux: string, release: string, walks: number): Session | string {
  if (!which('crash')) return 'crash not installed';
  if (!/^6\.1\./.test(release)) return `crash 8.0.2 cannot open ${release} (only the 6.1 sets)`;
  const dir = mkdtempSync(join(tmpdir(), 'kmemmap-bench-'));
  try {
    const stamp = join(dir, 'stamp.sh');
    writeFileSync(stamp, CRASH_STAMP);
    const st = (name: string) => `!N=${name}; . ${stamp}\n`;
    // load; two stamps back to back (the cost of one stamp: crash forks a shell, ~ms for its big
    // address space); then each walk followed by a stamp; then the page count.
    const input =
      st('load') +
      st('idle') +
      Array.from({ length: walks }, (_, i) => `kmem -p > /dev/null\n${st(`walk${i}`)}`).join('') +
      '!echo @@COUNT\nkmem -p | wc -l\nq\n';
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const t0 = epochNow();
    const r = spawnSync('crash', ['-s', vmlinux, dump], {
      input,
      encoding: 'utf8',
      timeout: 3_600_000,
      maxBuffer: 64 << 20,
    });
    const out = `${r.stdout ?? ''}`;
    const s = parseStamps(out);
    if (s.length !== walks + 2)
      return `crash failed (${r.status ?? r.signal}): ${lastLine(`${r.stdout ?? ''}${r.stderr ?? ''}`)}`;
    const pages = Number(/@@COUNT\s+(\d+)/.exec(out)?.[1] ?? 0) - 1; // minus the header line
    const useRun = s.every((x) => x.runNs > 0);
    const cpuOf = (a: Stamp, b: Stamp) => (useRun ? (b.runNs - a.runNs) / 1e9 : (b.cpuTicks - a.cpuTicks) / hz);
    const idle: Time = { wall: s[1].wall - s[0].wall, cpu: cpuOf(s[0], s[1]) };
    const walkTimes: Time[] = [];
    for (let i = 2; i < s.length; i++)
      walkTimes.push({ wall: s[i].wall - s[i - 1].wall - idle.wall, cpu: cpuOf(s[i - 1], s[i]) - idle.cpu });
    return {
      load: { wall: s[0].wall - t0, cpu: s[0].cpuTicks / hz },
      walks: walkTimes,
      pages,
      what: '`kmem -p > /dev/null` (every struct page formatted as text)',
      notes: [
        `one crash session; walk = time between stamps minus one stamp's own cost (wall ${(idle.wall * 1000).toFixed(1)} ms, cpu ${(idle.cpu * 1000).toFixed(1)} ms); cpu from ${useRun ? 'schedstat (ns)' : `/proc/<pid>/stat (1/${hz} s ticks)`}; load cpu from /proc/<pid>/stat`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- drgn: one process, the script stamps its own times ----
function drgnSession(dump: string, vmlinux: string, walks: number): Session | string {
  if (!which('drgn')) return 'drgn not installed';
  const dir = mkdtempSync(join(tmpdir(), 'kmemmap-bench-'));
  try {
    const script = join(dir, 'walk.py');
    writeFileSync(
      script,
      [
        'import time',
        'print("@@LOAD %.6f %.6f" % (time.time(), time.process_time()), flush=True)',
        'from drgn import FaultError',
        'from drgn.helpers.linux.mm import for_each_page',
        `for w in range(${walks}):`,
        '    w0, c0 = time.time(), time.process_time()',
        '    n = bad = 0',
        '    for page in for_each_page(prog):',
        '        try:',
        '            page.flags.value_()',
        '            n += 1',
        '        except FaultError:',
        '            bad += 1',
        '    print("@@WALK %.6f %.6f %d %d" % (time.time() - w0, time.process_time() - c0, n, bad), flush=True)',
      ].join('\n') + '\n',
    );
    const env = { ...process.env, DRGN_USE_LIBKDUMPFILE_FOR_ELF: '1' };
    const t0 = epochNow();
    const r = spawnSync('drgn', ['-q', '-c', dump, '-s', vmlinux, script], {
      env,
      encoding: 'utf8',
      timeout: 3_600_000,
      maxBuffer: 64 << 20,
    });
    const out = `${r.stdout ?? ''}`;
    const l = /@@LOAD ([\d.]+) ([\d.]+)/.exec(out);
    const ws = [...out.matchAll(/@@WALK ([\d.]+) ([\d.]+) (\d+) (\d+)/g)];
    if (!l || ws.length !== walks) {
      const why = lastLine(`${r.stdout ?? ''}${r.stderr ?? ''}`);
      // drgn 0.0.22 opens ELF cores itself and other formats through libkdumpfile, which rejects QEMU's
      // flattened kdump ("not an ELF core file") and even its `makedumpfile -R` reassembly (no arch name)
      return isElf(dump)
        ? `drgn failed (${r.status ?? r.signal}): ${why}`
        : `drgn cannot open this dump (${why}); its walk on the same set's ELF stands for it`;
    }
    return {
      load: { wall: Number(l[1]) - t0, cpu: Number(l[2]) },
      walks: ws.map((m) => ({ wall: Number(m[1]), cpu: Number(m[2]) })),
      pages: Number(ws[0][3]),
      what: 'for_each_page() reading page->flags only (a lower bound for any classifier in drgn)',
      notes: [
        `one drgn process; load = spawn to the script's first line (python + drgn + debug info), cpu = time.process_time() there (all threads); ${ws[0][4]} PFNs of the walk raised FaultError (no memmap) and are not counted as pages`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTool(
  name: string,
  s: Session | string,
  ours: { classify: Time; total: Time; pages: number },
  cliLabel: string,
): void {
  if (typeof s === 'string') {
    console.log(`${name}: not measured (${s})`);
    return;
  }
  const w = { wall: median(s.walks.map((x) => x.wall)), cpu: median(s.walks.map((x) => x.cpu)) };
  const first = s.walks[0];
  const e2e = { wall: s.load.wall + first.wall, cpu: s.load.cpu + first.cpu };
  // per-page comparison: page counts differ a little (crash lists every present memmap page, drgn the
  // readable ones from min_low_pfn, ours every PFN of a section with a memmap)
  const perPage = (t: Time, pages: number) => ({ wall: t.wall / pages, cpu: t.cpu / pages });
  const tw = perPage(w, s.pages),
    te = perPage(e2e, s.pages);
  const ow = perPage(ours.classify, ours.pages),
    oe = perPage(ours.total, ours.pages);
  console.log(`${name}: ${s.what}; ${s.pages} pages`);
  for (const n of s.notes) console.log(`  ${n}`);
  console.log(`  session load: wall ${s.load.wall.toFixed(2)} s, cpu ${s.load.cpu.toFixed(2)} s`);
  console.log(
    `  (a) walk only, median of ${s.walks.length}: wall ${w.wall.toFixed(3)} s, cpu ${w.cpu.toFixed(3)} s = ${fmtRate(s.pages, w.wall)} (wall), ${fmtRate(s.pages, w.cpu)} (cpu) pages [walls ${secs(s.walks.map((x) => x.wall))}; cpus ${secs(s.walks.map((x) => x.cpu))}]`,
  );
  console.log(
    `      vs our read+classify phase: ${faster(tw.wall, ow.wall)} per page (wall), ${faster(tw.cpu, ow.cpu)} (cpu)`,
  );
  console.log(
    `  (b) end to end, load + first walk: wall ${e2e.wall.toFixed(2)} s, cpu ${e2e.cpu.toFixed(2)} s = ${fmtRate(s.pages, e2e.wall)} (wall) pages`,
  );
  console.log(`      vs ${cliLabel}: ${faster(te.wall, oe.wall)} per page (wall), ${faster(te.cpu, oe.cpu)} (cpu)`);
}

function parseArgs(argv: string[]) {
  const o = { noTools: false, runs: 3, walks: 3, lab: false, files: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-tools') o.noTools = true;
    else if (a === '--lab') o.lab = true;
    else if (a === '--runs' || a === '--walks') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} wants a positive integer`);
      if (a === '--runs') o.runs = n;
      else o.walks = n;
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.files.push(a);
  }
  return o;
}

/** --lab: the 6.1-big set's ELF and kdump when present, else 6.1-balloon's; one child process per dump. */
function runLab(argv: string[]): void {
  const big = findSets({ kernel: '6.1', big: true })[0];
  const set = big ?? findSets({ kernel: '6.1', scenario: 'balloon', big: false })[0];
  if (!set) {
    console.error('no 6.1-big or 6.1-balloon lab set: run `npm run lab -- --big --kernel 6.1` (or `npm run lab`)');
    process.exit(2);
  }
  const rest = argv.filter((a) => a !== '--lab');
  console.log(
    big
      ? `lab set ${set.name} (big: \`npm run lab -- --big\`)`
      : `lab set ${set.name} (no 6.1-big set: make it with \`npm run lab -- --big --kernel 6.1\`)`,
  );
  let rc = 0;
  for (const f of [set.elf, set.kdump]) {
    console.log(`\n=== ${f}`);
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, f, ...rest], { stdio: 'inherit' });
    if (r.status !== 0) rc = r.status ?? 1;
  }
  process.exit(rc);
}

/** End to end as a user waits: the CLI in a fresh process (node start, module load, cold JIT, summary). */
function printEndToEnd(files: string[], runs: number, memmapPages: number): Time | undefined {
  const clis = Array.from({ length: runs }, () => runCli(files));
  const cliOk = clis.filter((c): c is Time => typeof c !== 'string');
  if (!cliOk.length) {
    console.log(`our end to end: not measured (${clis[0]})`);
    return undefined;
  }
  const cli = { wall: median(cliOk.map((c) => c.wall)), cpu: median(cliOk.map((c) => c.cpu)) };
  console.log(
    `our end to end, \`kmemmap summary <dump>\` in a fresh process: wall ${cli.wall.toFixed(3)} s, cpu ${cli.cpu.toFixed(3)} s (cpu/wall ${(cli.cpu / cli.wall).toFixed(2)}) = ${fmtRate(memmapPages, cli.wall)} memmap pages (wall) [walls ${secs(cliOk.map((c) => c.wall))}]`,
  );
  return cli;
}

/** crash and drgn on the same dump with the lab's debuginfo vmlinux, beside our figures. */
function printTools(
  file: string,
  release: string,
  walks: number,
  ours: { classify: Time; total: Time; cli?: Time; pages: number },
): void {
  const vmlinux = join(labRoot(), 'tools', `vmlinux-${release}`);
  if (!existsSync(vmlinux)) {
    console.log(`crash/drgn: not measured (no ${vmlinux}; \`npm run lab:tools\` provides it)`);
    return;
  }
  const o = { classify: ours.classify, total: ours.cli ?? ours.total, pages: ours.pages };
  const label = ours.cli ? '`kmemmap summary` in a fresh process' : 'our whole snapshot build (in process)';
  printTool('crash', crashSession(file, vmlinux, release, walks), o, label);
  printTool('drgn', drgnSession(file, vmlinux, walks), o, label);
}

async function main() {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.lab) return runLab(argv);
  const files = args.files;
  if (!files.length) {
    console.error(
      'usage: bench-vmcore <dump> [split files…] [--no-tools] [--runs N] [--walks N]\n       bench-vmcore --lab [--no-tools] [--runs N] [--walks N]',
    );
    process.exit(2);
  }

  const floors: ReturnType<typeof readFloor>[] = [];
  const ours: Ours[] = [];
  for (let i = 0; i < args.runs; i++) {
    floors.push(readFloor(files));
    ours.push(await runOurs(files));
    if (i < args.runs - 1) {
      ours[i].snap = undefined as unknown as Snapshot;
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
  const floor = {
    wall: median(floors.map((f) => f.wall)),
    cpu: median(floors.map((f) => f.cpu)),
    pfns: floors[0].pfns,
  };
  const total: Time = { wall: median(ours.map((o) => o.total.wall)), cpu: median(ours.map((o) => o.total.cpu)) };
  const classify: Time = {
    wall: median(ours.map((o) => o.classify.wall)),
    cpu: median(ours.map((o) => o.classify.cpu)),
  };
  const snap = ours[ours.length - 1].snap;
  const mem = process.memoryUsage();
  const release = snap.kernel.release ?? '?';
  const sizes = files.map((f) => {
    const st = statSync(f);
    return `${(st.size / 2 ** 30).toFixed(2)} GiB, ${((st.blocks * 512) / 2 ** 30).toFixed(2)} GiB on disk`;
  });

  console.log(`dump: ${files.join(' ')} (${snap.provenance.format}, ${release}; ${sizes.join('; ')})`);
  console.log(
    `PFNs in snapshot: ${snap.endPfn}; PFNs with an online memmap: ${floor.pfns}; medians of ${args.runs} runs (floor and ours interleaved)`,
  );
  console.log(
    `floor, read+decompress memmap only (one thread): wall ${floor.wall.toFixed(3)} s, cpu ${floor.cpu.toFixed(3)} s (${fmtRate(floor.pfns, floor.wall)} struct pages) [walls ${secs(floors.map((f) => f.wall))}]`,
  );
  console.log(
    `our snapshot: wall ${total.wall.toFixed(3)} s, cpu ${total.cpu.toFixed(3)} s (cpu/wall ${(total.cpu / total.wall).toFixed(2)}) = ${fmtRate(snap.endPfn, total.wall)} PFNs, ${fmtRate(floor.pfns, total.wall)} memmap pages (wall), ${fmtRate(floor.pfns, total.cpu)} (cpu) [walls ${secs(ours.map((o) => o.total.wall))}]`,
  );
  console.log(
    `  read+classify phase alone: wall ${classify.wall.toFixed(3)} s, cpu ${classify.cpu.toFixed(3)} s (cpu/wall ${(classify.cpu / classify.wall).toFixed(2)}) = ${fmtRate(floor.pfns, classify.wall)} (wall), ${fmtRate(floor.pfns, classify.cpu)} (cpu) memmap pages [walls ${secs(ours.map((o) => o.classify.wall))}]`,
  );
  console.log(
    `ratio ours / floor: wall ${(total.wall / floor.wall).toFixed(2)}, cpu ${(total.cpu / floor.cpu).toFixed(2)}; read+classify phase / floor: wall ${(classify.wall / floor.wall).toFixed(2)}, cpu ${(classify.cpu / floor.cpu).toFixed(2)}`,
  );
  console.log(
    `memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${(mem.external / 2 ** 20).toFixed(0)} MiB, array buffers ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MiB; class array ${(snap.classes.length / 2 ** 20).toFixed(2)} MiB (1 byte/PFN)`,
  );

  const cli = printEndToEnd(files, args.runs, floor.pfns);
  if (!args.noTools && files.length === 1)
    printTools(files[0], release, args.walks, { classify, total, cli, pages: floor.pfns });
  console.log(
    snap.provenance.notes
      .filter((n) => /timings|decoded/.test(n))
      .map((n) => `  note: ${n}`)
      .join('\n'),
  );
}
main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
