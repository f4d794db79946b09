// The diff panel's host side in plain Node, on a real lab pair (the 6.12 guest before and after its
// balloon inflated, kdump files): the compare worker agrees with the diff engine run in this process,
// answers both sides' class bytes, both sides of a changed page and the next change; the DiffOverview's
// digest adds up to the diff; a pair of different memory-block size is refused with the engine's reason.

import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { findSets } from '../../lab/sets';
import { openSnapshot } from '../../../memmap/open';
import { diffSnapshots, type SnapshotDiff } from '../../../memmap/snapshotDiff';
import { CLASS_ID, PAGE_CLASSES } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { compareInWorker } from '../../../extension/compareWorkerClient';
import { CancelledError, ReadFailure } from '../../../extension/workerJob';
import { DiffSession } from '../../../extension/diffSession';
import { DIM_UNCHANGED } from '../../../shared/diffProtocol';

const WORKER = resolve('out/extension/compareWorker.js');
const SETTINGS = { palette: 'colorblind-safe', offlineRules: 'mainline' } as const;

describe('diff panel host: the compare worker on a real lab pair', function () {
  this.timeout(300_000);
  const a =
    findSets({ kernel: '6.12', scenario: 'baseline', kaslr: true })[0] ??
    findSets({ kernel: '6.12', scenario: 'baseline' })[0];
  const b = findSets({ kernel: '6.12', scenario: 'balloon' })[0];
  let core: { a: Snapshot; b: Snapshot; diff: SnapshotDiff };
  let session: DiffSession;
  const progress: number[] = [];

  before(async function () {
    if (!a || !b)
      throw new Error(
        'the 6.12 baseline and balloon lab sets are missing: make them with `node out/lab/lab.js --ensure-ci-sets`',
      );
    const [sa, sb] = [await openSnapshot(a.kdump), await openSnapshot(b.kdump)];
    core = { a: sa, b: sb, diff: diffSnapshots(sa, sb) };
    const compared = await compareInWorker(
      WORKER,
      { path: a.kdump, extraPaths: [] },
      { path: b.kdump, extraPaths: [] },
      { onProgress: (_m, f) => progress.push(f) },
    );
    session = new DiffSession(['file://' + a.kdump, 'file://' + b.kdump], ['baseline', 'balloon'], compared);
  });
  after(() => session?.dispose());

  it('reports progress over both readings and finds what the diff engine finds', () => {
    // how many steps each reading reports depends on the machine; that it ends each half and never goes back does not
    assert.ok(
      progress.includes(0.5) && progress[progress.length - 1] === 1,
      `progress ends both readings: ${progress.slice(0, 8)}`,
    );
    assert.ok(
      progress.every((f, i) => i === 0 || f >= progress[i - 1]),
      `progress never goes back: ${progress.slice(0, 8)}`,
    );
    const r = session.result.diff;
    assert.deepEqual(r.transitions, core.diff.transitions);
    assert.equal(r.runCount, core.diff.runs.length);
    assert.deepEqual(r.blocks, core.diff.blocks);
    assert.ok(
      r.transitions.some(([, to]) => to === 'offline-movable'),
      'pages became balloon pages',
    );
  });

  it('builds an overview whose matrix and digest add up to the changed pages', () => {
    const d = session.overview(SETTINGS);
    const changed = core.diff.runs.reduce((n, x) => n + x[1], 0);
    assert.equal(d.changedPages, changed);
    assert.equal(
      d.digest.changed.reduce((n, x) => n + x, 0),
      changed,
    );
    assert.deepEqual(
      d.transitions.map(([f, t, n]) => [PAGE_CLASSES[f], PAGE_CLASSES[t], n]),
      core.diff.transitions,
    );
    assert.equal(d.blocks.length, core.diff.blocks.length);
    // every section's display counts cover its PFNs; a changed page counts under its new class, an unchanged one dimmed
    for (const s of d.map.sections)
      assert.equal(
        s.counts.reduce((n, [, c]) => n + c, 0),
        Math.min(s.nrPfns, d.map.endPfn - s.startPfn),
        `section ${s.nr}`,
      );
    const bright = d.map.sections
      .flatMap((s) => s.counts)
      .filter(([v]) => v < DIM_UNCHANGED)
      .reduce((n, [, c]) => n + c, 0);
    assert.equal(bright, changed);
  });

  it('answers both sides of a changed page, the bytes of its range and the next change', async () => {
    const run = core.diff.runs.find((x) => x[3] === 'offline-movable')!;
    const [pfn, , from, to] = run;
    const p = await session.pageDetail(pfn);
    assert.equal(p.a?.class, from);
    assert.equal(p.b?.class, to);
    assert.equal(p.b?.pfn, pfn);
    assert.ok(p.b!.why.length > 0);
    const h = session.handlers(() => SETTINGS);
    const bytes = await h.diffSectionData!({ startPfn: pfn, count: 16 });
    assert.equal(bytes.a[0], CLASS_ID[from]);
    assert.equal(bytes.b[0], CLASS_ID[to]);
    assert.equal(bytes.a[0], core.a.classes[pfn - core.a.startPfn]);
    const first = core.diff.runs[0][0];
    assert.equal(await h.nextChange!({ fromPfn: core.diff.compared.start - 1, direction: 1 }), first);
    const firstBalloon = await h.nextChange!({ fromPfn: -1, direction: 1, transition: [CLASS_ID[from], CLASS_ID[to]] });
    assert.equal(firstBalloon, core.diff.runs.find((x) => x[2] === from && x[3] === to)![0]);
    const last = core.diff.runs[core.diff.runs.length - 1];
    assert.equal(await h.nextChange!({ fromPfn: last[0] + last[1] - 1, direction: 1 }), null);
    assert.equal(await h.nextChange!({ fromPfn: last[0] + last[1] + 5, direction: -1 }), last[0] + last[1] - 1);
  });
});

