// The diff panel's webview bundle (out/webview/diff.js) in headless Chromium against a fake host that
// answers from a real comparison: the lab's 6.12 guest before and after its balloon inflated (kdump
// files), compared by the compare worker. What a user sees: both sides in the header, the transition
// matrix with the diff's counts, the changed block with its verdicts, changed pages bright in their new
// class's colour (old class when toggled), unchanged pages dimmed, a matrix cell that filters the map
// and jumps to its first page, the page on both sides, the n key, and a refused pair's reason.

import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { findSets, type LabSet } from '../lab/sets';
import { compareInWorker } from '../../extension/compareWorkerClient';
import { DiffSession } from '../../extension/diffSession';
import type { DiffOverview } from '../../shared/diffProtocol';
import type { SnapshotDiff } from '../../memmap/snapshotDiff';
import { openSnapshot } from '../../memmap/open';
import { diffSnapshots } from '../../memmap/snapshotDiff';
import { launchChromium, openFakeHost, type FakeHost } from './fakeHost';

/** The diff panel's debug hook on window (untyped on purpose, like fakeHost.ts's HookWindow). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the hook's shape is the panel's, read loosely by tests
type DiffHookWindow = Window & { kmemmapDiff?: any };

const ARTIFACTS = 'test-artifacts';
mkdirSync(ARTIFACTS, { recursive: true });
const SETTINGS = { palette: 'colorblind-safe', offlineRules: 'mainline' } as const;
type Rgb = [number, number, number];
/** palette.ts, colorblind-safe, and the fake host's editor background #1e1e1e. */
const COLOUR: Record<string, Rgb> = {
  free: [0x56, 0xb4, 0xe9],
  'offline-movable': [0xeb, 0xc0, 0xda],
  'kernel-other': [0xd9, 0xc2, 0x7a],
  slab: [0xf0, 0xe4, 0x42],
  'lru-anon': [0x00, 0x9e, 0x73],
};
const BG: Rgb = [30, 30, 30];
const dimmed = (c: Rgb, t: number): Rgb => c.map((v, i) => Math.round(BG[i] * (1 - t) + v * t)) as Rgb;

/** RGB of the map pixel at the centre of a PFN's cell, after zooming to it and loading its section. */
async function pixelOfPfn(h: FakeHost, pfn: number): Promise<Rgb> {
  return h.page.evaluate(async (pfn) => {
    const k = (window as DiffHookWindow).kmemmapDiff;
    k.map.reveal(pfn);
    for (let i = 0; i < 200 && k.cells.classesAt(pfn) === undefined; i++) await new Promise((r) => setTimeout(r, 25));
    k.map.select(undefined);
    k.map.drawNow();
    const v = k.map.currentView;
    const cell = k.map.cellOf(pfn);
    const c = document.createElement('canvas');
    c.width = k.map.canvas.width;
    c.height = k.map.canvas.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(k.map.canvas, 0, 0);
    return Array.from(
      ctx
        .getImageData(Math.floor((cell.x + 0.5 - v.x) * v.cellPx), Math.floor((cell.y + 0.5 - v.y) * v.cellPx), 1, 1)
        .data.slice(0, 3),
    ) as Rgb;
  }, pfn);
}

/** A diff panel on a real lab pair (a → b), in Chromium with the fake host. */
async function openPair(a: LabSet | undefined, b: LabSet | undefined, bScenario: string) {
  if (!a || !b)
    throw new Error(
      `the 6.12 baseline and ${bScenario} lab sets are missing: make them with \`node out/lab/lab.js --ensure-ci-sets\``,
    );
  const diff = diffSnapshots(await openSnapshot(a.kdump), await openSnapshot(b.kdump));
  const compared = await compareInWorker(
    resolve('out/extension/compareWorker.js'),
    { path: a.kdump, extraPaths: [] },
    { path: b.kdump, extraPaths: [] },
  );
  const session = new DiffSession(
    ['file://' + a.kdump, 'file://' + b.kdump],
    ['6.12-baseline.kdump', `6.12-${bScenario}.kdump`],
    compared,
  );
  const d = session.overview(SETTINGS);
  const browser = await launchChromium();
  const h = await openFakeHost(browser, undefined, {
    entry: 'diff',
    title: d.title,
    handlers: session.handlers(() => SETTINGS),
  });
  await h.page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  return { browser, session, diff, d, h };
}

