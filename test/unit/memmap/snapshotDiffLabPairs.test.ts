// `kmemmap diff` on the lab's sequence pairs: one guest snapshotted at successive moments (balloon
// inflated, virtio-mem plugged then shrunk, blocks offlined). The diff must find the pages that really
// changed state, with the right new class, against the lab's own record of each moment (manifest,
// the guest's /proc/iomem), and nothing else but kernel background churn; its transition counts
// must equal its runs, its runs exactly the PFNs whose class differs, its blocks exactly the blocks
// whose state or verdict differs. For ELF pairs, kdump pairs and mixed ELF/kdump pairs.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSets, LabSet } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { diffSnapshots, SnapshotDiff } from '../../../memmap/snapshotDiff';
import { CLASS_ID, PAGE_CLASSES, PageClass } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { isVirtioMemRam, parseIomem, pfnRangesNamed } from '../../../parsers/capture/iomem';

const PAGE = 4096;
/** Classes the kernel moves pages between all the time (allocations, frees, LRU batching). */
const CHURN = new Set<PageClass>([
  'free',
  'slab',
  'pagetable',
  'kernel-other',
  'lru-anon',
  'lru-file',
  'compound-head',
  'compound-tail',
]);

/** What the lab did between a and b, and which transitions that explains. */
interface Step {
  into: PageClass;
  pages: (b: LabSet, a: LabSet) => number;
  alsoFrom: (from: PageClass, to: PageClass) => boolean;
}
const STEPS: Record<string, Step> = {
  balloon: {
    into: 'offline-movable',
    pages: (b, a) =>
      ((b.manifest.expected?.balloon?.inflatedBytes ?? 0) - (a.manifest.expected?.balloon?.inflatedBytes ?? 0)) / PAGE,
    alsoFrom: () => false,
  },
  'virtio-mem': {
    into: 'offline-skippable',
    pages: (b) => {
      const present = pfnRangesNamed(
        parseIomem(readFileSync(join(b.capture, 'iomem'), 'utf8')),
        isVirtioMemRam,
        PAGE,
      ).reduce((n, [start, end]) => n + end - start, 0);
      return present - b.manifest.expected!.virtioMem!.pluggedBytes / PAGE;
    },
    // plugged memory: sections hot-added (no memmap before) and handed to the kernel
    alsoFrom: (from, to) => from === 'no-memmap' && (CHURN.has(to) || to === 'offline-skippable'),
  },
  'offline-block': {
    into: 'section-offline',
    pages: (b) => (b.manifest.expected?.offline ?? []).filter((o) => o.ok).length * 32768,
    alsoFrom: () => false,
  },
};

/** The PFNs whose class differs, counted independently of the diff (whole-machine snapshots: outside = no-memmap). */
function changedPfns(a: Snapshot, b: Snapshot): number {
  const at = (s: Snapshot, p: number) =>
    p >= s.startPfn && p < s.endPfn ? s.classes[p - s.startPfn] : CLASS_ID['no-memmap'];
  let n = 0;
  for (let p = Math.min(a.startPfn, b.startPfn); p < Math.max(a.endPfn, b.endPfn); p++) if (at(a, p) !== at(b, p)) n++;
  return n;
}

function assertSelfConsistent(d: SnapshotDiff, a: Snapshot, b: Snapshot): void {
  const fromRuns = new Map<string, number>();
  let prevEnd = -1;
  for (const [first, count, from, to] of d.runs) {
    assert.ok(first >= prevEnd && count > 0 && from !== to, `run 0x${first.toString(16)}`);
    prevEnd = first + count;
    fromRuns.set(`${from}>${to}`, (fromRuns.get(`${from}>${to}`) ?? 0) + count);
  }
  assert.deepEqual(
    new Map(d.transitions.map(([f, t, n]) => [`${f}>${t}`, n])),
    fromRuns,
    'transition counts equal the runs',
  );
  assert.equal(
    d.runs.reduce((n, r) => n + r[1], 0),
    changedPfns(a, b),
    'the runs are exactly the PFNs whose class differs',
  );
  const differ = (x: Snapshot['blocks'][number] | undefined, y: Snapshot['blocks'][number] | undefined) =>
    JSON.stringify([
      x?.state,
      x?.zones,
      x?.verdict?.mainline.ok,
      x?.verdict?.mainline.blockingPfn,
      x?.verdict?.skippable.ok,
      x?.verdict?.skippable.blockingPfn,
      x?.verdict?.mainline.reason,
    ]) !==
    JSON.stringify([
      y?.state,
      y?.zones,
      y?.verdict?.mainline.ok,
      y?.verdict?.mainline.blockingPfn,
      y?.verdict?.skippable.ok,
      y?.verdict?.skippable.blockingPfn,
      y?.verdict?.mainline.reason,
    ]);
  const ids = [...new Set([...a.blocks, ...b.blocks].map((x) => x.id))].sort((p, q) => p - q);
  const expected = ids
    .filter((id) =>
      differ(
        a.blocks.find((x) => x.id === id),
        b.blocks.find((x) => x.id === id),
      ),
    )
    .map((id) => `memory${id}`);
  assert.deepEqual(
    d.blocks.map((x) => x.block),
    expected,
    'blocks listed are the blocks whose state or verdict differs',
  );
}