describe('diff panel host: pairs that cannot be compared, cancellation', function () {
  this.timeout(120_000);
  const SAMPLE = resolve('samples/sample-6.12-virtio-mem.tar.gz');

  it('refuses a capture of a machine with another memory-block size, with the diff engine reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmemmap-diff-'));
    try {
      execFileSync('tar', ['xzf', SAMPLE, '-C', dir]);
      const other = join(dir, '6.12-virtio-mem');
      writeFileSync(join(other, 'memory', 'block_size_bytes'), '10000000\n'); // 256 MiB blocks instead of 128 MiB
      await assert.rejects(
        compareInWorker(WORKER, { path: SAMPLE, extraPaths: [] }, { path: other, extraPaths: [] }),
        (e: unknown) => {
          assert.ok(e instanceof ReadFailure, String(e));
          assert.equal(e.file, other);
          assert.match(
            e.problem,
            /cannot be compared with .*sample-6\.12-virtio-mem\.tar\.gz: 65536 vs 32768 PFNs per memory block/,
          );
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops when cancelled', async () => {
    const abort = new AbortController();
    const p = compareInWorker(
      WORKER,
      { path: SAMPLE, extraPaths: [] },
      { path: SAMPLE, extraPaths: [] },
      { signal: abort.signal },
    );
    abort.abort();
    await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
  });

  it('compares a capture with itself: nothing changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmemmap-diff-'));
    try {
      const copy = join(dir, 'copy.tar.gz');
      cpSync(SAMPLE, copy);
      const c = await compareInWorker(WORKER, { path: SAMPLE, extraPaths: [] }, { path: copy, extraPaths: [] });
      const s = new DiffSession(['a', 'b'], ['a', 'b'], c);
      const d = s.overview(SETTINGS);
      assert.equal(d.changedPages, 0);
      assert.deepEqual([d.transitions, d.blocks], [[], []]);
      assert.ok(
        d.map.sections.every((x) => x.counts.every(([v]) => v >= DIM_UNCHANGED)),
        'every page is drawn dimmed',
      );
      await s.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
