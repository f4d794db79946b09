// Runs inside the VS Code extension host: hovers on the real texts a kernel developer reads — a C
// header of the Debian 6.12 tree, our git format-patch of the PG_offline_skippable change, and a
// crash 8.0.2 session log from the lab — must explain the symbol for the right kernel version.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { repoRootFromBundle } from './snapshotFiles';
import { waitFor } from './waitFor';

/** The hovers' markdown with its backslash escapes removed (PG\_head → PG_head). */
function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n')
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1');
}

/** Opens the file and hovers the first occurrence of `needle` on a line matching `line`, `offset` characters in. */
async function hoverAt(file: string, line: RegExp, needle: string, offset = 1): Promise<string> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  await vscode.window.showTextDocument(doc, { preview: true });
  const lines = doc.getText().split('\n');
  const n = lines.findIndex((l) => line.test(l) && l.includes(needle));
  assert.ok(n >= 0, `${file} has a line matching ${line} with ${needle}`);
  const pos = new vscode.Position(n, lines[n].indexOf(needle) + offset);
  let last = 'nothing';
  const hovers = await waitFor(
    `a hover on ${needle} in ${file.split('/').pop()}`,
    async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
      last = `${(h ?? []).length} hovers (language ${doc.languageId}, line ${n + 1} char ${pos.character})`;
      return (h ?? []).length ? h : undefined;
    },
    30_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last answer: ${last}`);
  });
  return hoverText(hovers);
}

describe('hovers on real kernel texts in a real VS Code', () => {
  const fixtures = join(repoRootFromBundle(), 'test', 'fixtures');
  const tree612 = join(process.env.KMEMMAP_SRC_CACHE ?? '', 'linux-source-6.12');

  it('a header of the Debian 6.12 tree: PG_head is bit 6 there', async function () {
    const header = join(tree612, 'include', 'linux', 'page-flags.h');
    if (!existsSync(header)) {
      // scripts/kernel-sources.sh unpacks it, and npm test runs that first: in CI it must be there.
      assert.ok(!process.env.CI, `${header} is missing: run scripts/kernel-sources.sh`);
      this.skip();
    }
    const text = await hoverAt(header, /^\s*PG_head,/, 'PG_head');
    assert.match(text, /PG_head/, text.slice(0, 400));
    assert.match(text, /6\.12/, `names the kernel version: ${text.slice(0, 400)}`);
    assert.match(text, /bit 6\b/, `gives the 6.12 bit: ${text.slice(0, 400)}`);
    assert.doesNotMatch(text.split('\n').slice(0, 3).join(' '), /bit 16\b/, 'does not lead with the 6.1 bit');
  });

  it('the PG_offline_skippable patch: says the patch adds the alias of PG_owner_2', async () => {
    const patch = join(fixtures, 'patches', 'v2-1-1-mm-memory_hotplug-PG_offline_skippable.patch');
    assert.match(readFileSync(patch, 'utf8'), /Message-ID: <20250520164216\.866543-2-david@redhat\.com>/i);
    const text = await hoverAt(patch, /^\+\s*PG_offline_skippable = PG_owner_2/, 'PG_offline_skippable');
    assert.match(text, /PG_owner_2|owner_2/, text.slice(0, 400));
    assert.match(text, /add/i, `says what the patch does with it: ${text.slice(0, 400)}`);
    assert.match(text, /unmerged|not merged/i, text.slice(0, 600));
  });

  it('a crash 8.0.2 kmem -p log of a 6.1 dump: decodes the flags word with the 6.1 layout', async () => {
    const log = join(fixtures, 'tools', 'crash-8.0.2-6.1-balloon-session.txt');
    const text = await hoverAt(log, /^fffffb68c0041040\s/, 'fffffc0000200', 3);
    // Bit 9 is PG_slab on 6.1 (it is PG_workingset on 6.12): the hover must use the log's kernel.
    assert.match(text, /slab/, text.slice(0, 400));
    assert.doesNotMatch(text, /workingset/, text.slice(0, 400));
    assert.match(text, /6\.1\b/, `names the kernel from the log's sys output: ${text.slice(0, 400)}`);
  });
});
