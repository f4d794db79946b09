// Real crash 8.0.2 and drgn 0.0.22 outputs from the lab (npm run lab:tools) against the vmcore
// engine on the same dump: classes must agree on every PFN both cover. Skipped, with the command
// that makes them, when the outputs are absent (they need ~1.9 GB of -dbg downloads).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CI_TOOL_SETS, listSets, missingCiSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { openSnapshot } from '../../../memmap/open';
import { CLASS_ID, className } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';

export interface Agreement {
  both: number;
  agree: number;
  confusion: [string, number][];
}

/** Per-PFN comparison over the PFNs the tool output covers (class not `not-in-listing`). */
export function agreement(v: Snapshot, t: Snapshot): Agreement {
  const n = Math.min(v.endPfn, t.endPfn);
  let both = 0,
    agree = 0;
  const conf = new Map<string, number>();
  for (let pfn = Math.max(v.startPfn, t.startPfn); pfn < n; pfn++) {
    const b = t.classes[pfn - t.startPfn];
    if (b === CLASS_ID['not-in-listing']) continue;
    const a = v.classes[pfn - v.startPfn];
    both++;
    if (a === b) agree++;
    else {
      const k = `vmcore ${className(a)} / tool ${className(b)}`;
      conf.set(k, (conf.get(k) ?? 0) + 1);
    }
  }
  return { both, agree, confusion: [...conf].sort((x, y) => y[1] - x[1]) };
}

/** Classes crash `kmem -p` cannot show (no page_type, compound_dtor or private column): see crashInference.ts. */
export const KMEM_P_BLIND = new Set([
  'pagetable',
  'offline-skippable',
  'offline-unmovable',
  'offline',
  'hugetlb',
  'unaccepted',
]);

// every architecture: arm64 sets get drgn exports too (crash 8.0.2 on an x86_64 host reads only x86_64 dumps)
const sets = listSets(undefined, 'all').filter((s) => !process.env.KMEMMAP_SET || s.name === process.env.KMEMMAP_SET);
// The set's folder: LabSet.dir is the sets root in the current test/lab/sets.ts, so go by the ELF's folder.
const toolsDir = (s: { elf: string }) => join(dirname(s.elf), 'tools');
const withTools = sets.filter(
  (s) => existsSync(join(toolsDir(s), 'drgn-export.tsv')) || existsSync(join(toolsDir(s), 'crash-session.txt')),
);

describe('crash and drgn outputs vs the vmcore engine (lab)', function () {
  this.timeout(900000);
  // the sets CI runs the tools on (scripts/test-all.sh TOOL_SETS) must have a drgn export
  for (const m of missingCiSets(CI_TOOL_SETS)) it(`${m.name}: present`, () => assert.fail(m.reason));
  if (!process.env.KMEMMAP_SET)
    for (const s of sets.filter(
      (x) => CI_TOOL_SETS.includes(x.name) && !existsSync(join(toolsDir(x), 'drgn-export.tsv')),
    ))
      it(`${s.name}: drgn export present`, () =>
        assert.fail(`no ${join(toolsDir(s), 'drgn-export.tsv')}: bash test/lab/tools/run-tools.sh --sets ${s.name}`));
  if (!withTools.length) {
    it.skip(`no crash/drgn outputs in the lab sets: run \`npm run lab\` then \`npm run lab:tools\` (downloads the -dbg vmlinux, ~1.9 GB)`, () =>
      undefined);
    return;
  }
  for (const set of withTools) {
    const dir = toolsDir(set);
    const drgnFile = join(dir, 'drgn-export.tsv');
    const crashFile = join(dir, 'crash-session.txt');
    if (existsSync(drgnFile))
      it(`${set.name}: drgn export classes equal the vmcore engine's on every PFN`, async () => {
        const v = await openVmcoreSnapshot([set.elf]);
        const t = await openSnapshot(drgnFile);
        assert.equal(t.provenance.format, 'drgn-export');
        assert.equal(t.kernel.release, set.manifest.kernel.release);
        const a = agreement(v, t);
        console.log(
          `      ${set.name} drgn: ${a.agree}/${a.both} PFNs agree${
            a.confusion.length
              ? `; ${a.confusion
                  .slice(0, 5)
                  .map(([k, n]) => `${k}: ${n}`)
                  .join(', ')}`
              : ''
          }`,
        );
        assert.ok(a.both > 100000, `the export covers ${a.both} PFNs`);
        assert.deepEqual(a.confusion, []);
      });
    if (existsSync(crashFile) && statSync(crashFile).size > 0)
      it(`${set.name}: crash session classes equal the vmcore engine's wherever kmem -p shows what the rules need`, async () => {
        const v = await openVmcoreSnapshot([set.elf]);
        const t = await openSnapshot(crashFile);
        assert.equal(t.provenance.format, 'crash-log');
        assert.equal(t.kernel.release, set.manifest.kernel.release);
        const a = agreement(v, t);
        // With a `kmem -m _mapcount,compound_dtor,compound_head,private` listing in the session nothing is blind.
        const withMembers = t.provenance.notes.some((n) => /^`kmem -m .*rows filled in/.test(n));
        const blind = withMembers
          ? []
          : a.confusion.filter(([k]) => KMEM_P_BLIND.has(k.split(' / ')[0].replace('vmcore ', '')));
        const other = a.confusion.filter((c) => !blind.includes(c));
        console.log(
          `      ${set.name} crash: ${a.agree}/${a.both} PFNs agree (${((100 * a.agree) / a.both).toFixed(3)} %)${
            a.confusion.length
              ? `; ${a.confusion
                  .slice(0, 6)
                  .map(([k, n]) => `${k}: ${n}`)
                  .join(', ')}`
              : ''
          }`,
        );
        assert.ok(a.both > 100000);
        assert.deepEqual(
          other,
          [],
          withMembers ? 'with kmem -m every PFN must agree' : 'only page-type-only classes may differ',
        );
        const kmemP = readFileSync(join(dir, 'crash-kmem-p.txt'), 'utf8');
        assert.ok(kmemP.length > 0);
      });
  }
});
