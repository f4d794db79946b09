// Throughput of the crash `kmem -p` reader: a million-line listing made by tiling the real crash
// 8.0.2 rows of the fixture session (6.1 guest) over consecutive PFNs, read (1) by the row parser
// alone and (2) end to end as a session log: split, parse, infer compound tails, classify.
// Usage: node --expose-gc out/bench/bench-crash.js [rows] [session-file]   (npm run bench:crash)
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { toolOutputSnapshot } from '../memmap/toolOutputSnapshot';
import { parseKmemP } from '../parsers/tools/crashKmemP';
import { PageImage } from '../parsers/tools/pageImage';
import { splitSessionLog } from '../parsers/tools/sessionLog';
import { CLASS_ID, PAGE_CLASSES } from '../kernel/pageClasses';

const rowsWanted = Number(process.argv[2] ?? 1 << 20);
const file =
  process.argv[3] ?? join(__dirname, '..', '..', 'test', 'fixtures', 'tools', 'crash-8.0.2-6.1-balloon-session.txt');
const segs = splitSessionLog(readFileSync(file, 'utf8'));
const listing = segs.find((s) => s.command === 'kmem -p');
if (!listing) throw new Error(`${file}: no "crash> kmem -p" listing`);
const header = listing.lines.find((l) => /PHYSICAL/.test(l))!;
const src = listing.lines.filter((l) => /^[0-9a-f]{16}\s/.test(l)).map((l) => l.trim().split(/\s+/));
if (!src.length) throw new Error('no rows');
const vmemmap = BigInt('0x' + src[0][0]) - BigInt(parseInt(src[0][1], 16) / 4096) * 64n;
// Whole 512-page tiles keep compound pages and their heads together.
const firstPfn = parseInt(src[0][1], 16) / 4096;
const tile = src.slice(0, Math.max(1, Math.floor(src.length / 512) * 512));
const lines: string[] = [];
for (let i = 0; i < rowsWanted; i++) {
  const r = tile[i % tile.length];
  const pfn = firstPfn + i;
  const page = (vmemmap + BigInt(pfn) * 64n).toString(16);
  const phys = (pfn * 4096).toString(16);
  lines.push(
    `${page} ${phys.padStart(8)} ${r[2].padStart(16)} ${r[3].padStart(8)} ${r[4].padStart(2)} ${r.slice(5).join(' ')}`,
  );
}
const sys = segs.find((s) => s.command === 'sys')!;
const text = ['crash> sys', ...sys.lines, 'crash> kmem -p', header, ...lines].join('\n');
const mb = Buffer.byteLength(text) / 2 ** 20;

function time<T>(f: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

const listingText = [header, ...lines].join('\n');
lines.length = 0; // the tiles are garbage now: collect them before measuring, where possible
(globalThis as { gc?: () => void }).gc?.();
// Three runs each: the first (cold) and the best are printed; the pass/fail check uses the best.
const parses: number[] = [];
let parsed!: ReturnType<typeof parseKmemP>;
for (let k = 0; k < 3; k++) {
  const [p, t] = time(() => parseKmemP(listingText, new PageImage()));
  parsed = p;
  parses.push(t);
}
const alls: number[] = [];
let snap!: ReturnType<typeof toolOutputSnapshot>;
for (let k = 0; k < 3; k++) {
  const [x, t] = time(() => toolOutputSnapshot(text, 'bench'));
  snap = x;
  alls.push(t);
}
const tParse = Math.min(...parses),
  tAll = Math.min(...alls);
const classes = PAGE_CLASSES.map((c, i) => [c, snap.counts[i]] as const)
  .filter(([, n]) => n > 0)
  .map(([c, n]) => `${c} ${n}`)
  .join(', ');
console.log(
  `kmem -p listing: ${rowsWanted} rows (${mb.toFixed(1)} MiB) tiled from ${tile.length} real crash 8.0.2 rows`,
);
console.log(
  `row parser:      best ${tParse.toFixed(3)} s, first ${parses[0].toFixed(3)} s  (${(parsed.rows / tParse / 1e6).toFixed(2)} M rows/s, ${parsed.badRows} bad rows)`,
);
console.log(
  `session → snapshot (split, parse, infer tails, classify): best ${tAll.toFixed(3)} s, first ${alls[0].toFixed(3)} s  (${(rowsWanted / tAll / 1e6).toFixed(2)} M rows/s)`,
);
console.log(
  `machine: ${cpus().length} CPUs, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`classes: ${classes}`);
console.log(`not-in-listing: ${snap.counts[CLASS_ID['not-in-listing']]}`);
console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
if (tAll >= 2 && rowsWanted >= 1e6) {
  console.log('FAIL: a million-line listing must take < 2 s');
  process.exitCode = 1;
}
