// Tier 4: arm64 dumps as a user opens them, with the PACKAGED extension in a real VS Code (web) in
// Chromium: the arm64 lab guests' kdumps (Debian 6.12 arm64, 4 KiB and 16 KiB pages, under
// qemu-system-aarch64) copied into the workspace and opened from the Explorer; the panel's header says
// aarch64 and the dump's page size, the same as the core reads, and a page found by its physical
// address shows that address in the inspector.
// Run: npm run test:e2e   (KMEMMAP_TEST_GREP does not apply here: mocha -g 'arm64')
import * as assert from 'node:assert/strict';
import type { FrameLocator } from 'playwright-core';
import { startE2eSession, E2eSession } from '../vscode/e2eSession';
import { snapshotFrame, waitForPaletteCommand } from '../vscode/workbenchUi';
import { findSets, labRoot } from '../lab/sets';
import { openSnapshot } from '../../memmap/open';
import { CLASS_ID } from '../../kernel/pageClasses';
import type { Snapshot } from '../../memmap/snapshot';

const formatKiB = (bytes: number) => `${bytes / 1024} KiB`;

for (const arch of ['arm64', 'arm64-16k'] as const)
  describe(`an ${arch} dump, as a user opens it (packaged .vsix, VS Code web, Chromium)`, function () {
    this.timeout(400_000);
    let s: E2eSession;
    let view: FrameLocator;
    let core: Snapshot;
    const NAME = `${arch}-6.12-baseline.kdump`;
    const shot = (n: string) => (arch === 'arm64' ? n : n.replace('arm64', arch));
    const set = findSets({ arch, kernel: '6.12', scenario: 'baseline' })[0];

    before(async () => {
      if (!set)
        throw new Error(
          `no ${arch}-6.12-baseline lab set under ${labRoot()}: make it with \`npm run build && node out/lab/lab.js --ensure-ci-sets\``,
        );
      core = await openSnapshot(set.kdump);
      core.close?.();
      s = await startE2eSession({ files: { [NAME]: set.kdump } });
      view = snapshotFrame(s.page);
    });
    after(async () => s?.close());
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && s) {
        await s.shot(`${arch}-failed-${this.currentTest.title.replace(/\W+/g, '-')}.png`);
        console.log(`      what the workbench shows:\n${await s.report()}`);
      }
    });

    it('opens from the Explorer; the header says aarch64 and the page size of the dump', async () => {
      await waitForPaletteCommand(s.page, 'Kernel Memmap', 'Kernel Memmap');
      await s.openFromExplorer(NAME);
      await s.waitForSnapshotPanel(180_000);
      const fact = async (label: string) =>
        view
          .locator('header .fact', { has: view.locator('.fact-label', { hasText: new RegExp(`^${label}$`) }) })
          .locator('.fact-value')
          .innerText();
      assert.equal(await fact('arch'), 'aarch64');
      assert.equal(core.kernel.machine, 'aarch64');
      assert.equal(core.kernel.pageSize, arch === 'arm64' ? 4096 : 16384);
      assert.equal(await fact('page'), formatKiB(core.kernel.pageSize));
      assert.equal(await fact('kernel'), set.manifest.kernel.release);
      await s.page.waitForTimeout(1500);
      await s.shot(shot('20-arm64-header.png'));
    });

    it('"pa 0x…" finds the page holding that address; the inspector shows its physical address', async () => {
      const pfn = core.startPfn + core.classes.indexOf(CLASS_ID.reserved);
      const pa = BigInt(pfn) * BigInt(core.kernel.pageSize) + 0x123n;
      const search = view.locator('vscode-textfield.search input');
      await search.click();
      await search.fill(`pa 0x${pa.toString(16)}`);
      await search.press('Enter');
      const page = view.locator('.inspector-page');
      await page.filter({ hasText: `(${pfn})` }).waitFor({ timeout: 60_000 });
      assert.match(
        await page.innerText(),
        new RegExp(`physical\\s+0x${(BigInt(pfn) * BigInt(core.kernel.pageSize)).toString(16)}\\b`),
      );
      await s.shot(shot('21-arm64-pa-search.png'));
    });
  });
