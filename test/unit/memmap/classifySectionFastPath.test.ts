// The fast memmap path (bulk section reads, cached struct-page views, compound bits noted during the
// pass) must give exactly the classes and block verdicts of the reference path (per-page translation
// and copies) on every real lab dump, ELF and kdump. Skipped when no lab sets exist.
import * as assert from 'node:assert/strict';
import { listSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { className } from '../../../kernel/pageClasses';

const only = process.env.KMEMMAP_SET;
const sets = listSets().filter((s) => !only || s.name === only);

describe('vmcore fast path equals the reference path on lab dumps', function () {
  this.timeout(600000);
  if (sets.length === 0) it.skip('no lab sets under ~/.cache/kmemmap-lab/sets (npm run lab)', () => undefined);
  for (const set of sets) {
    for (const [fmt, file] of [
      ['ELF', set.elf],
      ['kdump', set.kdump],
    ] as const) {
      it(`${set.name} ${fmt}`, async () => {
        const fast = await openVmcoreSnapshot([file]);
        const ref = await openVmcoreSnapshot([file], { reference: true });
        assert.equal(fast.endPfn, ref.endPfn);
        const diffs: string[] = [];
        for (let pfn = 0; pfn < fast.endPfn; pfn++) {
          if (fast.classes[pfn] !== ref.classes[pfn] && diffs.length < 5)
            diffs.push(
              `0x${pfn.toString(16)}: fast ${className(fast.classes[pfn])}, reference ${className(ref.classes[pfn])}`,
            );
        }
        assert.deepEqual(diffs, [], 'fast and reference classes differ');
        assert.deepEqual(
          fast.blocks.map((b) => b.verdict),
          ref.blocks.map((b) => b.verdict),
          'block verdicts differ',
        );
      });
    }
  }
});
