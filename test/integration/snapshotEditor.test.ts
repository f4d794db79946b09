// Runs inside the VS Code extension host: opens snapshots in the custom editor and checks what the
// extension shows against what the pure core computes for the same file.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KmemmapApi } from '../../extension/extension';
import { openSnapshot } from '../../memmap/open';
import { summaryJson } from '../../memmap/summaryJson';
import { CLASS_ID } from '../../kernel/pageClasses';
import type { Snapshot } from '../../memmap/snapshot';
import { labVmcore, sampleFile, LabFile } from './snapshotFiles';
import { waitFor } from './waitFor';
import { copyFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

function copyToTemp(file: string): string {
  const to = join(mkdtempSync(join(tmpdir(), 'kmemmap-it-')), basename(file));
  copyFileSync(file, to);
  return to;
}

const EXTENSION_ID = 'kmemmap.kernel-memmap-explorer';
const VIEW_TYPE = 'kmemmap.snapshot';

function customEditorTab(uri: vscode.Uri): vscode.Tab | undefined {
  for (const g of vscode.window.tabGroups.all)
    for (const t of g.tabs)
      if (
        t.input instanceof vscode.TabInputCustom &&
        t.input.viewType === VIEW_TYPE &&
        t.input.uri.toString() === uri.toString()
      )
        return t;
  return undefined;
}

/** First PFN of the given class in the core's per-PFN class bytes. */
function firstPfnOfClass(core: Snapshot, cls: keyof typeof CLASS_ID): number | undefined {
  const i = core.classes.indexOf(CLASS_ID[cls]);
  return i < 0 ? undefined : core.startPfn + i;
}

describe('Kernel Memmap Explorer in a real VS Code', () => {
  let api: KmemmapApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<KmemmapApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    assert.equal(typeof api?.sessions, 'function', 'activate() returns the test API');
  });

  it('contributes the open-snapshot and open-sample commands', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of ['kmemmap.openSnapshot', 'kmemmap.openSample']) assert.ok(all.includes(c), `command ${c} missing`);
  });

  const vmcore = labVmcore();
  const files: LabFile[] = [sampleFile(), ...('missing' in vmcore ? [] : [vmcore])];
  if ('missing' in vmcore) it(`lab vmcore: ${vmcore.missing}`);
  for (const file of files) {
    describe(file.label, function () {
      // Small files are opened from a fresh copy, so the session can only come from this editor
      // (not from another test's panel on the same path).
      const path = statSync(file.path).size < 16 << 20 ? copyToTemp(file.path) : file.path;
      const uri = vscode.Uri.file(path);
      let core: Snapshot;
      let summary: ReturnType<KmemmapApi['sessions']>[number]['summary'];

      before(async function () {
        core = await openSnapshot(path);
      });

      it('opens in the kmemmap.snapshot custom editor and parses', async () => {
        await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
        const tab = await waitFor('a kmemmap.snapshot tab', () => customEditorTab(uri), 30_000);
        assert.ok(tab.isActive, 'the snapshot tab is the active one');
        const session = await waitFor(
          'the parsed session',
          () => api.sessions().find((s) => s.uri === uri.toString()),
          120_000,
        );
        summary = session.summary;
      });

      it('shows the same overview numbers as the pure core', () => {
        assert.ok(summary, 'snapshot was opened');
        const expected = summaryJson(core);
        assert.deepEqual(summary.pfns, expected.pfns);
        assert.deepEqual(summary.kernel, expected.kernel);
        assert.deepEqual(summary.classes, expected.classes);
        assert.ok(
          (summary.classes['offline-skippable'] ?? 0) > 0,
          'virtio-mem fake-offline (offline-skippable) pages are counted',
        );
        assert.equal(summary.sections.length, expected.sections.length);
        assert.deepEqual(
          summary.blocks.map((b) => [b.id, b.state, b.offline?.mainline.ok]),
          expected.blocks.map((b) => [b.id, b.state, b.offline?.mainline.ok]),
        );
      });

      it('answers the page inspector for a virtio-mem fake-offline page', async () => {
        const pfn = firstPfnOfClass(core, 'offline-skippable');
        assert.ok(pfn !== undefined, 'the core finds an offline-skippable page');
        const detail = await api.pageDetail(uri.toString(), pfn);
        assert.ok(detail, `no page detail for pfn ${pfn}`);
        assert.equal(detail.pfn, pfn);
        assert.equal(detail.class, 'offline-skippable');
        const expected = core.pageDetail?.(pfn);
        if (expected) {
          assert.equal(detail.rule, expected.rule);
          assert.equal(BigInt(detail.physAddr), BigInt(pfn) * BigInt(core.kernel.pageSize));
        }
        assert.ok(detail.why.length > 0, 'the inspector says why the page is in its class');
      });
    });
  }
});
