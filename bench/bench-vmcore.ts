// Benchmark: node out/bench/bench-vmcore.js <dump> [more split files] [--no-tools]
// On the same dump, in one run, prints:
//   - the floor: merely reading + decompressing the memmap bytes of every section with a memmap;
//   - our full snapshot build (wall and CPU): PFNs/s, memmap pages/s, and the read+classify phase alone;
//   - the ratio to the floor;
//   - where installed, the ratio to crash `kmem -p` (6.1 kernels: crash 8.0.2 cannot open ≥ 6.4) and to a
//     minimal drgn walk (for_each_page reading page->flags), both with the vmlinux the lab's tool step put
//     under <lab>/tools/vmlinux-<release> (never downloaded here); their session-load time is measured
//     separately and subtracted; tools are timed by CPU time (user+sys), ours by wall and CPU;
//   - memory used.
// The machine may be shared: CPU time (user+sys of this process) is printed next to wall time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVmcoreSnapshot } from '../memmap/vmcoreSnapshot';
import { openDump } from '../parsers/dump/openDump';
import { X86Paging } from '../parsers/x86_64/paging';
import { readMemSections } from '../parsers/x86_64/memSection';
import { VmcoreMemmap } from '../memmap/vmcoreMemmap';
import { labRoot } from '../test/lab/sets';

const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const wallNow = () => Number(process.hrtime.bigint()) / 1e9;
const fmtRate = (n: number, s: number) => `${(n / s / 1e6).toFixed(2)} M/s`;

