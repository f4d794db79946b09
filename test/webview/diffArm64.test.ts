// The diff panel's webview bundle in headless Chromium (fake host) on two synthetic arm64 snapshots with
// 16 KiB pages, compared in process (inProcessCompare.ts): both sides' machine and page size in the header,
// the map help's cell size, and "pa 0x…" search landing on the changed page by the 16 KiB page shift, whose
// physical address both inspector columns give. Nothing in the diff panel may assume 4 KiB pages.

import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { CLASS_ID } from '../../kernel/pageClasses';
import { countClasses, newCounts, type Snapshot } from '../../memmap/snapshot';
import { DiffSession } from '../../extension/diffSession';
import { launchChromium, openFakeHost, type FakeHost } from './fakeHost';
import { inProcessCompare } from './inProcessCompare';
import { syntheticSnapshot } from './syntheticSnapshot';

const SETTINGS = { palette: 'colorblind-safe', offlineRules: 'mainline' } as const;
const PAGE = 16384;
const hexOf = (n: number | bigint) => '0x' + n.toString(16);

/** b = a with 300 pages of section 5 turned offline-movable (a balloon), counts recomputed. */
function pair(): { a: Snapshot; b: Snapshot; changed: number } {
  const make = () => syntheticSnapshot(16, { pageSize: PAGE, machine: 'aarch64' });
  const a = make(),
    b = make();
  const sec = b.sections.find((s) => s.nr === 5)!;
  const from = sec.startPfn + 100;
  b.classes.fill(CLASS_ID['offline-movable'], from, from + 300);
  sec.counts = newCounts();
  countClasses(b.classes, sec.startPfn, sec.startPfn + sec.nrPfns, sec.counts);
  b.counts = newCounts();
  countClasses(b.classes, b.startPfn, b.endPfn, b.counts);
  const changed = [...Array(300).keys()].map((i) => from + i).find((p) => a.classes[p] !== b.classes[p])!;
  return { a, b, changed };
}

describe('diff panel webview in Chromium: arm64 with 16 KiB pages (synthetic pair)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let h: FakeHost;
  const { a, b, changed } = pair();

  before(async () => {
    const session = new DiffSession(
      ['file:///a.kdump', 'file:///b.kdump'],
      ['a.kdump', 'b.kdump'],
      inProcessCompare(a, b),
    );
    browser = await launchChromium();
    const d = session.overview(SETTINGS);
    h = await openFakeHost(browser, undefined, {
      entry: 'diff',
      title: d.title,
      handlers: session.handlers(() => SETTINGS),
    });
    await h.page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  });
  after(async () => {
    await h?.page.close();
    await browser?.close();
  });

  it("shows each side's machine and page size, and the cell size in the map help", async () => {
    const sides = await h.page.$$eval('.diff-side', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(sides.length, 2);
    for (const s of sides) assert.match(s, /· aarch64, 16 KiB pages ·/, s);
    assert.match((await h.page.textContent('.map-help summary'))!, /^1 cell = 1 page \(16 KiB\)/);
    assert.equal(h.consoleErrors.length, 0, h.consoleErrors.join('\n'));
  });

  it('"pa 0x…" goes to the changed page by the 16 KiB page shift; both columns give its physical address', async () => {
    const pa = BigInt(changed) * BigInt(PAGE) + 0x1234n;
    const search = h.page.locator('vscode-textfield.search');
    await h.page.fill('vscode-textfield.search >> input', `pa ${hexOf(pa)}`).catch(async () => {
      await search.click();
      await h.page.keyboard.type(`pa ${hexOf(pa)}`);
    });
    await search.press('Enter');
    const summary = h.page.locator('.diff-page-summary');
    await summary.filter({ hasText: `Page ${hexOf(changed)} changed:` }).waitFor({ timeout: 20_000 });
    assert.match((await summary.textContent())!, /→ offline-movable$/);
    for (const side of ['a', 'b']) {
      const physical = await h.page.evaluate(
        (side) =>
          [...document.querySelectorAll(`.diff-col[data-side="${side}"] tr`)]
            .find((r) => r.querySelector('th')?.textContent === 'physical')
            ?.querySelector('td')?.textContent,
        side,
      );
      assert.equal(physical, hexOf(BigInt(changed) * BigInt(PAGE)), `side ${side}`);
    }
    await h.page.screenshot({ path: 'test-artifacts/webview-diff-arm64-16k.png' });
  });
});
