// "Kernel Memmap: Ask crash/drgn About a Page…" inside the real VS Code: with the debugger settings
// set to drgn and the lab's vmlinux, open a lab 6.12 ELF vmcore, ask about the first slab page the
// pure core finds, and check that the answer names a slab cache. Skipped (with why) when drgn, the
// -dbg vmlinux (`npm run lab:tools`) or the lab set are absent.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KmemmapApi } from '../../extension/extension';
import type { AskResult } from '../../extension/debugger/askDebugger';
import { openSnapshot } from '../../memmap/open';
import { CLASS_ID } from '../../kernel/pageClasses';
import { findSets, labRoot } from '../lab/sets';
import { waitFor } from './waitFor';

const EXTENSION_ID = 'kmemmap.kernel-memmap-explorer';

function labDrgnSetup(): { elf: string; vmlinux: string; release: string } | { missing: string } {
  if (!existsSync('/usr/bin/drgn')) return { missing: 'drgn is not installed (apt-get install python3-drgn)' };
  const set = findSets({ kernel: '6.12', scenario: 'baseline' })[0] ?? findSets({ kernel: '6.12' })[0];
  if (!set || !existsSync(set.elf))
    return { missing: 'no 6.12 lab set with an ELF vmcore (`npm run lab -- --kernel 6.12`)' };
  const vmlinux = join(labRoot(), 'tools', `vmlinux-${set.manifest.kernel.release}`);
  if (!existsSync(vmlinux))
    return { missing: `no ${vmlinux} (\`npm run lab:tools\` extracts it from the -dbg package)` };
  return { elf: set.elf, vmlinux, release: set.manifest.kernel.release };
}

describe('Ask crash/drgn About a Page', function () {
  this.timeout(600_000);
  const setup = labDrgnSetup();
  const cfg = () => vscode.workspace.getConfiguration('kmemmap.debugger');

  it('is contributed, and with tool "none" runs nothing and says what to set', async () => {
    const ext = vscode.extensions.getExtension<KmemmapApi>(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    assert.ok((await vscode.commands.getCommands(true)).includes('kmemmap.askDebugger'));
    assert.equal(cfg().get('tool'), 'none');
    const r = await vscode.commands.executeCommand<AskResult>('kmemmap.askDebugger', { pfn: 0x1000, show: false });
    assert.match(r.error ?? '', /kmemmap\.debugger\.tool/);
  });

  if ('missing' in setup) {
    it(`drgn names the slab cache of a slab page: skipped, ${setup.missing}`);
    return;
  }

  it('drgn names the slab cache of a slab page of a lab vmcore', async () => {
    const api = await vscode.extensions.getExtension<KmemmapApi>(EXTENSION_ID)!.activate();
    const core = await openSnapshot(setup.elf);
    const i = core.classes.indexOf(CLASS_ID.slab);
    assert.ok(i >= 0, 'the dump has a slab page');
    const pfn = core.startPfn + i;
    await cfg().update('tool', 'drgn', vscode.ConfigurationTarget.Global);
    await cfg().update('vmlinux', setup.vmlinux, vscode.ConfigurationTarget.Global);
    await cfg().update('drgnPath', '/usr/bin/drgn', vscode.ConfigurationTarget.Global);
    try {
      const uri = vscode.Uri.file(setup.elf);
      await vscode.commands.executeCommand('vscode.openWith', uri, 'kmemmap.snapshotAny');
      await waitFor('the parsed session', () => api.sessions().find((s) => s.uri === uri.toString()), 300_000);
      const r = await vscode.commands.executeCommand<AskResult>('kmemmap.askDebugger', { uri: uri.toString(), pfn });
      assert.equal(r.error, undefined, r.error);
      assert.match(r.headline ?? '', /^slab page of cache [\w:.-]+$/, r.text);
      console.log(`      PFN 0x${pfn.toString(16)}: ${r.headline}`);
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'kmemmap-debugger');
      assert.ok(doc, 'the answer is shown in a read-only document');
      assert.match(doc.getText(), /slab_cache\s+\S+/);
      assert.equal(doc.languageId, 'plaintext');
    } finally {
      for (const k of ['tool', 'vmlinux', 'drgnPath'])
        await cfg().update(k, undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