/** Reads the memmap of every online section once through the bulk path: the floor we compare against. */
function readFloor(files: string[]): { wall: number; cpu: number; pfns: number } {
  const w0 = wallNow(), c0 = cpuNow();
  const d = openDump(files);
  try {
    const vm = new X86Paging(d.mem, d.vmcoreinfo);
    const table = readMemSections(d.vmcoreinfo, vm, 4096);
    const mm = new VmcoreMemmap(d.mem, vm, table, 64);
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

/** Runs a tool and returns its CPU time (user+sys of the child, from bash's `times`; wall time is noise on a shared machine). */
function timed(cmd: string, args: string[], input: string, env: NodeJS.ProcessEnv = process.env): { sec: number; ok: boolean; out: string } {
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${quoted}; rc=$?; times >&2; exit $rc`], { input, encoding: 'utf8', env, timeout: 600_000, maxBuffer: 1 << 30 });
  const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec((r.stderr ?? '').trim());
  const sec = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : NaN;
  return { sec, ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const which = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;

/** crash `kmem -p` walk time (session with the walk minus session without), or why not measured. */
function crashWalk(dump: string, vmlinux: string, release: string): { sec: number; pages: number } | string {
  if (!which('crash')) return 'crash not installed';
  if (!/^6\.1\./.test(release)) return `crash 8.0.2 cannot open ${release} (only the 6.1 sets)`;
  const load = timed('crash', ['-s', vmlinux, dump], 'q\n');
  if (!load.ok) return `crash failed to load the dump: ${load.out.trim().split('\n').slice(-1)[0]}`;
  // one walk vs seven walks in one session: the difference / 6 is one walk, without the session load.
  // The session load (~10 s CPU for a 6.1 vmlinux) varies by ±1 s between runs, so fewer walks make the
  // difference mostly noise (a 1-vs-4 difference once came out as 0.02 s).
  const one = timed('crash', ['-s', vmlinux, dump], 'kmem -p | wc -l\nq\n');
  const many = timed('crash', ['-s', vmlinux, dump], 'kmem -p | wc -l\n'.repeat(7) + 'q\n');
  const pages = Number(one.out.trim().split('\n').filter((l) => /^\d+$/.test(l.trim())).pop() ?? 0) - 1;
  return { sec: Math.max(0.001, (many.sec - one.sec) / 6), pages };
}

/** A minimal drgn walk (every struct page's flags), minus drgn's load time, or why not measured. */
function drgnWalk(dump: string, vmlinux: string): { sec: number; pages: number } | string {
  if (!which('drgn')) return 'drgn not installed';
  const dir = mkdtempSync(join(tmpdir(), 'kmemmap-bench-'));
  try {
    const walk = join(dir, 'walk.py'), load = join(dir, 'load.py');
    writeFileSync(load, 'import time\nprint("loaded")\n');
    writeFileSync(walk, [
      'from drgn import FaultError',
      'from drgn.helpers.linux.mm import for_each_page',
      'n = 0',
      'for page in for_each_page(prog):',
      '    try:',
      '        page.flags.value_()',
      '        n += 1',
      '    except FaultError:',
      '        pass',
      'print("pages", n)',
    ].join('\n') + '\n');
    const env = { ...process.env, DRGN_USE_LIBKDUMPFILE_FOR_ELF: '1' };
    const l = timed('drgn', ['-q', '-c', dump, '-s', vmlinux, load], '', env);
    if (!l.ok) return `drgn cannot open the dump: ${l.out.trim().split('\n').slice(-1)[0]}`;
    const w = timed('drgn', ['-q', '-c', dump, '-s', vmlinux, walk], '', env);
    const m = /pages (\d+)/.exec(w.out);
    if (!w.ok || !m) return `drgn walk failed: ${w.out.trim().split('\n').slice(-1)[0]}`;
    return { sec: Math.max(0.001, w.sec - l.sec), pages: Number(m[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const noTools = argv.includes('--no-tools');
  const files = argv.filter((a) => !a.startsWith('--'));
  if (!files.length) { console.error('usage: bench-vmcore <dump> [split files…] [--no-tools]'); process.exit(2); }

  const floor = readFloor(files);
  let classifyMs = 0, classifyCpuMs = 0;
  const w0 = wallNow(), c0 = cpuNow();
  const snap = await openVmcoreSnapshot(files, { onPhase: (name, ms, cpuMs) => { if (name === 'memmap read+classify') { classifyMs = ms; classifyCpuMs = cpuMs; } } });
  const wall = wallNow() - w0, cpu = cpuNow() - c0;
  const mem = process.memoryUsage();
  const release = snap.kernel.release ?? '?';

  console.log(`dump: ${files.join(' ')} (${snap.provenance.format}, ${release})`);
  console.log(`PFNs in snapshot: ${snap.endPfn}; PFNs with an online memmap: ${floor.pfns}`);
  console.log(`floor, read+decompress memmap only: wall ${floor.wall.toFixed(3)} s, cpu ${floor.cpu.toFixed(3)} s (${fmtRate(floor.pfns, floor.wall)} struct pages)`);
  console.log(`our snapshot: wall ${wall.toFixed(3)} s, cpu ${cpu.toFixed(3)} s = ${fmtRate(snap.endPfn, wall)} PFNs, ${fmtRate(floor.pfns, wall)} memmap pages (wall)`);
  console.log(`  read+classify phase alone: wall ${(classifyMs / 1000).toFixed(3)} s, cpu ${(classifyCpuMs / 1000).toFixed(3)} s = ${fmtRate(floor.pfns, classifyMs / 1000)} (wall), ${fmtRate(floor.pfns, classifyCpuMs / 1000)} (cpu) memmap pages`);
  console.log(`ratio ours / floor: wall ${(wall / floor.wall).toFixed(2)}, cpu ${(cpu / floor.cpu).toFixed(2)}; read+classify phase / floor: wall ${(classifyMs / 1000 / floor.wall).toFixed(2)}, cpu ${(classifyCpuMs / 1000 / floor.cpu).toFixed(2)}`);
  console.log(`memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${(mem.external / 2 ** 20).toFixed(0)} MiB, array buffers ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MiB; class array ${(snap.classes.length / 2 ** 20).toFixed(2)} MiB (1 byte/PFN)`);

  if (!noTools && files.length === 1) {
    const vmlinux = join(labRoot(), 'tools', `vmlinux-${release}`);
    if (!existsSync(vmlinux)) console.log(`crash/drgn: not measured (no ${vmlinux}; the lab's tools step provides it)`);
    else {
      const c = crashWalk(files[0], vmlinux, release);
      console.log(typeof c === 'string' ? `crash kmem -p: not measured (${c})`
        : `crash kmem -p: walk ${c.sec.toFixed(2)} s for ${c.pages} pages = ${fmtRate(c.pages, c.sec)}; ours is ${(c.sec / cpu * (floor.pfns / Math.max(1, c.pages))).toFixed(1)}x faster per page (CPU: our whole snapshot vs their walk only)`);
      const d = drgnWalk(files[0], vmlinux);
      console.log(typeof d === 'string' ? `drgn walk: not measured (${d})`
        : `drgn walk: ${d.sec.toFixed(2)} s for ${d.pages} pages = ${fmtRate(d.pages, d.sec)}; ours is ${(d.sec / cpu * (floor.pfns / Math.max(1, d.pages))).toFixed(1)}x faster per page (CPU)`);
    }
  }
  console.log(snap.provenance.notes.filter((n) => /timings|decoded/.test(n)).map((n) => `  note: ${n}`).join('\n'));
}
main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
