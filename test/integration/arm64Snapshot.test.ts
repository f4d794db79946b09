// Runs inside the VS Code extension host: the arm64 lab guest's kdump (Debian 6.12 arm64 under
// qemu-system-aarch64) opened in the snapshot editor. The panel's Overview (what its header, labels and
// search draw from) must name the machine, aarch64, and carry the dump's page size and shift, the same as
// the pure core reads; the inspector's physical address follows that page size.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KmemmapApi } from '../../extension/extension';
import { openSnapshot } from '../../memmap/open';
import { CLASS_ID } from '../../kernel/pageClasses';
import type { Snapshot } from '../../memmap/snapshot';
import { findSets, labRoot } from '../lab/sets';

import { waitFor } from './waitFor';

const EXTENSION_ID = 'kmemmap.kernel-memmap-explorer';
const VIEW_TYPE = 'kmemmap.snapshot';
const MAKE = `npm run build && KMEMMAP_LAB_DIR=${labRoot()} node out/lab/lab.js --arch arm64 --kernel 6.12 --sets baseline`;

describe('arm64 dump in a real VS Code', () => {
  const set = findSets({ arch: 'arm64', kernel: '6.12', scenario: 'baseline' })[0];
  if (!set) {
    it(`arm64 lab dump: no arm64-6.12-baseline set under ${labRoot()} (make it with \`${MAKE}\`)`);
    return;
  }
  const uri = vscode.Uri.file(set.kdump);
  let api: KmemmapApi;
  let core: Snapshot;

  before(async () => {
    const ext = vscode.extensions.getExtension<KmemmapApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    core = await openSnapshot(set.kdump);
  });

  it(`opens ${set.name}/vmcore.kdump; the panel's header data says aarch64 and the page size`, async () => {
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
    const session = await waitFor(
      'the parsed arm64 session',
      () => api.sessions().find((s) => s.uri === uri.toString()),
      300_000,
    );
    assert.equal(session.summary.kernel.machine, 'aarch64');
    assert.equal(session.summary.kernel.pageSize, core.kernel.pageSize);
    const o = api.overview(uri.toString());
    assert.ok(o, 'the panel has an Overview');
    assert.equal(o.kernel.machine, 'aarch64');
    assert.equal(o.kernel.release, set.manifest.kernel.release);
    assert.equal(o.kernel.pageSize, core.kernel.pageSize);
    assert.equal(2 ** o.kernel.pageShift, core.kernel.pageSize);
    assert.equal(o.pfnsPerSection, core.pfnsPerSection);
    assert.equal(o.pfnsPerBlock, core.pfnsPerBlock);
  });

  it('the inspector gives a page its physical address by the dump page size', async () => {
    const i = core.classes.indexOf(CLASS_ID.reserved);
    assert.ok(i >= 0, 'the arm64 guest has reserved pages');
    const pfn = core.startPfn + i;
    const d = await api.pageDetail(uri.toString(), pfn);
    assert.ok(d, `page detail of ${pfn}`);
    assert.equal(d.class, 'reserved');
    assert.equal(BigInt(d.physAddr), BigInt(pfn) << BigInt(api.overview(uri.toString())!.kernel.pageShift));
  });
});
