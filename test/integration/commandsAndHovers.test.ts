// Runs inside the VS Code extension host: the bundled-sample command and the kernel-knowledge hover,
// through the same entry points a user's click or mouse reaches.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KmemmapApi } from '../../extension/extension';
import { waitFor } from './waitFor';

const EXTENSION_ID = 'kmemmap.kernel-memmap-explorer';

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

describe('Kernel Memmap Explorer commands and hovers in a real VS Code', () => {
  let api: KmemmapApi;

  before(async () => {
    api = await vscode.extensions.getExtension<KmemmapApi>(EXTENSION_ID)!.activate();
  });

  it('"Open Bundled Sample" opens the sample that ships with the extension and parses it', async () => {
    const before = api.sessions().length;
    await vscode.commands.executeCommand('kmemmap.openSample');
    const s = await waitFor(
      'a session for the bundled sample',
      () => api.sessions().find((x) => x.uri.endsWith('/samples/sample-6.12-virtio-mem.tar.gz')),
      120_000,
    );
    assert.ok(api.sessions().length >= Math.max(1, before));
    assert.match(String(s.summary.kernel.release ?? ''), /^6\.12\./, 'the sample is a 6.12 guest');
    assert.ok((s.summary.classes['offline-skippable'] ?? 0) > 0, 'the sample shows virtio-mem fake-offline pages');
  });

  it('hovering PageOffline in C source explains it', async () => {
    const doc = await vscode.workspace.openTextDocument({
      language: 'c',
      content: 'static bool f(struct page *page)\n{\n\treturn PageOffline(page);\n}\n',
    });
    await vscode.window.showTextDocument(doc);
    const pos = new vscode.Position(2, '\treturn Page'.length);
    const hovers = await waitFor(
      'a hover for PageOffline',
      async () => {
        const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
        return hoverText(h ?? []).includes('PageOffline') ? h : undefined;
      },
      30_000,
    );
    assert.match(hoverText(hovers), /offline/i);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
