// Offline verdicts of the vmcore reader on the lab's real dumps: (1) blocks the guest tried to offline
// (manifest.expected.offline) get the errno the shell saw and, for isolation failures, the pfn the
// guest kernel dumped as "unmovable page"; (2) on every set, each block's mainline verdict equals the
// kpageflags reader's verdict for the same capture, or the difference is one of the explained kinds
// below. Skipped when no lab sets exist.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSets, LabSet, missingCiSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { CLASS_ID } from '../../../kernel/pageClasses';
import type { MemoryBlock, OfflineVerdict, Snapshot } from '../../../memmap/snapshot';
import { assertVerdictMatchesGuest } from '../../lab/guestLog';
import { anonFaultedInAfterCapture } from '../../lab/races';

const only = process.env.KMEMMAP_SET;
const sets = listSets().filter((s) => !only || s.name === only);

/** errno of the shell's write error ("sh: write error: Invalid argument"). */
const cache = new Map<string, Promise<Snapshot>>();
const cached = (key: string, f: () => Promise<Snapshot>) => {
  if (!cache.has(key)) cache.set(key, f());
  return cache.get(key)!;
};
const vmcore = (set: LabSet, fmt: 'ELF' | 'kdump') =>
  cached(`${set.name} ${fmt}`, () => openVmcoreSnapshot([fmt === 'ELF' ? set.elf : set.kdump]));
const kpf = (set: LabSet) => cached(`${set.name} kpf`, () => openKpageflagsSnapshot(set.capture));

const cls = (s: Snapshot, pfn: number) => s.classes[pfn - s.startPfn];

/**
 * Why the vmcore verdict v of a block may differ from the kpageflags verdict k, or undefined when the
 * difference is not explained. The kpageflags capture is taken a moment before QEMU pauses the guest,
 * and kpageflags sees less than the struct page:
 */
function explainDifference(
  b: MemoryBlock,
  v: OfflineVerdict,
  k: OfflineVerdict,
  vs: Snapshot,
  ks: Snapshot,
): string | undefined {
  // A. kpageflags shows a free page on a per-CPU list like a flag-less kernel page, so its reader
  //    stops at the first such page in isolation order ("likely" blocker); the dump sees that page free
  //    (refcount 0, no type: free-pcp — offline_pages() drains pcp lists before isolating) and goes on
  //    to a later page that is flag-less in kpageflags too, but referenced in the dump.
  if (
    v.ok === false &&
    k.ok === false &&
    v.reason === k.reason &&
    k.blockingClass === 'kernel-other' &&
    cls(vs, k.blockingPfn!) === CLASS_ID.free &&
    cls(ks, v.blockingPfn!) === CLASS_ID['kernel-other']
  )
    return 'kpageflags blocker is a per-CPU free page in the dump; the dump blocks on a later flag-less page';
  // B. The reverse of A: the kpageflags reader passes over flag-less pages in isolation order (each may
  //    be a per-CPU free page) to a certain blocker further on; the dump sees the first flag-less page
  //    referenced (refcount > 0: allocated kernel memory) and blocks there. Seen on the 16 GiB sets.
  if (
    v.ok === false &&
    k.ok === false &&
    v.reason === k.reason &&
    v.errno === k.errno &&
    v.blockingClass === 'kernel-other' &&
    k.blockingClass !== 'kernel-other' &&
    cls(ks, v.blockingPfn!) === CLASS_ID['kernel-other']
  )
    return 'dump blocker is a referenced flag-less page the kpageflags reader passes over as possibly free';
  // C. In ZONE_MOVABLE the kpageflags reader lets flag-less pages pass (they may be per-CPU free
  //    pages); the dump sees a referenced page without a page type there (kernel-other) and predicts
  //    the endless migration retry. On the lab's dumps these are anonymous pages not (yet) on the LRU
  //    (mapping tag anon, PG_lru clear: a per-CPU LRU batch), flag-less but KPF_ANON in kpageflags.
  if (
    v.ok === false &&
    v.reason === 'signal backoff' &&
    k.ok === true &&
    b.zones?.length === 1 &&
    b.zones[0] === 'Movable' &&
    v.blockingClass === 'kernel-other' &&
    cls(ks, v.blockingPfn!) === CLASS_ID['kernel-other']
  )
    return 'referenced type-less page in ZONE_MOVABLE that the kpageflags reader treats as possibly free';
  // D. The kpageflags reader's "likely" blocker (a flag-less page, maybe a per-CPU free page) is free in
  //    the dump (freed or drained between the capture and the pause), and nothing else blocks.
  if (
    v.ok === true &&
    k.ok === false &&
    k.blockingClass === 'kernel-other' &&
    cls(vs, k.blockingPfn!) === CLASS_ID.free
  )
    return "the kpageflags reader's likely blocker (flag-less) is free in the dump";
  // D2. The kpageflags reader names a flag-less page as the likely blocker because it comes first in
  //    isolation order (with a certain blocker after it as the fallback); the flag-less page is free in
  //    the dump (a per-CPU free page, or freed before the pause), and the dump blocks later at a page
  //    kpageflags shows in the same class, so a blocker at the capture too.
  if (
    v.ok === false &&
    k.ok === false &&
    v.reason === k.reason &&
    v.errno === k.errno &&
    k.blockingClass === 'kernel-other' &&
    v.blockingPfn !== undefined &&
    cls(vs, k.blockingPfn!) === CLASS_ID.free &&
    cls(ks, v.blockingPfn) === cls(vs, v.blockingPfn)
  )
    return "the kpageflags reader's likely blocker (flag-less, first in isolation order) is free in the dump, which blocks later at a page kpageflags shows the same";
  // F. The kpageflags blocker was a page of a run-time kind (a page table, an anonymous or file page)
  //    that is free in the dump: freed between the capture and the pause (the capturing process
  //    exited). The dump blocks, with the same reason, at a later page that kpageflags shows in the
  //    same class at the capture, so it blocked then too, behind the freed one.
  if (
    v.ok === false &&
    k.ok === false &&
    v.reason === k.reason &&
    v.errno === k.errno &&
    ['pagetable', 'lru-anon', 'lru-file'].includes(k.blockingClass ?? '') &&
    cls(vs, k.blockingPfn!) === CLASS_ID.free &&
    v.blockingPfn !== undefined &&
    v.blockingPfn !== k.blockingPfn &&
    cls(ks, v.blockingPfn) === cls(vs, v.blockingPfn)
  )
    return 'the kpageflags blocker (a run-time page) was freed before the pause; the dump blocks at the next blocker, there at the capture too';
  // G. The reverse of F: the dump's blocker is a page kpageflags saw free that was faulted in as
  //    anonymous memory after the capture (mapped, anon, not yet on the LRU at the pause: see
  //    test/lab/races.ts); the kpageflags reader blocks, with the same reason, further on.
  if (
    v.ok === false &&
    k.ok === false &&
    v.reason === k.reason &&
    v.errno === k.errno &&
    v.blockingPfn !== undefined &&
    cls(ks, v.blockingPfn) === CLASS_ID.free &&
    anonFaultedInAfterCapture(vs, ks, v.blockingPfn)
  )
    return 'the dump blocker was faulted in as anonymous memory after the capture, free in kpageflags';
  // E. The dump cannot know what kpageflags (with /proc/iomem) knows, and says so: a PageOffline page of
  //    unknown kind (no virtio-mem ranges), or a PG_reserved page that may be a hole (no System RAM
  //    ranges). Its verdict is uncertain, never a different certain answer.
  if (
    v.ok === undefined &&
    ((v.blockingClass === 'offline' && vs.warnings.some((w) => w.includes('offline (kind unknown)'))) ||
      (/would fail either way/.test(v.explanation ?? '') &&
        k.ok === false &&
        (k.errno === 'EINVAL' || k.errno === 'EBUSY')))
  )
    return 'the dump lacks what kpageflags has (/proc/iomem): uncertain verdict, with the reason';
  return undefined;
}