describe('kmemmap diff on the lab sequence pairs', function () {
  this.timeout(600_000);
  // every kernel CI makes the whole main boot of (one guest, four moments: test/lab/sets.ts CI_SETS)
  for (const kernel of ['5.10', '6.1', '6.12', '7.3'] as const) {
    const order = ['baseline', 'balloon', 'virtio-mem', 'offline-block'];
    const sets = order.map(
      (scenario) => findSets({ kernel, scenario, kaslr: true })[0] ?? findSets({ kernel, scenario })[0],
    );
    for (let i = 1; i < order.length; i++) {
      const step = STEPS[order[i]];
      for (const [fa, fb] of [
        ['elf', 'elf'],
        ['kdump', 'kdump'],
        ['elf', 'kdump'],
      ] as const)
        it(`${kernel}: ${order[i - 1]} -> ${order[i]} (${fa}/${fb}): finds the pages that became ${step.into}, and only churn besides`, async () => {
          const [sa, sb] = [sets[i - 1], sets[i]];
          assert.ok(sa && sb, `lab sets ${kernel}-${order[i - 1]} and ${kernel}-${order[i]} (npm test makes them)`);
          const a = await openVmcoreSnapshot([sa[fa]]),
            b = await openVmcoreSnapshot([sb[fb]]);
          const d = diffSnapshots(a, b);
          assertSelfConsistent(d, a, b);
          const expected = step.pages(sb, sa);
          assert.ok(expected > 0, 'the lab changed something');
          const found = d.transitions
            .filter(([f, t]) => t === step.into && f !== step.into)
            .reduce((n, x) => n + x[2], 0);
          console.log(
            `      ${kernel} ${order[i - 1]}->${order[i]} ${fa}/${fb}: ${found} of ${expected} pages became ${step.into}; ${d.runs.length} runs, blocks ${d.blocks.map((x) => x.block).join(' ')}`,
          );
          assert.ok(
            found >= 0.995 * expected && found <= expected,
            `${found} pages became ${step.into}, the lab made ${expected}`,
          );
          const other = d.transitions.filter(
            ([f, t]) => t !== step.into && !(CHURN.has(f) && CHURN.has(t)) && !step.alsoFrom(f, t),
          );
          assert.deepEqual(other, [], 'transitions the lab step does not explain');
        });
    }
  }

  it('refuses two snapshots whose PFNs do not mean the same memory, naming why', () => {
    const snap = (over: Partial<Snapshot> & { pageSize?: number }): Snapshot => ({
      kernel: { pageSize: over.pageSize ?? 4096, machine: 'x86_64' },
      startPfn: over.startPfn ?? 0,
      endPfn: over.endPfn ?? 65536,
      classes: new Uint8Array((over.endPfn ?? 65536) - (over.startPfn ?? 0)),
      pfnsPerSection: over.pfnsPerSection ?? 32768,
      sections: [],
      pfnsPerBlock: 32768,
      blocks: [],
      counts: new Uint32Array(PAGE_CLASSES.length),
      warnings: [],
      provenance: { format: 'test', files: ['x'], notes: [] },
    });
    assert.throws(
      () => diffSnapshots(snap({}), snap({ pageSize: 16384 }), ['a.elf', 'b.elf']),
      /b\.elf: cannot be compared with a\.elf: page size 16384 vs 4096/,
    );
    assert.throws(
      () => diffSnapshots(snap({}), snap({ pfnsPerSection: 8192 }), ['a', 'b']),
      /8192 vs 32768 PFNs per memory section/,
    );
    assert.throws(
      () => diffSnapshots(snap({}), snap({ startPfn: 65536, endPfn: 131072 }), ['a', 'b']),
      /PFN ranges do not overlap/,
    );
    const d = diffSnapshots(snap({}), snap({}));
    assert.deepEqual([d.runs, d.transitions, d.blocks, d.sections], [[], [], [], []]);
  });
});
