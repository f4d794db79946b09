// kpageflags captures from the QEMU lab (real Debian kernels): the figures the guest kernel itself
// reported at the same instant must agree with the snapshot.

import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSets, LabSet } from '../../lab/sets';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { parseIomem, pfnRangesNamed, isVirtioMemRam } from '../../../parsers/capture/iomem';
import { parseMeminfo } from '../../../parsers/capture/meminfo';
import { assertVerdictMatchesGuest } from '../../lab/guestLog';

const PAGE = 4096;

// KMEMMAP_SET=<name> runs one set, like the other lab tests (big sets still need KMEMMAP_LAB_BIG=1)
const only = process.env.KMEMMAP_SET;
const sets = listSets().filter((s) => !only || s.name === only);
const cache = new Map<string, Promise<Snapshot>>();
const open = (set: LabSet) => {
  if (!cache.has(set.name)) cache.set(set.name, openKpageflagsSnapshot(set.capture));
  return cache.get(set.name)!;
};
const text = (set: LabSet, f: string) => readFileSync(join(set.capture, f), 'utf8');
/** kB on the per-CPU page lists when the capture read /proc/zoneinfo (sum of the pagesets' `count:`), if it has one. */
const pcpPagesKb = (set: LabSet): number | undefined => {
  if (!existsSync(join(set.capture, 'zoneinfo'))) return undefined;
  return (
    [...text(set, 'zoneinfo').matchAll(/^\s+count:\s+(\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0) * (PAGE / 1024)
  );
};

describe('kpageflags captures from the lab', function () {
  // (a before() hook would never run: mocha skips the hooks of a suite without tests)
  if (!sets.length && only) {
    it(`KMEMMAP_SET=${only} names a lab set`, () => {
      throw new Error(
        `KMEMMAP_SET=${only} matches no lab set (present: ${
          listSets(true)
            .map((x) => x.name)
            .join(', ') || 'none'
        }; big sets need KMEMMAP_LAB_BIG=1)`,
      );
    });
  } else if (!sets.length)
    it.skip('no lab sets: run `npm run lab` (or `node out/lab/lab.js --ensure-ci-sets`) first', () => undefined);

  for (const set of sets) {
    describe(set.name, () => {
      it('knows the kernel and reads every PFN kpageflags holds', async () => {
        const s = await open(set);
        assert.equal(s.kernel.release, set.manifest.kernel.release);
        assert.equal(s.endPfn, readFileSync(join(set.capture, 'kpageflags')).length / 8);
        assert.equal(
          s.counts.reduce((a, b) => a + b, 0),
          s.endPfn,
        );
        assert.equal(s.counts[CLASS_ID.unknown], 0);
      });

      it('free pages agree with MemFree within the per-CPU list slack', async () => {
        const s = await open(set);
        const meminfo = parseMeminfo(text(set, 'meminfo'));
        const memFreeKb = meminfo.get('MemFree')!,
          memTotalKb = meminfo.get('MemTotal')!;
        const buddyKb = (s.counts[CLASS_ID.free] * PAGE) / 1024;
        // MemFree (NR_FREE_PAGES) and KPF_BUDDY both count buddy pages (per-CPU list pages are in
        // neither). The lab reads zoneinfo and meminfo, then kpagecgroup, kpagecount and, last,
        // kpageflags straight to disk, so the two differ by
        //  - what the capture's own processes (three dd with a 1 MiB buffer each, wc, the shell) hold
        //    or just freed: measured up to 3 MiB, hence 4 MiB;
        //  - pages that moved between the per-CPU lists and the buddy lists while the per-PFN files
        //    were read: at most what the lists held, the pcp `count`s of zoneinfo (read just before
        //    meminfo). The lists grow with the zone: pcp->high derives from the zone's watermarks, and
        //    from 6.7 it is auto-tuned up to 1/8 of the zone's managed pages (split over its CPUs). On
        //    the 1 GiB guests (1.1-1.2 M PFNs per file) that movement stayed within the 4 MiB although
        //    the lists held 2.9-39 MiB; on the 16 GiB guests (4.7 M PFNs per file) it need not:
        //    6.12-big moved +30.8 MiB into buddy with 42.4 MiB on the lists. So the lists' content is
        //    allowed, up to 1/256 of MemTotal (4 MiB per GiB); without a zoneinfo, 1/256 of MemTotal.
        // The two add up: a fresh 7.3-load-nokaslr (1 GiB, 56 MiB on the lists) was 4180 kB apart.
        const slackKb = 4 * 1024 + Math.min(pcpPagesKb(set) ?? Infinity, memTotalKb / 256);
        assert.ok(
          Math.abs(buddyKb - memFreeKb) <= slackKb,
          `buddy ${buddyKb} kB vs MemFree ${memFreeKb} kB: more than ${slackKb} kB apart`,
        );
        if (process.env.KMEMMAP_VERBOSE)
          console.log(
            `      buddy - MemFree ${buddyKb - memFreeKb} kB, slack ${slackKb} kB (pcp lists ${pcpPagesKb(set) ?? '?'} kB, MemTotal/256 ${Math.floor(memTotalKb / 256)} kB)`,
          );
      });

      it('sections and blocks agree with the sysfs states', async () => {
        const s = await open(set);
        assert.ok(s.blocks.length > 0, 'blocks read from memory/');
        for (const b of s.blocks) {
          const st = readFileSync(join(set.capture, 'memory', `memory${b.id}`, 'state'), 'utf8').trim();
          assert.equal(b.state, st, `memory${b.id}`);
          if (st === 'offline')
            assert.equal(
              b.counts[CLASS_ID['section-offline']],
              b.nrPfns,
              `offline memory${b.id} is all section-offline`,
            );
          else
            assert.equal(b.counts[CLASS_ID['section-offline']], 0, `online memory${b.id} has no section-offline pages`);
        }
        for (const sec of s.sections) {
          const b = s.blocks.find((x) => sec.startPfn >= x.startPfn && sec.startPfn < x.startPfn + x.nrPfns);
          if (!b) assert.equal(sec.state, 'absent', `section ${sec.nr} without a block`);
        }
      });

      const vm = set.manifest.expected?.virtioMem;
      if (vm)
        it('offline pages inside the virtio-mem range equal the unplugged-but-present size', async () => {
          const s = await open(set);
          const ranges = pfnRangesNamed(parseIomem(text(set, 'iomem')), isVirtioMemRam, PAGE);
          const presentBytes = ranges.reduce((a, [start, end]) => a + (end - start) * PAGE, 0);
          assert.ok(presentBytes > 0, 'iomem shows virtio-mem memory');
          assert.equal(s.counts[CLASS_ID['offline-skippable']] * PAGE, presentBytes - vm.pluggedBytes);
        });

      const balloon = set.manifest.expected?.balloon;
      if (balloon)
        it('offline balloon pages equal the inflated size', async () => {
          const s = await open(set);
          assert.equal(s.counts[CLASS_ID['offline-movable']] * PAGE, balloon.inflatedBytes);
        });

      for (const o of set.manifest.expected?.offline ?? [])
        it(`memory${o.block}: the verdict matches what the guest kernel did (${o.ok ? 'offlined' : 'refused'})`, async () => {
          assertVerdictMatchesGuest(await open(set), o, text(set, 'dmesg'));
        });
    });
  }
});
