// Issue 13 on the lab's real outputs: a bare crash `kmem -p` listing (no `sys`) against (a) the same
// listing with the session around it and (b) drgn's walk of the same dump (our export), on the pages
// a listing can know (those drgn or the listing puts in reserved, LRU anon/file, and slab where the
// kernel has PG_slab, i.e. before 6.10) and on all listed pages. Read-only.
// Usage: node out/bench/bare-listing.js [lab dir] [--crash-out DIR]
//   lab dir: default $KMEMMAP_LAB_DIR or ~/.cache/kmemmap-lab; drgn's walk is <lab>/sets/<set>/tools/drgn-export.tsv,
//   else drgn-export.tsv beside the crash outputs
//   --crash-out DIR: the crash outputs are DIR/<set>/crash-kmem-p.txt and crash-session.txt (as written by
//   test/lab/tools/crash-listings.sh, e.g. with crash 8.0.6), instead of the lab's own <set>/tools/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { className, PageClass } from '../kernel/pageClasses';
import { hasSlabFlag } from '../kernel/predicates';
import { parseRelease } from '../kernel/version';
import type { Snapshot } from '../memmap/snapshot';
import { toolOutputSnapshot } from '../memmap/toolOutputSnapshot';

const args = process.argv.slice(2);
const at = args.indexOf('--crash-out');
const crashOut = at >= 0 ? args.splice(at, 2)[1] : undefined;
const lab = args[0] ?? process.env.KMEMMAP_LAB_DIR ?? join(homedir(), '.cache', 'kmemmap-lab');

/** Classes a kmem -p listing can know: PG_slab left the flags in 6.10 (slab became a page type). */
function knowable(release: string | undefined): Set<PageClass> {
  const v = parseRelease(release ?? '');
  const hasPgSlab = v === undefined || hasSlabFlag(v);
  return new Set<PageClass>(
    hasPgSlab ? ['reserved', 'lru-anon', 'lru-file', 'slab'] : ['reserved', 'lru-anon', 'lru-file'],
  );
}

function compare(got: Snapshot, ref: Snapshot, only?: Set<PageClass>): string {
  let n = 0,
    same = 0;
  const diff = new Map<string, number>();
  for (let pfn = Math.max(got.startPfn, ref.startPfn); pfn < Math.min(got.endPfn, ref.endPfn); pfn++) {
    const r = className(ref.classes[pfn - ref.startPfn]);
    const g = className(got.classes[pfn - got.startPfn]);
    if (g === 'not-in-listing' || r === 'not-in-listing' || (only && !only.has(r) && !only.has(g))) continue;
    n++;
    if (g === r) same++;
    else diff.set(`${r}→${g}`, (diff.get(`${r}→${g}`) ?? 0) + 1);
  }
  const top = [...diff]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${same}/${n} (${((100 * same) / Math.max(1, n)).toFixed(2)} %)${top ? `; differ: ${top}` : ''}`;
}

/** The session's segments for the given commands, prompts kept ("crash> sys\n…"). */
function segments(session: string, cmds: string[]): string {
  return session
    .split(/(?=^crash> )/m)
    .filter((s) => cmds.some((c) => s.startsWith(`crash> ${c}\n`)))
    .join('');
}

function benchSet(set: string, dir: string, drgnFile: string): void {
  const listing = readFileSync(join(dir, 'crash-kmem-p.txt'), 'utf8');
  const session = readFileSync(join(dir, 'crash-session.txt'), 'utf8');
  const version = existsSync(join(dir, 'crash-version.txt'))
    ? readFileSync(join(dir, 'crash-version.txt'), 'utf8').trim()
    : '?';
  const bare = toolOutputSnapshot(listing, 'bare');
  const withSys = toolOutputSnapshot(`${segments(session, ['sys'])}crash> kmem -p\n${listing}`, 'with sys');
  const withSym = toolOutputSnapshot(
    `${segments(session, ['sym balloon_mops'])}crash> kmem -p\n${listing}`,
    'with sym',
  );
  const full = toolOutputSnapshot(session, 'session');
  console.log(
    `${set} (crash ${version}): bare listing, layout ${bare.kernel.layoutFamily ?? 'open'}, ${bare.endPfn - bare.startPfn} PFNs; session release ${full.kernel.release ?? '?'}`,
  );
  console.log(`  bare vs the listing with sys, all listed PFNs:   ${compare(bare, withSys)}`);
  if (!existsSync(drgnFile)) return;
  const drgn = toolOutputSnapshot(readFileSync(drgnFile, 'utf8'), 'drgn');
  const only = knowable(drgn.kernel.release);
  console.log(`  knowable pages (drgn's class or ours in ${[...only].join('/')}), vs drgn's walk:`);
  console.log(`    bare listing:                                  ${compare(bare, drgn, only)}`);
  console.log(`    sys + kmem -p:                                 ${compare(withSys, drgn, only)}`);
  console.log(`    whole session (sys, kmem -n/-g/-m, sym, dev -i): ${compare(full, drgn, only)}`);
  console.log("  all listed PFNs, vs drgn's walk:");
  console.log(`    bare listing:                                  ${compare(bare, drgn)}`);
  console.log(`    sys + kmem -p:                                 ${compare(withSys, drgn)}`);
  console.log(`    sym balloon_mops + kmem -p (no sys):           ${compare(withSym, drgn)}`);
  console.log(`    whole session:                                 ${compare(full, drgn)}`);
}

const setsDir = join(lab, 'sets');
if (!existsSync(setsDir)) throw new Error(`no lab sets under ${setsDir}`);
for (const set of readdirSync(setsDir).sort()) {
  const dir = crashOut ? join(crashOut, set) : join(setsDir, set, 'tools');
  if (!existsSync(join(dir, 'crash-kmem-p.txt'))) continue;
  const labDrgn = join(setsDir, set, 'tools', 'drgn-export.tsv');
  benchSet(set, dir, existsSync(labDrgn) ? labDrgn : join(dir, 'drgn-export.tsv'));
}
