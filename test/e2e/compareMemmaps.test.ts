// Tier 4: comparing two snapshots as a user does, with the PACKAGED extension in a real VS Code (web)
// in Chromium: two lab kdump files of the 6.12 guest (before and after its balloon inflated) in the
// workspace, both selected in the Explorer, "Compare Memmaps" from its context menu; the diff panel
// shows the changed-page count of the diff engine, a matrix cell takes the map to the first balloon
// page, and the inspector shows that page on both sides. Screenshots go to test-artifacts/e2e/.
// Run: npm run test:e2e
import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { startE2eSession, E2eSession } from '../vscode/e2eSession';
import { waitForPaletteCommand } from '../vscode/workbenchUi';
import { findSets } from '../lab/sets';
import { openSnapshot } from '../../memmap/open';
import { diffSnapshots, type SnapshotDiff } from '../../memmap/snapshotDiff';

/** The frame of the diff panel's webview (its body's title names both files). */
async function diffFrame(s: E2eSession, timeoutMs: number, names = '↔'): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of s.page.frames()) if (await f.$(`body[data-snapshot-title*="${names}"]`).catch(() => null)) return f;
    if (Date.now() > deadline) throw new Error('no diff panel webview');
    await s.page.waitForTimeout(250);
  }
}

describe('Compare Memmaps, as a user does it (packaged .vsix, VS Code web, Chromium)', function () {
  this.timeout(400_000);
  let s: E2eSession;
  let diff: SnapshotDiff;
  const a =
    findSets({ kernel: '6.12', scenario: 'baseline', kaslr: true })[0] ??
    findSets({ kernel: '6.12', scenario: 'baseline' })[0];
  const b = findSets({ kernel: '6.12', scenario: 'balloon' })[0];

  before(async () => {
    if (!a || !b)
      throw new Error(
        'the 6.12 baseline and balloon lab sets are missing: make them with `node out/lab/lab.js --ensure-ci-sets`',
      );
    diff = diffSnapshots(await openSnapshot(a.kdump), await openSnapshot(b.kdump));
    s = await startE2eSession({ files: { 'before-baseline.kdump': a.kdump, 'after-balloon.kdump': b.kdump } });
  });
  after(async () => s?.close());
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && s) {
      await s.shot(`compare-failed-${this.currentTest.title.replace(/\W+/g, '-')}.png`);
      console.log(`      what the workbench shows:\n${await s.report()}`);
    }
  });

  it('selecting two snapshots in the Explorer offers Compare Memmaps, which opens the diff panel', async () => {
    const first = s.page.locator('.explorer-item', { hasText: 'before-baseline.kdump' });
    const second = s.page.locator('.explorer-item', { hasText: 'after-balloon.kdump' });
    // both files were copied into the workspace after the workbench started: wait until the Explorer lists both
    await first.waitFor({ timeout: 60_000 });
    await second.waitFor({ timeout: 60_000 });
    await waitForPaletteCommand(s.page, 'Kernel Memmap: Compare', 'Compare Snapshots');
    await first.click({ modifiers: ['Control'] });
    await second.click({ modifiers: ['Control'] });
    await second.click({ button: 'right' });
    const item = s.page.locator('.context-view .action-label', { hasText: /^Compare Memmaps$/ });
    await item.waitFor({ timeout: 15_000 });
    await s.shot('10-explorer-compare-memmaps.png');
    await item.click();
    const f = await diffFrame(s, 120_000);
    await f.waitForSelector('body[data-ready="true"]', { timeout: 180_000 });
    const header = await f.innerText('header');
    assert.ok(header.includes('before-baseline.kdump') && header.includes('after-balloon.kdump'), header);
    const changed = diff.runs.reduce((n, r) => n + r[1], 0);
    assert.match(
      header.replace(/,/g, ''),
      new RegExp(`changed pages\\s*${changed}\\b`),
      'the changed-page count of the diff engine',
    );
    await s.page.waitForTimeout(1500);
    await s.shot('11-diff-panel.png');
  });

  it('a matrix cell leads to a changed page, shown on both sides in the inspector', async () => {
    const f = await diffFrame(s, 10_000);
    const [pfn, , from, to] = diff.runs.find((r) => r[3] === 'offline-movable')!;
    const cell = f.locator(`.matrix-cell[data-from="${from}"][data-to="${to}"]`);
    assert.equal(
      (await cell.innerText()).replace(/,/g, ''),
      String(diff.transitions.find((t) => t[0] === from && t[1] === to)![2]),
    );
    await cell.click();
    await f.locator('vscode-tab-header', { hasText: 'Inspector' }).click();
    const summary = f.locator('.diff-page-summary');
    await summary.filter({ hasText: `0x${pfn.toString(16)} changed: ${from} → ${to}` }).waitFor({ timeout: 60_000 });
    const colA = await f.locator('.diff-col[data-side="a"]').innerText();
    const colB = await f.locator('.diff-col[data-side="b"]').innerText();
    assert.match(colA, new RegExp(`before \\(a\\)[\\s\\S]*${from}`));
    assert.match(colB, new RegExp(`after \\(b\\)[\\s\\S]*${to}`));
    await s.page.waitForTimeout(1000);
    await s.shot('12-diff-inspector-both-sides.png');
  });

  it('Compare With… in the title bar of an open snapshot asks for the second one and compares', async () => {
    await s.openFromExplorer(s.sampleName);
    const action = s.page.locator('.editor-actions .action-label[aria-label*="Compare With"]');
    await action.waitFor({ timeout: 30_000 });
    await s.shot('13-compare-with-title-action.png');
    await action.click();
    // VS Code web asks with its own file dialog (a quick input holding a path)
    const input = s.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    // it opens in the workspace folder: pick the file from its list, then accept
    await s.page.locator('.quick-input-list .monaco-list-row', { hasText: 'after-balloon.kdump' }).first().click();
    await s.page.waitForFunction(
      () =>
        (
          document.querySelector('.quick-input-widget .quick-input-box input') as HTMLInputElement | null
        )?.value.endsWith('after-balloon.kdump'),
      undefined,
      { timeout: 15_000 },
    );
    await input.press('Enter');
    const f = await diffFrame(s, 60_000, `${s.sampleName} ↔ after-balloon.kdump`);
    await f.waitForSelector('body[data-ready="true"], .failure', { timeout: 180_000 });
    assert.equal(await f.$('.failure'), null, 'the comparison did not fail');
    const header = await f.innerText('header');
    assert.ok(header.includes(s.sampleName) && header.includes('after-balloon.kdump'), header);
    await s.shot('14-compare-with-diff.png');
  });
});
