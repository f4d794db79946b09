// Runs inside the VS Code extension host: "Review Patch…" on the real PG_offline_skippable fixture,
// with the real Debian 6.12 tree as kmemmap.kernelSourceTree and the lab's 6.12 virtio-mem vmcore
// open. The Patch Review view lists the symbols per hunk, the layout delta (the alias) and the
// verdict delta; "Write Patch Review Report…" writes the Markdown; a garbage patch gets its error.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { KmemmapApi } from '../../extension/extension';
import type { ReviewNode } from '../../extension/patchReview';
import { labVmcore, repoRootFromBundle } from './snapshotFiles';
import { waitFor } from './waitFor';

const EXTENSION_ID = 'kmemmap.kernel-memmap-explorer';
const FIXTURE = join(repoRootFromBundle(), 'test/fixtures/patches/v2-1-1-mm-memory_hotplug-PG_offline_skippable.patch');

const flat = (ns: ReviewNode[]): ReviewNode[] => ns.flatMap((n) => [n, ...flat(n.children ?? [])]);

describe('Patch Review view in a real VS Code', () => {
  let api: KmemmapApi;
  const tree = join(process.env.KMEMMAP_SRC_CACHE ?? '', 'linux-source-6.12');
  const vm = labVmcore();

  before(async () => {
    api = await vscode.extensions.getExtension<KmemmapApi>(EXTENSION_ID)!.activate();
  });

  it('needs the real 6.12 tree and the lab vmcore', () => {
    assert.ok(
      existsSync(join(tree, 'include/linux/page-flags.h')),
      `the Debian linux-source-6.12 tree under KMEMMAP_SRC_CACHE (scripts/kernel-sources.sh): ${tree}`,
    );
    assert.ok(!('missing' in vm), 'missing' in vm ? vm.missing : '');
  });

  it('"Review Patch…" on the fixture lists symbols per hunk, the layout delta and the verdict delta of the open vmcore', async () => {
    if ('missing' in vm) throw new Error(vm.missing);
    await vscode.workspace
      .getConfiguration('kmemmap')
      .update('kernelSourceTree', tree, vscode.ConfigurationTarget.Global);
    await api.openSnapshot(vscode.Uri.file(vm.path));
    await waitFor(
      'the lab vmcore session',
      () => api.sessions().find((s) => s.uri.endsWith(vm.path.split('/').pop()!)),
      120_000,
    );
    await vscode.commands.executeCommand('kmemmap.reviewPatch', vscode.Uri.file(FIXTURE));
    const nodes = await waitFor(
      'the Patch Review view',
      () => (api.patchReview.nodes().length ? api.patchReview.nodes() : undefined),
      120_000,
    );
    const all = flat(nodes);
    assert.match(nodes[0].label, /^\[PATCH v2 1\/1\] mm\/memory_hotplug: PG_offline_skippable/);
    const hunk = nodes[0].children!.find((h) => h.label === 'mm/page_isolation.c hunk 1')!;
    assert.ok(hunk, nodes[0].children!.map((h) => h.label).join(', '));
    const sym = hunk.children!.find((s) => s.label === 'PageOfflineSkippable')!;
    assert.equal(sym.description, '+1 −0 · PG_offline_skippable');
    assert.equal(sym.at!.uri.fsPath, FIXTURE);
    assert.ok(hunk.children!.some((s) => s.label === 'has_unmovable_pages'));
    const layout = nodes.find((n) => n.label === 'Layout delta')!;
    assert.ok(
      layout.children!.some((c) => c.label === 'bit 11: alias PG_offline_skippable added'),
      layout.children!.map((c) => c.label).join(' | '),
    );
    assert.ok(layout.children!.some((c) => /^tree linux-source-6\.12 \(6\.12\.\d+\)$/.test(c.label)));
    const verdict = nodes.find((n) => n.label === 'Verdict delta')!;
    assert.equal(verdict.description, 'mainline → skippable');
    assert.ok(
      all.some(
        (n) =>
          n.label === 'memory34 (snapshot bits)' &&
          /offlines → fails: failure to isolate range \(EBUSY\) at pfn 0x117e00/.test(n.description ?? ''),
      ),
      JSON.stringify(verdict.children),
    );
  });

  it('a symbol links to its explanation and to the source in the workspace tree', async () => {
    const hunk = api.patchReview.nodes()[0].children!.find((h) => h.label === 'mm/page_isolation.c hunk 1')!;
    const fn = hunk.children!.find((s) => s.label === 'has_unmovable_pages')!;
    await vscode.commands.executeCommand('kmemmap.patchReview.explain', fn);
    await waitFor(
      'the explanation document',
      () =>
        vscode.workspace.textDocuments.find(
          (d) =>
            d.languageId === 'markdown' && d.getText().includes('has_unmovable_pages') && /unmovable/.test(d.getText()),
        ),
      30_000,
    );
    await vscode.commands.executeCommand('kmemmap.patchReview.openSource', fn);
    const ed = await waitFor(
      'mm/page_isolation.c of the tree open at has_unmovable_pages',
      () => {
        const e = vscode.window.activeTextEditor;
        return e &&
          e.document.uri.fsPath === join(tree, 'mm/page_isolation.c') &&
          e.document.lineAt(e.selection.active.line).text.includes('has_unmovable_pages')
          ? e
          : undefined;
      },
      120_000,
    );
    assert.ok(ed.selection.active.line > 0);
  });

  it('"Write Patch Review Report…" writes the Markdown summary', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kmemmap-review-')), 'review.md');
    await vscode.commands.executeCommand('kmemmap.writeReviewReport', vscode.Uri.file(out));
    const md = readFileSync(out, 'utf8');
    assert.match(md, /^### Page-state review: /);
    assert.match(
      md,
      /- bit 11: ` PG_owner_2 = PG_anon_exclusive = PG_mappedtodisk ` → ` PG_owner_2 = PG_anon_exclusive = PG_mappedtodisk = PG_offline_skippable `/,
    );
    assert.match(md, /memory34 \(pfn 0x110000\): offlines → fails: failure to isolate range \(EBUSY\) at pfn 0x117e00/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a garbage "patch" shows what is wrong instead of an empty review', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'kmemmap-review-')), 'notes.patch');
    writeFileSync(bad, 'just some notes\nno diff here\n');
    await vscode.commands.executeCommand('kmemmap.reviewPatch', vscode.Uri.file(bad));
    const msg = await waitFor(
      'the error in the view',
      () => api.patchReview.nodes().find((n) => /no unified diff found/.test(n.label)),
      30_000,
    );
    assert.equal(msg.kind, 'message');
    await vscode.workspace
      .getConfiguration('kmemmap')
      .update('kernelSourceTree', undefined, vscode.ConfigurationTarget.Global);
  });
});
