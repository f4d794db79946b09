// Real QEMU dumps from the lab (test/lab): vmcore classes vs the guest's own /proc/kpageflags capture
// taken at the same instant, and ELF vs kdump of the same snapshot. Skipped when no sets exist.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSets, missingCiSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID, PAGE_CLASSES } from '../../../kernel/pageClasses';
import { bothSides, compare, EXPLAINED_MAX_PCT } from './labCompare';

const only = process.env.KMEMMAP_SET;
const sets = listSets().filter((s) => !only || s.name === only);

describe('vmcore vs kpageflags on lab dumps', function () {
  this.timeout(600000);
  if (sets.length === 0) it.skip('no lab sets (npm run lab)', () => undefined);
  // every set CI makes (5.10, 6.1, 6.12, 7.3) must be there: a missing one fails with the command that makes it
  for (const m of missingCiSets()) it(`${m.name}: present`, () => assert.fail(m.reason));
  for (const set of sets) {
    it(`${set.name}: ELF and kdump agree with each other and with kpageflags`, async () => {
      const elf = await openVmcoreSnapshot([set.elf]);
      const kd = await openVmcoreSnapshot([set.kdump]);
      const kp = await openKpageflagsSnapshot(set.capture);
      const r = compare(elf, kp);
      const counts = PAGE_CLASSES.map((c, i) => [c, elf.counts[i]] as const).filter(([, x]) => x > 0);
      const rk = compare(kd, kp);
      console.log(
        `      ${set.name}: agreement ELF ${r.pct.toFixed(3)}% (${r.agree}/${r.total}), kdump ${rk.pct.toFixed(3)}% (${rk.agree}/${rk.total})` +
          `${r.honestUnknown ? `; ${r.honestUnknown} PageOffline pages of a kind the dump cannot know, shown as offline (kind unknown)` : ''}; classes ${counts.map(([c, x]) => `${c}=${x}`).join(' ')}`,
      );
      if (r.confusion.length)
        console.log(
          `      kpageflags -> vmcore differences: ${r.confusion
            .slice(0, 12)
            .map(([k, x]) => `${k}: ${x}`)
            .join('; ')}`,
        );
      let diff = 0;
      for (let i = 0; i < Math.min(elf.classes.length, kd.classes.length); i++)
        if (elf.classes[i] !== kd.classes[i]) diff++;
      assert.equal(diff, 0, `ELF and kdump differ on ${diff} PFNs`);
      console.log(`      explained differences: ${r.explained} PFNs (${r.explainedPct.toFixed(3)}%)`);
      const bad = [...r.unexplained].map(
        ([key, pfns]) => `${key}: ${pfns.map((p) => bothSides(elf, kp, p)).join(' | ')}`,
      );
      assert.deepEqual(bad, [], 'unexplained differences (classifier error?)');
      assert.deepEqual(
        r.exactMismatch,
        [],
        'free (buddy), offline, reserved, hugetlb and THP/compound must agree exactly',
      );
      assert.ok(
        r.explainedPct <= EXPLAINED_MAX_PCT,
        `explained differences ${r.explainedPct}% exceed ${EXPLAINED_MAX_PCT}%: the capture was not taken right before the pause`,
      );
      assert.ok(r.pct >= 99.8, `agreement ${r.pct}% < 99.8%`);
      // 5.10 exports no kallsyms keys: the resource tree is found by scanning the kernel image
      if (elf.kernel.layoutFamily === '5.10')
        assert.ok(
          elf.provenance.notes.some((n) => /iomem_resource found without kallsyms/.test(n)),
          elf.provenance.notes.join('\n'),
        );
      // 7.3 (HVO built in): hugetlb tails hold the compound_info mask, decoded to their head
      const hugeTail =
        elf.counts[CLASS_ID.hugetlb] > 0
          ? elf.classes.findIndex((c, i) => c === CLASS_ID.hugetlb && elf.classes[i - 1] === CLASS_ID.hugetlb)
          : -1;
      if (elf.kernel.layoutFamily === '7.2-7.3' && hugeTail > 0) {
        const d = elf.pageDetail!(hugeTail)!;
        assert.equal(d.rule, 'tail-hugetlb');
        assert.match(String(d.raw.compound_info), /^0xffffffffffff[0-9a-f]{3}1$/);
        assert.ok(
          d.notes!.some((n) => /7\.x mask form.*head pfn 0x/.test(n)),
          d.notes!.join('\n'),
        );
      }
      const scen = set.manifest.scenario;
      // the memory block size: as the guest's sysfs says; learnt from the dump, or assumed with a warning
      const sysfsBlock = parseInt(readFileSync(join(set.capture, 'memory', 'block_size_bytes'), 'utf8').trim(), 16);
      assert.equal(elf.pfnsPerBlock * 4096, sysfsBlock, 'memory block size');
      const blockNote = elf.provenance.notes.find((n) => n.startsWith('memory block size ')) ?? '';
      if (/\(assumed\)/.test(blockNote))
        assert.ok(
          elf.warnings.some((w) => /assuming 128 MiB.*rest on this assumption/.test(w)),
          elf.warnings.join('\n'),
        );
      // 5.10 (no kallsyms): learnt from the hot-added virtio-mem RAM in iomem_resource when there is some
      if (elf.kernel.layoutFamily === '5.10' && /virtio-mem|offline-block/.test(scen))
        assert.match(blockNote, /hot-added System RAM resource/);
      // never confidently wrong: a virtio-mem page is skippable, or offline of unknown kind when the dump cannot tell
      if (scen.includes('virtio-mem'))
        assert.ok(
          elf.counts[CLASS_ID['offline-skippable']] + r.honestUnknown > 0,
          'virtio-mem set shows offline-skippable (or offline, kind unknown, with the reason)',
        );
      if (scen.includes('balloon'))
        assert.ok(elf.counts[CLASS_ID['offline-movable']] > 0, 'balloon set shows offline-movable');
      if (scen.includes('offline-block'))
        assert.ok(elf.counts[CLASS_ID['section-offline']] > 0, 'offlined block shows section-offline');
    });
  }

  // every format the lab makes: the makedumpfile-derived dumps (CI makes them of CI_DERIVE_SETS)
  const DERIVED: [string, string[]][] = [
    ['raw', ['vmcore.kdump.raw']],
    ['zlib', ['dump-c-d0.kdump']],
    ['lzo', ['dump-l-d0.kdump']],
    ['zlib -d 31', ['dump-c-d31.kdump']],
    ['lzo -d 31', ['dump-l-d31.kdump']],
    ['ELF -d 31', ['dump-E-d31.elf']],
    ['split3 -d 31', ['dump-split3.1', 'dump-split3.2', 'dump-split3.3']],
  ];
  for (const set of sets.filter((s) => existsSync(join(s.dir, 'derived'))))
    it(`${set.name}: every makedumpfile-derived dump agrees with kpageflags on >= 99.5 % of the PFNs it keeps`, async () => {
      const kp = await openKpageflagsSnapshot(set.capture);
      const lines: string[] = [];
      for (const [label, files] of DERIVED) {
        const paths = files.map((f) => join(set.dir, 'derived', f));
        if (!paths.every((p) => existsSync(p))) continue;
        const r = compare(await openVmcoreSnapshot(paths), kp, { skipExcluded: true });
        lines.push(
          `${label} ${r.pct.toFixed(3)}% (${r.agree}/${r.total}${r.excluded ? `, ${r.excluded} excluded` : ''}${r.honestUnknown ? `, ${r.honestUnknown} offline kind unknown` : ''})`,
        );
        assert.deepEqual(
          r.exactMismatch,
          [],
          `${label}: free (buddy), offline, reserved, hugetlb and THP/compound must agree exactly`,
        );
        assert.ok(r.pct >= 99.5, `${label}: agreement ${r.pct}% < 99.5%`);
      }
      console.log(`      ${set.name} derived: ${lines.join('; ')}`);
      assert.ok(lines.length >= 5, `derived dumps found: ${lines.length}`);
    });
});
