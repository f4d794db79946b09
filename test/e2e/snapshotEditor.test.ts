// Tier 4: a user's first minutes with the PACKAGED extension in a real VS Code (web) in Chromium:
// open the sample from the Explorer, see the map and legend, find a virtio-mem fake-offline page,
// click a page and read the inspector. Screenshots go to test-artifacts/e2e/.
// Run: npm run test:e2e   (packages the .vsix first; KMEMMAP_TEST_SAMPLE overrides the sample)
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { startE2eSession, samplePath, E2eSession } from '../vscode/e2eSession';
import { snapshotFrame } from '../vscode/workbenchUi';
import { distinctColours } from '../vscode/pixels';
import { openSnapshot } from '../../memmap/open';
import { CLASS_ID } from '../../kernel/pageClasses';

describe('Kernel Memmap Explorer, as a user sees it (packaged .vsix, VS Code web, Chromium)', function () {
  this.timeout(300_000);
  let s: E2eSession;
  let view: FrameLocator;
  let fakeOfflinePfn: number;
  let fakeOfflineCount: number;

  before(async () => {
    const core = await openSnapshot(samplePath());
    fakeOfflineCount = core.counts[CLASS_ID['offline-skippable']]!;
    const i = core.classes.indexOf(CLASS_ID['offline-skippable']);
    assert.ok(i >= 0, 'the sample holds virtio-mem fake-offline (offline-skippable) pages');
    fakeOfflinePfn = core.startPfn + i;
    s = await startE2eSession();
    view = snapshotFrame(s.page);
  });

  after(async () => {
    if (s) console.log(`      timings: ${JSON.stringify(s.timings)}`);
    await s?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && s) {
      await s.shot(`failed-${this.currentTest.title.replace(/\W+/g, '-')}.png`);
      console.log(`      what the workbench shows:\n${await s.report()}`);
    }
  });

  it('lists the Kernel Memmap commands in the command palette', async () => {
    // Also the sign that the extension's contributions (its editor for snapshot files) are registered.
    const rows = s.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Kernel Memmap' });
    const deadline = Date.now() + 90_000;
    for (;;) {
      await s.page
        .locator('.monaco-workbench')
        .click({ position: { x: 700, y: 400 } })
        .catch(() => undefined);
      await s.page.keyboard.press('F1');
      await s.page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 10_000 });
      await s.page.keyboard.type('Kernel Memmap');
      if (
        await rows
          .first()
          .waitFor({ timeout: 5000 })
          .then(
            () => true,
            () => false,
          )
      )
        break;
      await s.page.keyboard.press('Escape');
      if (Date.now() > deadline) assert.fail('no "Kernel Memmap" commands in the palette after 90 s');
    }
    const titles = await rows.allInnerTexts();
    assert.ok(
      titles.some((t) => /Open Snapshot/.test(t)),
      `palette rows: ${titles.join(' | ')}`,
    );
    assert.ok(
      titles.some((t) => /Sample/.test(t)),
      `palette rows: ${titles.join(' | ')}`,
    );
    await s.shot('00-command-palette.png');
    await s.page.keyboard.press('Escape');
  });

  it('opens the sample from the Explorer in the memmap editor', async () => {
    const t0 = Date.now();
    await s.openFromExplorer(s.sampleName);
    await s.waitForSnapshotPanel(120_000);
    s.timings.openToReadyMs = Date.now() - t0;
    await s.page.waitForTimeout(1500); // let the map finish its first frames
    await s.shot('01-opened.png');
    await assert.doesNotReject(view.locator('.legend').waitFor({ timeout: 5000 }));
  });

  it('shows the fake-offline page count in the legend, the same as the core', async () => {
    const item = view.locator('.legend-items > *', {
      has: view.locator('.legend-name', { hasText: /^offline-skippable$/ }),
    });
    await item.waitFor({ timeout: 10_000 });
    const text = await item.locator('.legend-count').innerText();
    assert.equal(Number(text.split('·')[0]!.replace(/[^\d]/g, '')), fakeOfflineCount, `legend says "${text}"`);
  });

  it('draws the map (the canvas is not blank)', async () => {
    const canvas = view.locator('canvas.map-canvas');
    const box = await canvas.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, `map canvas too small: ${JSON.stringify(box)}`);
    const colours = await distinctColours(s.page, await canvas.screenshot());
    assert.ok(colours >= 3, `the map shows only ${colours} colour(s)`);
  });

  it('finds a virtio-mem fake-offline page by PFN and explains it in the inspector', async () => {
    const search = view.locator('vscode-textfield.search input');
    await search.click();
    await search.fill(String(fakeOfflinePfn));
    await search.press('Enter');
    const page = view.locator('.inspector-page');
    await page.filter({ hasText: `(${fakeOfflinePfn})` }).waitFor({ timeout: 30_000 });
    const text = await page.innerText();
    assert.match(text, /offline-skippable/, 'the inspector names the class');
    assert.match(text, /why/i, 'the inspector says why');
    await s.page.waitForTimeout(500);
    await s.shot('02-inspector-fake-offline.png');
  });

  it('clicking a page in the map inspects the page under the pointer', async () => {
    const canvas = view.locator('canvas.map-canvas');
    const box = (await canvas.boundingBox())!;
    // A few cells right of the centre (the search above centred and zoomed the map on a page).
    const at = { x: Math.round(box.width / 2 + 40), y: Math.round(box.height / 2) };
    const expected = await canvas.evaluate((c, p) => {
      const r = c.getBoundingClientRect();
      const k = (window as unknown as { kmemmap: { map: { pfnAt(x: number, y: number): number | undefined } } })
        .kmemmap;
      return k.map.pfnAt(r.left + p.x, r.top + p.y);
    }, at);
    assert.ok(expected !== undefined && expected !== fakeOfflinePfn, `no other page under the pointer (${expected})`);
    await canvas.click({ position: at });
    await view
      .locator('.inspector-page')
      .filter({ hasText: `(${expected})` })
      .waitFor({ timeout: 30_000 });
    await s.page.waitForTimeout(500);
    await s.shot('03-clicked-page.png');
  });

  it('hovering PageOffline in a C file shows what it means', async () => {
    writeFileSync(join(s.folder, 'offline.c'), 'static bool f(struct page *page)\n{\n\treturn PageOffline(page);\n}\n');
    await s.page.keyboard.press('Control+P');
    await s.page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 10_000 });
    await s.page.keyboard.type('offline.c');
    await s.page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'offline.c' })
      .first()
      .waitFor({ timeout: 20_000 });
    await s.page.keyboard.press('Enter');
    const word = s.page.locator('.monaco-editor .view-line span', { hasText: /^PageOffline$/ }).first();
    await word.waitFor({ timeout: 20_000 });
    const hover = s.page.locator('.monaco-hover', { hasText: 'PageOffline' });
    for (let i = 0; i < 5 && !(await hover.isVisible()); i++) {
      await s.page.mouse.move(0, 0);
      await word.hover();
      await hover.waitFor({ state: 'visible', timeout: 8_000 }).catch(() => undefined);
    }
    assert.ok(await hover.isVisible(), 'no hover for PageOffline');
    assert.match(await hover.innerText(), /offline/i);
    await s.shot('04-hover-pageoffline.png');
  });
});
