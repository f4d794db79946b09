// Benchmark: node out/bench/bench-vmcore.js <dump> [more split files]
// Prints pages/s of the full snapshot build, the time of merely reading + decompressing the memmap
// bytes of every present section (the floor), their ratio, and memory used.
import { openVmcoreSnapshot } from '../memmap/vmcoreSnapshot';
import { openDump } from '../parsers/dump/openDump';
import { X86Paging } from '../parsers/x86_64/paging';
import { readMemSections } from '../parsers/x86_64/memSection';
import { VmcoreMemmap } from '../memmap/vmcoreMemmap';

async function main() {
  const files = process.argv.slice(2);
  if (!files.length) { console.error('usage: bench-vmcore <dump> [split files…]'); process.exit(2); }
  // 1. floor: read + decompress the memmap of every section with a memmap
  let t0 = process.hrtime.bigint();
  const d = openDump(files);
  const vm = new X86Paging(d.mem, d.vmcoreinfo);
  const table = readMemSections(d.vmcoreinfo, vm, 4096);
  const mm = new VmcoreMemmap(d.mem, vm, table, 64);
  const buf = Buffer.alloc(table.pfnsPerSection * 64);
  const st = new Uint8Array(table.pfnsPerSection);
  let pfns = 0;
  for (const s of table.sections) {
    if (!(s.word & 2n) || !(s.word & 4n)) continue;
    st.fill(0);
    mm.readStructPages(s.nr * table.pfnsPerSection, table.pfnsPerSection, buf, st);
    pfns += table.pfnsPerSection;
  }
  const readSec = Number(process.hrtime.bigint() - t0) / 1e9;
  d.mem.close();
  // 2. full snapshot
  t0 = process.hrtime.bigint();
  const snap = await openVmcoreSnapshot(files);
  const fullSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const mem = process.memoryUsage();
  console.log(`dump: ${files.join(' ')} (${snap.provenance.format}, ${snap.kernel.release})`);
  console.log(`PFNs in snapshot: ${snap.endPfn}; PFNs with a readable online memmap: ${pfns}`);
  console.log(`read+decompress memmap only: ${readSec.toFixed(3)} s (${(pfns / readSec / 1e6).toFixed(2)} M struct pages/s)`);
  console.log(`full snapshot: ${fullSec.toFixed(3)} s = ${(snap.endPfn / fullSec / 1e6).toFixed(2)} M PFNs/s, ${(pfns / fullSec / 1e6).toFixed(2)} M classified pages/s`);
  console.log(`ratio full / read-only: ${(fullSec / readSec).toFixed(2)}`);
  console.log(`memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${(mem.external / 2 ** 20).toFixed(0)} MiB; class array ${(snap.classes.length / 2 ** 20).toFixed(1)} MiB`);
  console.log(snap.provenance.notes.map((n) => `  note: ${n}`).join('\n'));
}
main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
