// Never confidently wrong (issue 11): on every dump of every lab set with virtio-mem fake-offline pages
// — the QEMU ELF and kdump, and the makedumpfile-derived ones (npm run lab:derive), filtered or not —
// no page the guest's own kpageflags + /proc/iomem calls virtio-mem fake-offline (offline-skippable) is
// called offline-unmovable. Where the dump cannot tell the kind (5.10: no kallsyms; -d 31: the
// virtio-mem resource nodes were filtered out) it says offline (kind unknown), with a warning naming
// what was missing, and no block verdict blames an unmovable PageOffline page. Tests are registered
// only for the sets present.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CI_DERIVE_SETS, ciSetNames, listSets, missingCiSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID, className } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';

const DERIVED = ['vmcore.kdump.raw', 'dump-c-d0.kdump', 'dump-c-d31.kdump', 'dump-l-d31.kdump', 'dump-E-d31.elf'];
const SPLIT = ['dump-split3.1', 'dump-split3.2', 'dump-split3.3'];
const sets = listSets().filter(
  (s) =>
    /virtio-mem|offline-block/.test(s.manifest.scenario) &&
    (!process.env.KMEMMAP_SET || s.name === process.env.KMEMMAP_SET),
);

const ALLOWED = new Set([CLASS_ID['offline-skippable'], CLASS_ID.offline, CLASS_ID.excluded]);

function checkDump(d: Snapshot, truth: Snapshot, label: string): string {
  const wrong: string[] = [];
  let skippable = 0,
    unknown = 0;
  for (let pfn = truth.startPfn; pfn < Math.min(truth.endPfn, d.endPfn); pfn++) {
    if (truth.classes[pfn - truth.startPfn] !== CLASS_ID['offline-skippable']) continue;
    const c = d.classes[pfn];
    if (!ALLOWED.has(c) && wrong.length < 5) wrong.push(`0x${pfn.toString(16)}: ${className(c)}`);
    if (c === CLASS_ID['offline-skippable']) skippable++;
    if (c === CLASS_ID.offline) unknown++;
  }
  assert.deepEqual(
    wrong,
    [],
    `${label}: virtio-mem fake-offline pages (per kpageflags + /proc/iomem) shown as another kind`,
  );
  if (unknown)
    assert.ok(
      d.warnings.some((w) => /offline \(kind unknown\): the virtio-mem device ranges could not be read/.test(w)),
      `${label}: ${unknown} pages offline (kind unknown) without the warning that says why`,
    );
  const blamed = d.blocks
    .filter((b) => b.verdict?.mainline.blockingClass === 'offline-unmovable')
    .map((b) => `memory${b.id}`);
  assert.deepEqual(blamed, [], `${label}: verdicts blaming an unmovable PageOffline page`);
  return `${skippable} skippable, ${unknown} offline (kind unknown)`;
}

/** CI sets with virtio-mem fake-offline pages: each must be there, and those CI derives dumps of must have them all. */
const ciVirtioMem = ciSetNames().filter((n) => /-(virtio-mem|offline-block)(-nokaslr)?$/.test(n));

describe('virtio-mem pages are never offline-unmovable, on any dump', function () {
  this.timeout(600000);
  for (const m of missingCiSets(ciVirtioMem)) it(`${m.name}: present`, () => assert.fail(m.reason));
  for (const set of sets) {
    it(`${set.name}: ELF, kdump and the derived dumps`, async () => {
      const dir0 = join(set.dir, 'derived');
      if (CI_DERIVE_SETS.includes(set.name)) {
        const absent = [...DERIVED, ...SPLIT].filter((n) => !existsSync(join(dir0, n)));
        assert.deepEqual(
          absent,
          [],
          `${set.name}: CI derives makedumpfile dumps of this set; missing in ${dir0} (node out/lab/derive-dumps.js --sets ${set.name})`,
        );
      }
      const truth = await openKpageflagsSnapshot(set.capture);
      assert.ok(truth.counts[CLASS_ID['offline-skippable']] > 0, 'the capture shows virtio-mem fake-offline pages');
      const dumps: [string, string[]][] = [
        ['ELF', [set.elf]],
        ['kdump', [set.kdump]],
      ];
      const dir = join(set.dir, 'derived');
      for (const n of DERIVED) if (existsSync(join(dir, n))) dumps.push([n, [join(dir, n)]]);
      if (SPLIT.every((n) => existsSync(join(dir, n)))) dumps.push(['split3', SPLIT.map((n) => join(dir, n))]);
      const lines: string[] = [];
      for (const [label, files] of dumps)
        lines.push(`${label}: ${checkDump(await openVmcoreSnapshot(files), truth, `${set.name} ${label}`)}`);
      console.log(`      ${set.name}: ${lines.join('; ')}`);
    });
  }
});