const brief = (v: OfflineVerdict | undefined) =>
  v
    ? `${v.ok} ${v.reason ?? ''} ${v.errno ?? ''} ${v.blockingPfn !== undefined ? '0x' + v.blockingPfn.toString(16) : ''} ${v.blockingClass ?? ''}`
    : 'none';

describe('vmcore offline verdicts on lab dumps', function () {
  this.timeout(600000);
  if (sets.length === 0) it.skip('no lab sets under ~/.cache/kmemmap-lab/sets (npm run lab)', () => undefined);
  for (const m of missingCiSets()) it(`${m.name}: present`, () => assert.fail(m.reason));
  for (const set of sets) {
    describe(set.name, () => {
      for (const fmt of ['ELF', 'kdump'] as const)
        for (const o of set.manifest.expected?.offline ?? [])
          it(`${fmt} memory${o.block}: the verdict matches what the guest kernel did (${o.ok ? 'offlined' : 'refused'})`, async () => {
            assertVerdictMatchesGuest(await vmcore(set, fmt), o, readFileSync(join(set.capture, 'dmesg'), 'utf8'));
          });

      it("ELF block verdicts equal the kpageflags reader's, or differ for an explained reason", async () => {
        const vs = await vmcore(set, 'ELF');
        const ks = await kpf(set);
        const bad: string[] = [];
        for (const kb of ks.blocks) {
          const vb = vs.blocks.find((x) => x.id === kb.id);
          if (!vb) {
            bad.push(`memory${kb.id}: not in the vmcore snapshot`);
            continue;
          }
          assert.equal(vb.state, kb.state, `memory${kb.id} state`);
          const v = vb.verdict!.mainline,
            k = kb.verdict!.mainline;
          if (v.ok === k.ok && v.reason === k.reason && v.errno === k.errno && v.blockingPfn === k.blockingPfn)
            continue;
          if (!explainDifference(vb, v, k, vs, ks))
            bad.push(`memory${kb.id}: vmcore ${brief(v)} | kpageflags ${brief(k)}`);
        }
        assert.deepEqual(bad, [], 'unexplained verdict differences');
      });

      it('kdump block verdicts equal the ELF ones', async () => {
        const e = await vmcore(set, 'ELF'),
          k = await vmcore(set, 'kdump');
        assert.deepEqual(
          k.blocks.map((b) => b.verdict),
          e.blocks.map((b) => b.verdict),
        );
        cache.delete(`${set.name} kdump`);
        cache.delete(`${set.name} ELF`);
        cache.delete(`${set.name} kpf`);
      });
    });
  }
});
