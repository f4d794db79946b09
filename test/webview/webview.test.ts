// The webview bundle in headless Chromium against a fake host: DOM, protocol and canvas pixels,
// with a real snapshot (the committed sample or a lab capture) and a synthetic one for edge cases.
// Screenshots go to test-artifacts/.

import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { CLASS_ID } from '../../kernel/pageClasses';
import { openSnapshot } from '../../memmap/open';
import type { ParsedSnapshot } from '../../extension/parseWorkerClient';
import { MAX_SECTION_DATA_PFNS } from '../../extension/snapshotSession';
import { launchChromium, openFakeHost, type FakeHost, type HookWindow } from './fakeHost';
import { inProcess, realSnapshotPath } from './inProcessSnapshot';
import { EVIL_RELEASE, syntheticSnapshot } from './syntheticSnapshot';

const ARTIFACTS = 'test-artifacts';
mkdirSync(ARTIFACTS, { recursive: true });

async function ready(h: FakeHost): Promise<void> {
  await h.page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await h.page.evaluate(() => (window as HookWindow).kmemmap.firstPicture);
}

/** RGB of the map pixel at the centre of a PFN's cell, after zooming to it and loading its section. */
async function pixelOfPfn(h: FakeHost, pfn: number): Promise<[number, number, number]> {
  return h.page.evaluate(async (pfn) => {
    const k = (window as HookWindow).kmemmap;
    k.map.reveal(pfn);
    for (let i = 0; i < 200 && k.store.classAt(pfn) === undefined; i++) await new Promise((r) => setTimeout(r, 25));
    k.map.select(undefined);
    k.map.drawNow();
    const v = k.map.currentView;
    const cell = k.map.cellOf(pfn);
    const x = Math.floor((cell.x + 0.5 - v.x) * v.cellPx);
    const y = Math.floor((cell.y + 0.5 - v.y) * v.cellPx);
    const c = document.createElement('canvas');
    c.width = k.map.canvas.width;
    c.height = k.map.canvas.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(k.map.canvas, 0, 0);
    return Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)) as [number, number, number];
  }, pfn);
}

const SKIPPABLE_RGB: [number, number, number] = [0xcc, 0x79, 0xa7]; // palette.ts, colorblind-safe

