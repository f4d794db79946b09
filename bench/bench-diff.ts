// kmemmap diff on two synthetic 64 GiB snapshots (16 M PFNs, 512 sections): CPU time of the diff itself
// (beyond reading the snapshots), and the memory it adds per PFN. Prints figures; asserts nothing.
//   npm run bench:diff [-- --gib 64 --changed-pct 1 --runs 5]
import { syntheticSnapshot } from '../test/webview/syntheticSnapshot';
import { diffSnapshots } from '../memmap/snapshotDiff';
import { CLASS_ID } from '../kernel/pageClasses';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const gib = arg('gib', 64),
  pct = arg('changed-pct', 1),
  runs = arg('runs', 5);
const sections = (gib * 2 ** 30) / (32768 * 4096);
const a = syntheticSnapshot(sections);
const b = { ...a, classes: a.classes.slice() };
// change pct % of the PFNs in runs of 1..64 pages, as balloon inflation and allocator churn do
let seed = 99;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const target = Math.floor((a.classes.length * pct) / 100);
for (let done = 0; done < target;) {
  const at = Math.floor(rnd() * a.classes.length),
    len = 1 + Math.floor(rnd() * 64);
  b.classes.fill(CLASS_ID['offline-movable'], at, Math.min(a.classes.length, at + len));
  done += len;
}
const pfns = a.classes.length;
console.log(`synthetic ${gib} GiB: ${pfns} PFNs per side, ~${pct}% changed`);
const cpu: number[] = [];
let extra = 0,
  nRuns = 0;
for (let r = 0; r < runs; r++) {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const t0 = process.cpuUsage();
  const d = diffSnapshots(a, b);
  const t = process.cpuUsage(t0);
  cpu.push((t.user + t.system) / 1000);
  extra = Math.max(extra, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap0);
  nRuns = d.runs.length;
}
cpu.sort((x, y) => x - y);
console.log(
  `diff CPU: median ${cpu[Math.floor(cpu.length / 2)].toFixed(0)} ms, min ${cpu[0].toFixed(0)} ms over ${runs} runs (${nRuns} changed runs)`,
);
console.log(
  `memory added by the diff: ${(extra / 2 ** 20).toFixed(1)} MiB = ${(extra / pfns).toFixed(3)} bytes per PFN (runs and transitions included)`,
);

// The diff panel's extra pass in the compare worker: the per-section digest its first picture is drawn
// from (memory: the digest only; the panel then asks for both sides' bytes of the sections in view).
import { diffSections } from '../extension/diffSections';
import { outsideClass } from '../memmap/snapshotDiff';
{
  const cpuD: number[] = [];
  let extraD = 0,
    nonUniform = 0;
  for (let r = 0; r < runs; r++) {
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const t0 = process.cpuUsage();
    const side = (s: typeof a) => ({ classes: s.classes, start: s.startPfn, end: s.endPfn, outside: outsideClass(s) });
    const dg = diffSections(side(a), side(b), a.startPfn, a.endPfn, a.pfnsPerSection);
    const t = process.cpuUsage(t0);
    cpuD.push((t.user + t.system) / 1000);
    extraD = Math.max(extraD, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap0);
    nonUniform = dg.countsNew.filter(Boolean).length;
  }
  cpuD.sort((x, y) => x - y);
  console.log(
    `diff panel digest CPU: median ${cpuD[Math.floor(cpuD.length / 2)].toFixed(0)} ms, min ${cpuD[0].toFixed(0)} ms (${nonUniform} of ${sections} sections not uniform); memory ${(extraD / 2 ** 20).toFixed(1)} MiB = ${(extraD / pfns).toFixed(3)} B/PFN`,
  );
}