describe('diff panel webview in Chromium (fake host, real lab pair)', function () {
  this.timeout(300_000);
  let browser: Browser;
  let session: DiffSession;
  let diff: SnapshotDiff;
  let d: DiffOverview;
  let h: FakeHost;

  before(async () => {
    const a =
      findSets({ kernel: '6.12', scenario: 'baseline', kaslr: true })[0] ??
      findSets({ kernel: '6.12', scenario: 'baseline' })[0];
    const b = findSets({ kernel: '6.12', scenario: 'balloon' })[0];
    ({ browser, session, diff, d, h } = await openPair(a, b, 'balloon'));
  });
  after(async () => {
    await h?.page.close();
    await browser?.close();
    await session?.dispose();
  });

  it('shows both snapshots, the transition matrix with the diff counts and the changed blocks', async () => {
    const header = (await h.page.textContent('header'))!;
    assert.ok(header.includes('6.12-baseline.kdump') && header.includes('6.12-balloon.kdump'), header);
    assert.ok(header.includes(diff.a.release!));
    for (const [from, to, n] of diff.transitions) {
      const cell = h.page.locator(`.matrix-cell[data-from="${from}"][data-to="${to}"]`);
      assert.equal((await cell.textContent())!.replace(/,/g, ''), String(n), `${from} → ${to}`);
    }
    assert.equal(await h.page.locator('.matrix-cell').count(), diff.transitions.length);
    assert.deepEqual(
      await h.page
        .locator('.diff-blocks tbody tr')
        .evaluateAll((rows) => rows.map((r) => `memory${(r as HTMLElement).dataset.block}`)),
      diff.blocks.map((x) => x.block),
    );
    assert.equal(h.consoleErrors.length, 0, h.consoleErrors.join('\n'));
    await h.page.screenshot({ path: `${ARTIFACTS}/webview-diff-first-screen.png` });
  });

  it('draws a changed page in its new class colour, its old one when toggled, an unchanged page dimmed', async () => {
    const [pfn, , from, to] = diff.runs.find((r) => r[3] === 'offline-movable')!;
    assert.deepEqual(await pixelOfPfn(h, pfn), COLOUR[to], `changed PFN ${pfn} in ${to}`);
    await h.page.click('.diff-old-toggle');
    assert.equal(await h.page.getAttribute('.diff-old-toggle', 'aria-pressed'), 'true');
    assert.deepEqual(await pixelOfPfn(h, pfn), COLOUR[from], `changed PFN ${pfn} in its old class ${from}`);
    await h.page.click('.diff-old-toggle');
    // an unchanged free page (both sides free) right before the first changed run of the map
    const unchanged = await h.page.evaluate(() => {
      const k = (window as DiffHookWindow).kmemmapDiff;
      const o = k.overview.map;
      for (let p = o.startPfn; p < o.endPfn; p++) {
        const c = k.cells.classesAt(p);
        if (c && c[0] === c[1] && o.classNames[c[0]] === 'free') return p;
      }
      return -1;
    });
    assert.ok(unchanged >= 0, 'an unchanged free page is loaded');
    assert.deepEqual(await pixelOfPfn(h, unchanged), dimmed(COLOUR.free, 0.2));
    await h.page.screenshot({ path: `${ARTIFACTS}/webview-diff-zoomed.png` });
  });

  it('zoomed out to the whole machine, a lone changed page still shows in full colour', async () => {
    // a free → slab page: a single page among unchanged ones (the churn of this pair)
    const lone = diff.runs.find((r) => r[1] === 1 && r[3] !== 'offline-movable' && COLOUR[r[3]])!;
    // a small panel, so the whole 4 GiB guest is several pages per pixel
    const small = await openFakeHost(browser, undefined, {
      entry: 'diff',
      title: d.title,
      handlers: session.handlers(() => SETTINGS),
      viewport: { width: 560, height: 420 },
    });
    await small.page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    const got = await small.page.evaluate(async (pfn) => {
      const k = (window as DiffHookWindow).kmemmapDiff;
      k.map.fit();
      for (let i = 0; i < 400 && k.store.loadedSections < k.store.totalSections; i++)
        await new Promise((r) => setTimeout(r, 25));
      k.map.select(undefined);
      k.map.drawNow();
      const v = k.map.currentView;
      const cell = k.map.cellOf(pfn);
      // Zoomed out, a pixel shows a group of G×G cells (a pyramid level), chosen by the cell under
      // the pixel's centre: sample a pixel whose centre lies in the page's group, not merely near the
      // page (a neighbour group's pixel shows the page only as a halo blended into another colour).
      const G = 2 ** Math.ceil(Math.log2(1 / v.cellPx) - 1e-6);
      const pixelIn = (at: number, origin: number) => Math.ceil((Math.floor(at / G) * G - origin) * v.cellPx - 0.5);
      const c = document.createElement('canvas');
      c.width = k.map.canvas.width;
      c.height = k.map.canvas.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(k.map.canvas, 0, 0);
      return {
        kept: k.cells.keptBytes,
        cellPx: v.cellPx,
        rgb: Array.from(ctx.getImageData(pixelIn(cell.x, v.x), pixelIn(cell.y, v.y), 1, 1).data.slice(0, 3)),
      };
    }, lone[0]);
    await small.page.screenshot({ path: `${ARTIFACTS}/webview-diff-whole-machine.png` });
    await small.page.close();
    // both sides' bytes are kept only for the sections that are not uniform on both sides
    const mixed = d.digest.countsNew.filter(Boolean).length;
    assert.ok(
      got.kept > 0 && got.kept <= 2 * mixed * d.map.pfnsPerSection,
      `${got.kept} bytes kept for ${mixed} mixed sections`,
    );
    assert.ok(got.cellPx < 1, `the whole machine shows more than one page per pixel (${got.cellPx} px per page)`);
    const full = Object.values(COLOUR).map((c) => c.join());
    assert.ok(
      full.includes(got.rgb.join()),
      `the pixel of PFN ${lone[0]} (${lone[2]} → ${lone[3]}) is ${got.rgb}, a full class colour, not dimmed`,
    );
  });

  it('a matrix cell filters the map to its transition and shows its first page on both sides', async () => {
    const [from, to] = diff.transitions.find(([f, t]) => f === 'free' && t !== 'offline-movable' && COLOUR[t])!;
    const first = diff.runs.find((r) => r[2] === from && r[3] === to)![0];
    await h.page.click(`.matrix-cell[data-from="${from}"][data-to="${to}"]`);
    assert.equal(
      await h.page.getAttribute(`.matrix-cell[data-from="${from}"][data-to="${to}"]`, 'aria-pressed'),
      'true',
      'the matrix stays in front',
    );
    await h.page.click('vscode-tab-header:has-text("Inspector")');
    await h.page.waitForSelector('.diff-page', { timeout: 20000 });
    assert.match((await h.page.textContent('.diff-filter-msg'))!, new RegExp(`only ${from} → ${to}`));
    assert.match(
      (await h.page.textContent('.diff-page-summary'))!,
      new RegExp(`0x${first.toString(16)} changed: ${from} → ${to}`),
    );
    const colA = (await h.page.textContent('.diff-col[data-side="a"] .inspector-page'))!;
    const colB = (await h.page.textContent('.diff-col[data-side="b"] .inspector-page'))!;
    assert.ok(colA.includes(`0x${first.toString(16)}`) && colA.includes(from), colA);
    assert.ok(colB.includes(to) && colB.includes('why'), colB);
    // the filtered transition stays bright, the balloon pages (another transition) are half-dimmed
    assert.deepEqual(await pixelOfPfn(h, first), COLOUR[to]);
    const balloon = diff.runs.find((r) => r[3] === 'offline-movable')![0];
    assert.deepEqual(await pixelOfPfn(h, balloon), dimmed(COLOUR['offline-movable'], 0.38));
    await h.page.screenshot({ path: `${ARTIFACTS}/webview-diff-filtered.png` });
    await h.page.click('vscode-tab-header:has-text("Changes")');
    await h.page.click(`.matrix-cell[data-from="${from}"][data-to="${to}"]`); // off again
    assert.equal(await h.page.textContent('.diff-filter-msg'), '');
  });

  it('the n key jumps to the next changed page; the search takes a physical address', async () => {
    const [r0, r1] = diff.runs;
    await h.page.fill('.search input', '').catch(() => undefined);
    await h.page.evaluate((pfn) => (window as DiffHookWindow).kmemmapDiff.map.reveal(pfn), r0[0] + r0[1] - 1);
    await h.page.locator('.map-canvas').focus();
    await h.page.keyboard.press('Enter');
    await h.page.keyboard.press('n');
    await h.page.waitForFunction(
      (pfn) => document.querySelector('.diff-page-summary')?.textContent?.includes(`0x${pfn.toString(16)} `),
      r1[0],
      { timeout: 20000 },
    );
    const pa = BigInt(r0[0]) * 4096n;
    await h.page.locator('.search').click();
    await h.page.keyboard.type(`pa 0x${pa.toString(16)}`);
    await h.page.keyboard.press('Enter');
    await h.page.waitForFunction(
      (pfn) => document.querySelector('.diff-page-summary')?.textContent?.includes(`0x${pfn.toString(16)} changed: `),
      r0[0],
      { timeout: 20000 },
    );
  });

  it('a pair that cannot be compared shows the reason and a retry', async () => {
    const p = await browser.newPage();
    try {
      const f = await openFakeHost(browser, undefined, {
        entry: 'diff',
        handlers: { diffReady: () => new Promise(() => undefined) },
      });
      await f.send({
        type: 'failed',
        file: '/tmp/other',
        problem: 'cannot be compared with sample.tar.gz: 65536 vs 32768 PFNs per memory block',
      });
      await f.page.waitForSelector('.failure');
      const text = (await f.page.textContent('.failure'))!;
      assert.ok(
        text.includes('Cannot compare these snapshots') && text.includes('65536 vs 32768 PFNs per memory block'),
        text,
      );
      await f.page.click('.failure button');
      assert.ok(f.events.some((e) => e.type === 'retry'));
      await f.page.close();
    } finally {
      await p.close();
    }
  });
});