describe('webview in Chromium (fake host)', function () {
  this.timeout(120000);
  let browser: Browser;
  let real: { path: string; parsed: ParsedSnapshot } | undefined;

  before(async () => {
    browser = await launchChromium();
    const path = realSnapshotPath();
    if (path) real = { path, parsed: inProcess(await openSnapshot(path)) };
  });
  after(async () => browser?.close());

  describe('real snapshot', () => {
    let h: FakeHost;
    before(async function () {
      if (!real) this.skip();
      h = await openFakeHost(browser, real!.parsed, { title: real!.path.split('/').slice(-2).join('/') });
      await ready(h);
    });
    after(async () => h?.page.close());

    it('shows the kernel, the format, the blocks with verdicts and a legend', async () => {
      const s = real!.parsed.summary;
      const header = await h.page.textContent('header');
      assert.ok(header!.includes(s.kernel.release!), header!);
      assert.ok(header!.includes(s.input.format));
      assert.equal(await h.page.locator('table.blocks tbody tr').count(), s.blocks.length || s.sections.length);
      assert.ok((await h.page.locator('.legend-item').count()) >= Object.keys(s.classes).length);
      if (s.blocks.some((b) => b.offline)) assert.ok((await h.page.locator('.verdict').count()) > 0);
      await h.page.screenshot({ path: `${ARTIFACTS}/webview-real-first-screen.png` });
      assert.deepEqual(h.consoleErrors, []);
    });

    it('asks for section data on demand, never the whole machine in one message', async () => {
      const first = h.fromWebview.find((m) => m.kind === 'request');
      assert.equal(first && first.kind === 'request' && first.name, 'ready', 'the overview comes first');
      assert.ok(h.sectionBytes.length > 0);
      assert.ok(Math.max(...h.sectionBytes) <= MAX_SECTION_DATA_PFNS);
    });

    it('colours a PFN of a known class with the palette colour of that class', async () => {
      const c = real!.parsed.classes;
      let idx = c.indexOf(CLASS_ID['offline-skippable']);
      let want = SKIPPABLE_RGB;
      if (idx < 0) {
        idx = c.indexOf(CLASS_ID['free']);
        want = [0x56, 0xb4, 0xe9];
      }
      const pfn = real!.parsed.summary.pfns.start + idx;
      const got = await pixelOfPfn(h, pfn);
      assert.deepEqual(got, want, `pixel of PFN ${pfn}`);
      await h.page.screenshot({ path: `${ARTIFACTS}/webview-real-zoomed.png` });
    });

    it('clicking a page shows its details and kernel source links', async () => {
      const c = real!.parsed.classes;
      const idx = Math.max(0, c.indexOf(CLASS_ID['offline-skippable']));
      const pfn = real!.parsed.summary.pfns.start + idx;
      await h.page.evaluate((pfn) => {
        const k = (window as HookWindow).kmemmap;
        k.map.reveal(pfn);
      }, pfn);
      await h.page.locator('.map-canvas').focus();
      await h.page.keyboard.press('Enter');
      await h.page.waitForSelector('.inspector-page', { timeout: 10000 });
      const text = await h.page.textContent('.inspector-page');
      assert.ok(text!.includes(`0x${pfn.toString(16)}`), text!);
      await h.page.click('.inspector-page ul.sources button');
      await h.page.waitForTimeout(200);
      assert.ok(h.events.some((e) => e.type === 'openSource'));
      assert.equal(
        await h.page.locator('.inspector-page .ask-debugger').count(),
        0,
        'a kpageflags capture is not a dump: no ask-crash/drgn button',
      );
      await h.page.screenshot({ path: `${ARTIFACTS}/webview-real-inspector.png` });
    });

    it('search by block shows the verdict and the blocking pages', async () => {
      const b =
        real!.parsed.summary.blocks.find((x) => x.offline?.mainline.ok === false) ?? real!.parsed.summary.blocks[0];
      if (!b) return;
      await h.page.fill('vscode-textfield.search >> input', `block ${b.id}`).catch(async () => {
        await h.page.locator('vscode-textfield.search').click();
        await h.page.keyboard.type(`block ${b.id}`);
      });
      await h.page.locator('vscode-textfield.search').press('Enter');
      await h.page.waitForSelector('.inspector-block', { timeout: 10000 });
      await h.page.waitForFunction(
        () => !document.querySelector('.inspector-block')?.textContent?.includes('loading…'),
      );
      const text = await h.page.textContent('.inspector-block');
      assert.ok(text!.includes(`memory${b.id}`), text!);
      await h.page.screenshot({ path: `${ARTIFACTS}/webview-real-block.png` });
    });
  });

  describe('synthetic snapshot', () => {
    const snap = syntheticSnapshot(64, { sectionsPerBlock: 1 });
    const parsed = inProcess(snap);
    const skippablePfn = snap.classes.indexOf(CLASS_ID['offline-skippable']);

    for (const renderer of [undefined, 'canvas2d'] as const) {
      it(`${renderer ?? 'webgl2'}: draws the palette colour at an offline-skippable PFN`, async () => {
        const h = await openFakeHost(browser, parsed, { renderer });
        await ready(h);
        assert.equal(await h.page.getAttribute('.map-canvas', 'data-renderer'), renderer ?? 'webgl2');
        assert.deepEqual(await pixelOfPfn(h, skippablePfn), SKIPPABLE_RGB);
        await h.page.evaluate(() => (window as HookWindow).kmemmap.map.fit());
        await h.page.waitForTimeout(300);
        await h.page.screenshot({ path: `${ARTIFACTS}/webview-synthetic-${renderer ?? 'webgl2'}.png` });
        await h.page.close();
      });
    }

    it('shows text from the dump as text (no HTML injection)', async () => {
      const h = await openFakeHost(browser, parsed);
      await ready(h);
      const header = await h.page.textContent('header');
      assert.ok(header!.includes(EVIL_RELEASE));
      assert.equal(await h.page.locator('header img, header script, .inspector b').count(), 0);
      assert.equal(await h.page.evaluate(() => (window as HookWindow).__pwned), undefined);
      await h.page.close();
    });

    it("a dump's inspector offers to ask crash/drgn about the page, and asks the host for that PFN", async () => {
      const dump = syntheticSnapshot(64, { sectionsPerBlock: 1 });
      dump.provenance = { ...dump.provenance, format: 'elf-vmcore' };
      const h = await openFakeHost(browser, inProcess(dump));
      await ready(h);
      await h.page.evaluate((pfn) => (window as HookWindow).kmemmap.map.reveal(pfn), skippablePfn);
      await h.page.locator('.map-canvas').focus();
      await h.page.keyboard.press('Enter');
      await h.page.locator('.inspector-page .ask-debugger').click({ timeout: 10000 });
      await h.page.waitForTimeout(200);
      assert.ok(
        h.events.some((e) => e.type === 'askDebugger' && e.pfn === skippablePfn),
        JSON.stringify(h.events),
      );
      await h.page.close();
    });

    it('uniform sections are never requested', async () => {
      const h = await openFakeHost(browser, parsed);
      await ready(h);
      await h.page.waitForTimeout(500);
      const requested = h.fromWebview
        .filter((m) => m.kind === 'request' && m.name === 'sectionData')
        .map((m) => (m as { params: { startPfn: number; count: number } }).params);
      const uniform = snap.sections.filter((s) => s.counts.some((n) => n === s.nrPfns));
      for (const u of uniform)
        for (const r of requested)
          assert.ok(
            !(r.startPfn <= u.startPfn && r.startPfn + r.count >= u.startPfn + u.nrPfns && r.count === u.nrPfns),
            `section ${u.nr} requested alone`,
          );
      await h.page.close();
    });
  });

  // An arm64 machine with 16 KiB pages (SECTION_SIZE_BITS 27: 8192 PFNs a section, one section a block): every
  // address and size the panel shows must come from the snapshot's page size, not from 4096.
  describe('synthetic arm64 snapshot with 16 KiB pages', () => {
    const PAGE = 16384;
    const snap = syntheticSnapshot(24, { sectionsPerBlock: 1, pageSize: PAGE, machine: 'aarch64' });
    const parsed = inProcess(snap);
    const MiB = 2 ** 20;
    const hexOf = (n: number | bigint) => '0x' + n.toString(16);
    let h: FakeHost;
    before(async () => {
      assert.equal(snap.pfnsPerSection, 2 ** 27 / PAGE);
      h = await openFakeHost(browser, parsed);
      await ready(h);
    });
    after(async () => h?.page.close());

    it('shows the architecture and the 16 KiB page in the header; sections and blocks of 128 MiB', async () => {
      const fact = (label: string) =>
        h.page.evaluate(
          (label) =>
            [...document.querySelectorAll('header .fact')]
              .find((f) => f.querySelector('.fact-label')?.textContent === label)
              ?.querySelector('.fact-value')?.textContent,
          label,
        );
      assert.equal(await fact('arch'), 'aarch64');
      assert.equal(await fact('page'), '16 KiB');
      assert.equal(await fact('sections'), `${snap.sections.length} × ${(snap.pfnsPerSection * PAGE) / MiB} MiB`);
      assert.equal(await fact('memory blocks'), `${snap.blocks.length} × 128 MiB`);
      assert.equal(await fact('span'), `${(snap.endPfn * PAGE) / 2 ** 30} GiB`);
      const help = (await h.page.textContent('.map-help'))!;
      assert.match(help, /One cell per 16 KiB page frame/);
      assert.match(help, /Thin lines: 128 MiB sections/);
      await h.page.screenshot({ path: `${ARTIFACTS}/webview-arm64-16k.png` });
    });

    it('"pa 0x…" finds the PFN by the 16 KiB page shift; the inspector gives the page\'s physical address', async () => {
      const pfn = snap.classes.indexOf(CLASS_ID['offline-unmovable']);
      assert.ok(pfn > 0);
      const pa = BigInt(pfn) * BigInt(PAGE) + 0x2345n;
      const search = h.page.locator('vscode-textfield.search');
      await h.page.fill('vscode-textfield.search >> input', `pa ${hexOf(pa)}`).catch(async () => {
        await search.click();
        await h.page.keyboard.type(`pa ${hexOf(pa)}`);
      });
      await search.press('Enter');
      await h.page.waitForFunction(
        (t) => document.querySelector('.inspector-page h2')?.textContent === t,
        `Page ${hexOf(pfn)}`,
        { timeout: 10000 },
      );
      const physical = await h.page.evaluate(
        () =>
          [...document.querySelectorAll('.inspector-page tr')]
            .find((r) => r.querySelector('th')?.textContent === 'physical')
            ?.querySelector('td')?.textContent,
      );
      assert.equal(physical, hexOf(BigInt(pfn) * BigInt(PAGE)));
    });

    it('row labels and the block table put memoryN at N × 128 MiB', async () => {
      await h.page.evaluate(() => (window as HookWindow).kmemmap.map.fit());
      await h.page.waitForTimeout(300);
      const labels = await h.page.$$eval('.map-label:not([hidden])', (els) => els.map((e) => e.textContent ?? ''));
      const blockLabels = labels
        .map((t) => /^(0x[0-9a-f]+) .*memory(\d+)/.exec(t))
        .filter((m): m is RegExpExecArray => m !== null);
      assert.ok(
        blockLabels.some((m) => Number(m[2]) > 0),
        `labels name blocks after the first: ${labels.join(' | ')}`,
      );
      for (const m of blockLabels) assert.equal(BigInt(m[1]), BigInt(m[2]) * 128n * BigInt(MiB), m[0]);
      const rows = await h.page.$$eval('tr[data-kind="block"]', (trs) =>
        trs.map((tr) => [(tr as HTMLElement).dataset.nr!, tr.querySelector('td.range')?.textContent ?? '']),
      );
      assert.equal(rows.length, snap.blocks.length);
      for (const [nr, start] of rows) assert.equal(BigInt(start), BigInt(nr) * 128n * BigInt(MiB), `memory${nr}`);
    });
  });

  describe('bad input', () => {
    it('shows which file, what is wrong and what to try', async () => {
      const h = await openFakeHost(browser, undefined, {
        title: 'broken.vmcore',
        handlers: {
          ready: async () => {
            throw new Error('/tmp/broken.vmcore: not a snapshot this tool can read');
          },
        },
      });
      await h.send({
        type: 'failed',
        file: '/tmp/broken.vmcore',
        problem: 'ELF header truncated at byte 12',
        hint: 'copy the dump again; it may be incomplete',
      });
      await h.page.waitForSelector('.failure', { timeout: 10000 });
      const text = await h.page.textContent('.failure');
      assert.ok(
        text!.includes('/tmp/broken.vmcore') && text!.includes('truncated') && text!.includes('copy the dump again'),
        text!,
      );
      await h.page.screenshot({ path: `${ARTIFACTS}/webview-failure.png` });
      await h.page.click('.failure button');
      await h.page.waitForTimeout(200);
      assert.ok(h.events.some((e) => e.type === 'retry'));
      await h.page.close();
    });
  });
});
