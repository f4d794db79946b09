// Runs inside the VS Code extension host: compares two lab snapshots the way the Explorer does when two
// files are selected and "Compare Memmaps" is chosen (the command gets the clicked file and the
// selection), then reads a changed page on both sides through the diff panel's host, and checks it
// against the diff engine run on the same files in this process.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KmemmapApi } from '../../extension/extension';
import { openSnapshot } from '../../memmap/open';
import { diffSnapshots, type SnapshotDiff } from '../../memmap/snapshotDiff';
import { findSets } from '../lab/sets';
import { waitFor } from './waitFor';

const EXTENSION_ID = 'kmemmap.kernel-memmap-explorer';

function diffTab(title: string): vscode.Tab | undefined {
  for (const g of vscode.window.tabGroups.all)
    for (const t of g.tabs)
      if (
        t.input instanceof vscode.TabInputWebview &&
        t.input.viewType.endsWith('kmemmap.diff') &&
        t.label.includes(title)
      )
        return t;
  return undefined;
}

describe('Compare Memmaps in a real VS Code', function () {
  this.timeout(300_000);
  let api: KmemmapApi;
  const a =
    findSets({ kernel: '6.12', scenario: 'baseline', kaslr: true })[0] ??
    findSets({ kernel: '6.12', scenario: 'baseline' })[0];
  const b = findSets({ kernel: '6.12', scenario: 'balloon' })[0];

  before(async () => {
    const ext = vscode.extensions.getExtension<KmemmapApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
  });

  it("contributes Compare Snapshots…, Compare With… and the Explorer's Compare Memmaps on two selected files", async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of ['kmemmap.compareSnapshots', 'kmemmap.compareMemmaps', 'kmemmap.compareWith'])
      assert.ok(all.includes(c), `command ${c} missing`);
    const menus = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus;
    assert.ok(
      menus['explorer/context'].some(
        (m: { command: string; when?: string }) =>
          m.command === 'kmemmap.compareMemmaps' && m.when === 'listDoubleSelection',
      ),
    );
    assert.ok(menus['editor/title'].some((m: { command: string }) => m.command === 'kmemmap.compareWith'));
  });

  if (!a || !b)
    it('compares two lab snapshots', () => {
      throw new Error(
        'the 6.12 baseline and balloon lab sets are missing: make them with `node out/lab/lab.js --ensure-ci-sets`',
      );
    });
  else
    describe('6.12 baseline → balloon (kdump files)', () => {
      let diff: SnapshotDiff;
      const ua = vscode.Uri.file(a.kdump),
        ub = vscode.Uri.file(b.kdump);
      before(async () => {
        diff = diffSnapshots(await openSnapshot(a.kdump), await openSnapshot(b.kdump));
      });

      it('opens the diff panel from the Explorer command with the two selected files', async () => {
        await vscode.commands.executeCommand('kmemmap.compareMemmaps', ua, [ua, ub]);
        const d = await waitFor(
          'the comparison',
          () => api.diffs().find((x) => x.uris[0] === ua.toString() && x.uris[1] === ub.toString()),
          180_000,
        );
        const tab = await waitFor('the diff panel tab', () => diffTab('vmcore.kdump ↔ vmcore.kdump'), 30_000);
        assert.ok(tab.isActive, 'the diff panel is the active tab');
        assert.equal(
          d.changedPages,
          diff.runs.reduce((n, r) => n + r[1], 0),
        );
        assert.deepEqual(d.transitions, diff.transitions);
      });

      it('reads a changed page on both sides: free before, a balloon page after', async () => {
        const d = api.diffs().find((x) => x.uris[1] === ub.toString())!;
        const [pfn, , from, to] = diff.runs.find((r) => r[3] === 'offline-movable')!;
        const p = await d.pageDetail(pfn);
        assert.equal(p.a?.pfn, pfn);
        assert.equal(p.a?.class, from);
        assert.equal(p.b?.class, 'offline-movable');
        assert.equal(p.b?.class, to);
        assert.equal(p.b?.physAddr, `0x${(BigInt(pfn) * 4096n).toString(16)}`);
        assert.ok(p.a!.why.length > 0 && p.b!.why.length > 0, 'both sides say why the page is in its class');
        // an unchanged page reads the same on both sides
        const r0 = diff.runs[0];
        const same = r0[0] > diff.compared.start ? r0[0] - 1 : r0[0] + r0[1];
        const q = await d.pageDetail(same);
        assert.equal(q.a?.class, q.b?.class);
      });

      it('Compare With… from an open snapshot compares it (a) with the chosen one (b)', async () => {
        const c = findSets({ kernel: '6.12', scenario: 'virtio-mem' })[0];
        assert.ok(c, 'the 6.12 virtio-mem lab set is missing: make it with `node out/lab/lab.js --ensure-ci-sets`');
        const uc = vscode.Uri.file(c.kdump);
        await vscode.commands.executeCommand('vscode.openWith', ub, 'kmemmap.snapshot');
        await waitFor(
          'the balloon snapshot open in its editor',
          () => api.sessions().find((x) => x.uri === ub.toString()),
          120_000,
        );
        // the palette's form: no URI, the active snapshot editor is a; the second URI stands for the file dialog's answer
        await vscode.commands.executeCommand('kmemmap.compareWith', undefined, uc);
        const d = await waitFor(
          'the comparison',
          () => api.diffs().find((x) => x.uris[0] === ub.toString() && x.uris[1] === uc.toString()),
          180_000,
        );
        const core = diffSnapshots(await openSnapshot(b.kdump), await openSnapshot(c.kdump));
        assert.deepEqual(d.transitions, core.transitions);
        const [pfn, , from, to] = core.runs.find((r) => r[3] === 'offline-skippable')!;
        const p = await d.pageDetail(pfn);
        assert.deepEqual(
          [p.a?.class ?? 'outside a', p.b?.class],
          [pfn < core.a.pfns.end ? from : 'outside a', 'offline-skippable'],
        );
        assert.equal(to, 'offline-skippable');
      });

      it('refuses to compare more than two selected files, saying so', async () => {
        const before = api.diffs().length;
        await vscode.commands.executeCommand('kmemmap.compareMemmaps', ua, [ua, ub, ua]);
        assert.equal(api.diffs().length, before, 'no comparison started');
      });
    });
});