describe('diff panel webview in Chromium: the blocks a virtio-mem plug changed (fake host, real lab pair)', function () {
  this.timeout(300_000);
  let browser: Browser;
  let session: DiffSession;
  let diff: SnapshotDiff;
  let h: FakeHost;

  before(async () => {
    const a =
      findSets({ kernel: '6.12', scenario: 'baseline', kaslr: true })[0] ??
      findSets({ kernel: '6.12', scenario: 'baseline' })[0];
    const b = findSets({ kernel: '6.12', scenario: 'virtio-mem' })[0];
    ({ browser, session, diff, h } = await openPair(a, b, 'virtio-mem'));
  });
  after(async () => {
    await h?.page.close();
    await browser?.close();
    await session?.dispose();
  });

  it('a block row shows both sides with the deciding pages', async () => {
    // memory the virtio-mem device plugged after the baseline: its blocks change state in every lab run
    const row = diff.blocks.find((x) => x.a?.state !== x.b?.state) ?? diff.blocks[0];
    assert.ok(row, 'the virtio-mem step changed no memory block');
    await h.page.click('vscode-tab-header:has-text("Changes")');
    await h.page.click(`.diff-blocks tr[data-block="${row.block.replace('memory', '')}"] td.name-cell`);
    await h.page.waitForSelector('.inspector-block');
    const text = (await h.page.textContent('.inspector-block'))!;
    assert.ok(text.includes(row.block), text);
    for (const side of [row.a, row.b])
      if (side?.mainline?.blockingPfn !== undefined)
        assert.ok(
          text.includes(`0x${side.mainline.blockingPfn.toString(16)}`),
          `deciding page ${side.mainline.blockingPfn} in ${text}`,
        );
  });
});
