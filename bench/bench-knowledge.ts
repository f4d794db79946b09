// Benchmark (not a timed test): kernel tree indexing time and hover latency.
//   npm run build && node out/bench/bench-knowledge.js [tree ...]
// Trees default to the Debian trees unpacked by scripts/kernel-sources.sh.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSourceIndex } from '../kernel/sourceIndex/indexer';
import { getSourceIndex } from '../kernel/sourceIndex/cache';
import { computeHover, type HoverRequest } from '../extension/hovers/hoverContent';
import { resolveKernel } from '../kernel/decode';

const cacheRoot = process.env.KMEMMAP_SRC_CACHE ?? join(homedir(), '.cache/kmemmap-src');
const trees = (
  process.argv.slice(2).length
    ? process.argv.slice(2)
    : ['6.1', '6.12'].map((v) => join(cacheRoot, `linux-source-${v}`))
).filter(existsSync);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function benchIndex(): Promise<void> {
  console.log(`indexing (${cpus().length} CPUs; page cache state as found — run twice for warm figures)`);
  for (const t of trees) {
    for (const scope of ['definitions', 'full'] as const) {
      const t0 = performance.now();
      const idx = await buildSourceIndex(t, { scope });
      console.log(
        `  ${t} [${scope}]: ${(performance.now() - t0).toFixed(0)} ms, ${Object.keys(idx.defs).length} symbols`,
      );
    }
    const cache = mkdtempSync(join(tmpdir(), 'kmemmap-bench-'));
    await getSourceIndex(cache, t);
    const t1 = performance.now();
    const again = await getSourceIndex(cache, t);
    console.log(`  ${t} cached load: ${(performance.now() - t1).toFixed(1)} ms (fromCache=${again.fromCache})`);
  }
}

function benchHover(): void {
  const patchPath = resolve(
    __dirname,
    '../../test/fixtures/patches/v2-1-1-mm-memory_hotplug-PG_offline_skippable.patch',
  );
  const patch = existsSync(patchPath) ? readFileSync(patchPath, 'utf8') : '';
  const k = resolveKernel('6.12.117+deb12-amd64', 'bench')!;
  const reqs: HoverRequest[] = [
    { kind: 'c', lineText: '\tif (PageOffline(page) && page_count(page))', character: 6, kernel: k },
    { kind: 'c', lineText: '\tPG_head,\t\t/* Must be in bit 6 */', character: 3, kernel: k },
    {
      kind: 'c',
      lineText: 'int offline_pages(unsigned long start_pfn, unsigned long nr_pages,',
      character: 6,
      kernel: k,
    },
    {
      kind: 'patch',
      lineText: '+\tPG_offline_skippable = PG_owner_2,',
      character: 4,
      kernel: k,
      documentText: () => patch,
    },
    {
      kind: 'log',
      lineText: '[  1.2] flags: 0x17ffffc0010200(slab|head|node=0|zone=2|lastcpupid=0x1fffff)',
      character: 18,
      kernel: k,
    },
    { kind: 'log', lineText: '[  1.2] page_type: f1(offline)', character: 20, kernel: k },
    {
      kind: 'log',
      lineText: 'fffffafdc0041380  104e000 ffff8cd6c1042a00        0  1 fffffc0010200 slab,head',
      character: 60,
      kernel: k,
    },
    { kind: 'c', lineText: '\tfoo = bar(baz);', character: 3, kernel: k },
  ];
  const t0 = performance.now();
  computeHover(reqs[0]);
  const cold = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const r = reqs[i % reqs.length];
    const s = performance.now();
    computeHover(r);
    times.push(performance.now() - s);
  }
  for (const r of reqs) {
    const ts: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      computeHover(r);
      ts.push(performance.now() - s);
    }
    console.log(
      `  ${r.kind.padEnd(5)} ${r.lineText.trim().slice(0, 50).padEnd(50)} p50 ${pct(ts, 50).toFixed(3)} ms  p99 ${pct(ts, 99).toFixed(3)} ms`,
    );
  }
  console.log(
    `hover (pure computeHover, ${times.length} requests over ${reqs.length} kinds of line): first ${cold.toFixed(2)} ms, p50 ${pct(times, 50).toFixed(3)} ms, p99 ${pct(times, 99).toFixed(3)} ms, max ${Math.max(...times).toFixed(2)} ms (budget 50 ms)`,
  );
}

(async () => {
  benchHover();
  if (trees.length) await benchIndex();
  else
    console.log(
      'no kernel trees: run scripts/kernel-sources.sh (after apt-get install linux-source-6.1 linux-source-6.12)',
    );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
