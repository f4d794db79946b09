// kpageflags captures from the QEMU lab (real Debian kernels): the figures the guest kernel itself
// reported at the same instant must agree with the snapshot.

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSets, LabSet } from '../../lab/sets';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID } from '../../../memmap/classes';
import type { Snapshot } from '../../../memmap/snapshot';
import { parseIomem, pfnRangesNamed, isVirtioMemRam } from '../../../parsers/capture/iomem';
import { parseMeminfo } from '../../../parsers/capture/meminfo';
import { assertVerdictMatchesGuest } from '../../lab/guestLog';

const PAGE = 4096;

const sets = listSets();
const cache = new Map<string, Promise<Snapshot>>();
const open = (set: LabSet) => {
  if (!cache.has(set.name)) cache.set(set.name, openKpageflagsSnapshot(set.capture));
  return cache.get(set.name)!;
};
const text = (set: LabSet, f: string) => readFileSync(join(set.capture, f), 'utf8');

describe('kpageflags captures from the lab', function () {
  before(function () {
    if (!sets.length) throw new Error('no lab sets: run `npm run lab` (or `node out/lab/lab.js --ensure-ci-sets`) first');
  });

  for (const set of sets) {
    describe(set.name, () => {
      it('knows the kernel and reads every PFN kpageflags holds', async () => {
        const s = await open(set);
        assert.equal(s.kernel.release, set.manifest.kernel.release);
        assert.equal(s.endPfn, readFileSync(join(set.capture, 'kpageflags')).length / 8);
        assert.equal(s.counts.reduce((a, b) => a + b, 0), s.endPfn);
        assert.equal(s.counts[CLASS_ID.unknown], 0);
      });

      it('free pages agree with MemFree within the per-CPU list slack', async () => {
        const s = await open(set);
        const memFreeKb = parseMeminfo(text(set, 'meminfo')).get('MemFree')!;
        const buddyKb = (s.counts[CLASS_ID.free] * PAGE) / 1024;
        // MemFree (NR_FREE_PAGES) and KPF_BUDDY both count buddy pages (per-CPU list pages are in
        // neither). The lab reads meminfo just before kpageflags and writes the per-PFN files
        // straight to disk, so they differ only by what the capture's own processes (three dd with
        // a 1 MiB buffer each, wc, the shell) hold or just freed: measured up to 3 MiB.
        const slackKb = 4 * 1024;
        assert.ok(Math.abs(buddyKb - memFreeKb) <= slackKb, `buddy ${buddyKb} kB vs MemFree ${memFreeKb} kB: more than ${slackKb} kB apart`);
      });

      it('sections and blocks agree with the sysfs states', async () => {
        const s = await open(set);
        assert.ok(s.blocks.length > 0, 'blocks read from memory/');
        for (const b of s.blocks) {
          const st = readFileSync(join(set.capture, 'memory', `memory${b.id}`, 'state'), 'utf8').trim();
          assert.equal(b.state, st, `memory${b.id}`);
          if (st === 'offline') assert.equal(b.counts[CLASS_ID['section-offline']], b.nrPfns, `offline memory${b.id} is all section-offline`);
          else assert.equal(b.counts[CLASS_ID['section-offline']], 0, `online memory${b.id} has no section-offline pages`);
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
          const presentBytes = ranges.reduce((a, r) => a + (r.end - r.start) * PAGE, 0);
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
