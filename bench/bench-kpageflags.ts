// Benchmark: kpageflags classification throughput against a plain read of the same file.
//
//   node out/bench/bench-kpageflags.js [capture-folder-or-kpageflags] [--tib N]
//
// Makes a synthetic capture of N TiB (default 1) by tiling a real kpageflags file (a lab set's,
// the bundled sample's, or the one given) in a temp folder, then prints PFNs/s for a plain
// sequential read and for classification, their ratio (target: within 2x), and the memory used
// per PFN (target: <= 1.5 bytes).

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openKpageflagsSnapshot } from '../memmap/kpageflagsSnapshot';
import { openCaptureBundle } from '../parsers/capture/bundle';
import type { U64File } from '../parsers/capture/u64File';

async function sourceKpageflags(arg: string | undefined): Promise<U64File> {
  if (arg) return (await openCaptureBundle(arg)).kpageflags;
  return (await openCaptureBundle(join(__dirname, '..', '..', 'samples', 'sample-6.12-virtio-mem.tar.gz'))).kpageflags;
}

function tile(src: U64File, dst: string, bytes: number): void {
  const chunk = Buffer.alloc(Math.min(src.size, 64 << 20));
  const n = readSync(src.fd, chunk, 0, chunk.length, 0);
  const ofd = openSync(dst, 'w');
  for (let off = 0; off < bytes; off += n) writeSync(ofd, chunk, 0, Math.min(n, bytes - off));
  closeSync(ofd);
}

function plainRead(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(8 << 20);
  let total = 0;
  let n: number;
  let xor = 0;
  while ((n = readSync(fd, buf, 0, buf.length, total)) > 0) {
    total += n;
    xor ^= buf[n - 1]; // touch the data so the read cannot be skipped
  }
  closeSync(fd);
  return total + (xor & 0);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const tibIdx = args.indexOf('--tib');
  const tib = tibIdx >= 0 ? Number(args[tibIdx + 1]) : 1;
  const src = await sourceKpageflags(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--tib'));
  const pfns = Math.round((tib * 2 ** 40) / 4096);
  const dir = mkdtempSync(join(tmpdir(), 'kmemmap-bench-'));
  try {
    const path = join(dir, 'kpageflags');
    tile(src, path, pfns * 8);
    console.log(
      `synthetic capture: ${tib} TiB = ${pfns.toLocaleString()} PFNs (${((pfns * 8) / 2 ** 30).toFixed(1)} GiB kpageflags), tiled from ${src.name}`,
    );

    plainRead(path); // warm the page cache so both runs read from memory
    let t = process.hrtime.bigint();
    plainRead(path);
    const readS = Number(process.hrtime.bigint() - t) / 1e9;

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    t = process.hrtime.bigint();
    const snap = await openKpageflagsSnapshot(path);
    const classifyS = Number(process.hrtime.bigint() - t) / 1e9;
    const rssAfter = process.memoryUsage().rss;

    console.log(`plain read:      ${readS.toFixed(2)} s  ${(pfns / readS / 1e6).toFixed(1)} M PFN/s`);
    console.log(`classification:  ${classifyS.toFixed(2)} s  ${(pfns / classifyS / 1e6).toFixed(1)} M PFN/s`);
    console.log(`ratio:           ${(classifyS / readS).toFixed(2)}x a plain read (target <= 2x)`);
    console.log(
      `memory:          ${((rssAfter - rssBefore) / pfns).toFixed(2)} bytes/PFN of RSS growth (target <= 1.5), class array ${snap.classes.length} bytes`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
