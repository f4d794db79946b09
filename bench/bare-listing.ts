// Issue 13 on the lab's real outputs: a bare crash `kmem -p` listing (no `sys`) against (a) the same
// listing with the session's `sys` block and (b) drgn's walk of the same dump (our export), on the
// pages a listing can know (reserved, LRU anon/file, slab) and on all listed pages. Read-only.
// Usage: node out/bench/bare-listing.js [lab dir]   (default $KMEMMAP_LAB_DIR or ~/.cache/kmemmap-lab)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { className, PageClass } from '../memmap/classes';
import type { Snapshot } from '../memmap/snapshot';
import { toolOutputSnapshot } from '../memmap/toolOutputSnapshot';

const lab = process.argv[2] ?? process.env.KMEMMAP_LAB_DIR ?? join(homedir(), '.cache', 'kmemmap-lab');
const KNOWABLE = new Set<PageClass>(['reserved', 'lru-anon', 'lru-file', 'slab']);

function compare(got: Snapshot, ref: Snapshot, only?: Set<PageClass>): string {
  let n = 0, same = 0;
  const diff = new Map<string, number>();
  for (let pfn = Math.max(got.startPfn, ref.startPfn); pfn < Math.min(got.endPfn, ref.endPfn); pfn++) {
    const r = className(ref.classes[pfn - ref.startPfn]);
    const g = className(got.classes[pfn - got.startPfn]);
    if (g === 'not-in-listing' || r === 'not-in-listing' || (only && !only.has(r))) continue;
    n++;
    if (g === r) same++;
    else diff.set(`${r}→${g}`, (diff.get(`${r}→${g}`) ?? 0) + 1);
  }
  const top = [...diff].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${same}/${n} (${((100 * same) / Math.max(1, n)).toFixed(2)} %)${top ? `; differ: ${top}` : ''}`;
}

const setsDir = join(lab, 'sets');
if (!existsSync(setsDir)) throw new Error(`no lab sets under ${setsDir}`);
for (const set of readdirSync(setsDir).sort()) {
  const dir = join(setsDir, set, 'tools');
  const kmemP = join(dir, 'crash-kmem-p.txt');
  if (!existsSync(kmemP)) continue;
  const listing = readFileSync(kmemP, 'utf8');
  const session = readFileSync(join(dir, 'crash-session.txt'), 'utf8');
  const sys = session.split(/(?=^crash> )/m).find((s) => s.startsWith('crash> sys\n')) ?? '';
  const bare = toolOutputSnapshot(listing, 'bare');
  const withSys = toolOutputSnapshot(`${sys}crash> kmem -p\n${listing}`, 'with sys');
  console.log(`${set}: bare listing, layout ${bare.kernel.layoutFamily ?? 'open'}, ${bare.endPfn - bare.startPfn} PFNs`);
  console.log(`  vs the listing with sys, all listed PFNs:        ${compare(bare, withSys)}`);
  const drgnFile = join(dir, 'drgn-export.tsv');
  if (existsSync(drgnFile)) {
    const drgn = toolOutputSnapshot(readFileSync(drgnFile, 'utf8'), 'drgn');
    console.log(`  vs drgn's walk, reserved/LRU anon+file/slab:     ${compare(bare, drgn, KNOWABLE)}`);
    console.log(`  vs drgn's walk, all listed PFNs:                 ${compare(bare, drgn)}`);
  }
}
