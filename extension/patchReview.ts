// The Patch Review view (Explorer): open a patch, an mbox series or a git format-patch folder and
// see, per patch and hunk, every page-state symbol it touches (tooltip: the hover's explanation;
// actions: explain, open the kernel source), the layout delta against the workspace's Linux tree,
// the verdict delta on the open snapshots; and write the Markdown review report. The work is done
// by the pure review/ core (the same as `kmemmap review`).

import * as vscode from 'vscode';
import { basename } from 'node:path';
import { renderMarkdown } from '../kernel/knowledge/render';
import { openSnapshot } from '../memmap/open';
import { readPatchSeries } from '../review/readSeries';
import { reviewSeries, type ReviewResult } from '../review/review';
import { reviewMarkdown, verdictText } from '../review/reportMarkdown';
import type { TouchedSymbol } from '../review/patchSymbols';
import { linkResolver, OPEN_SOURCE_COMMAND } from './hovers/hoverProvider';
import type { KernelTreeService } from './source/treeService';
import type { SnapshotStore } from './snapshotStore';
import { log } from './log';

export const PATCH_REVIEW_VIEW = 'kmemmap.patchReview';

export interface ReviewNode {
  label: string;
  description?: string;
  kind: 'patch' | 'hunk' | 'symbol' | 'section' | 'detail' | 'message';
  children?: ReviewNode[];
  symbol?: TouchedSymbol;
  /** Where clicking opens the patch. */
  at?: { uri: vscode.Uri; line: number };
}

const hex = (n: number) => '0x' + n.toString(16);
/** Labels from patch text: one line, bounded (TreeItems render text, never Markdown or HTML). */
// eslint-disable-next-line no-control-regex -- control and bidi characters are what a tree label must not carry
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const oneLine = (s: string, max = 120) => {
  const t = s.replace(UNPRINTABLE, ' ');
  return t.length > max ? t.slice(0, max) + '…' : t;
};

/** One node per patch, its hunks with page-state symbols beneath. */
function patchNodes(r: ReviewResult, fileUri: (source: string) => vscode.Uri): ReviewNode[] {
  return r.series.patches.map((p, pi) => {
    const hunks = r.symbols
      .filter((h) => h.patch === pi)
      .map<ReviewNode>((h) => ({
        kind: 'hunk',
        label: `${oneLine(h.file, 80)} hunk ${h.hunk.index}`,
        description: oneLine(`@@ -${h.hunk.oldStart} ${h.hunk.section}`, 80),
        at: { uri: fileUri(p.source), line: h.hunk.at },
        children: h.symbols.map((s) => ({
          kind: 'symbol',
          label: s.name,
          symbol: s,
          at: { uri: fileUri(p.source), line: s.at },
          description: `${s.added || s.removed ? `+${s.added} −${s.removed}` : 'context'}${s.entries[0] && s.entries[0].name !== s.name ? ` · ${s.entries.map((e) => e.name).join(', ')}` : s.entries.length ? '' : ' · not in the knowledge base'}`,
        })),
      }));
    return {
      kind: 'patch',
      label: oneLine(p.subject || p.source),
      description: `${p.files.length} files`,
      children: hunks.length ? hunks : [{ kind: 'message', label: 'no page-state symbol in this patch' }],
    };
  });
}

/** The layout delta section, headed by the tree the series was applied to. */
function layoutNode(r: ReviewResult): ReviewNode {
  const L = r.layout;
  const layout: ReviewNode = { kind: 'section', label: 'Layout delta', children: [] };
  if (!L.triggers.length) layout.description = 'no layout change';
  else {
    if (L.unavailable) layout.children!.push({ kind: 'message', label: oneLine(L.unavailable, 400) });
    for (const b of L.pageflags?.bits ?? [])
      layout.children!.push({
        kind: 'detail',
        label: `bit ${b.bit}: ${oneLine(b.what)}`,
        description: `${b.before.join('=') || '—'} → ${b.after.join('=') || '—'}`,
      });
    for (const m of L.pageflags?.moved ?? [])
      layout.children!.push({ kind: 'detail', label: `${m.name}: bit ${m.from} → ${m.to}` });
    for (const t of L.pagetype ?? [])
      layout.children!.push({
        kind: 'detail',
        label: `${t.name}: ${t.before === undefined ? 'new' : hex(t.before)} → ${t.after === undefined ? 'removed' : hex(t.after)}`,
      });
    layout.description = L.pageflags ? `${L.pageflags.bits.length} bits change` : 'not derived';
  }
  if (r.tree)
    layout.children!.unshift({
      kind: 'message',
      label: `tree ${basename(r.tree.path)}${r.tree.version ? ` (${r.tree.version})` : ''}`,
      description: oneLine(r.tree.why, 200),
    });
  else if (r.treeNote) layout.children!.unshift({ kind: 'message', label: oneLine(r.treeNote, 300) });
  return layout;
}

/** The verdict delta section: one node per snapshot, its changed blocks beneath. */
function verdictNode(r: ReviewResult): ReviewNode {
  const verdict: ReviewNode = {
    kind: 'section',
    label: 'Verdict delta',
    description: r.rules.rules ? `mainline → ${r.rules.rules.id}` : 'no rule set',
    children: [{ kind: 'message', label: oneLine(r.rules.note, 300) }],
  };
  for (const s of r.snapshots) {
    const blocks = [
      ...(s.blocks ?? []).map((b) => ({ b, how: '' })),
      ...(s.bitsBlocks ?? []).map((b) => ({ b, how: ' (snapshot bits)' })),
    ];
    verdict.children!.push({
      kind: 'detail',
      label: s.file,
      description: s.error
        ? `not read: ${oneLine(s.error, 200)}`
        : `${s.blocks?.length ?? 0} blocks change; ${s.bitsBlocks ? `${s.bitsBlocks.length} with its own bits` : 'own bits not judged'}`,
      children: blocks.map(({ b, how }) => ({
        kind: 'detail',
        label: `memory${b.block}${how}`,
        description: oneLine(`${verdictText(b.before)} → ${verdictText(b.after)}`.replace(/\\/g, ''), 200),
      })),
    });
  }
  if (!r.snapshots.length && r.rules.rules)
    verdict.children!.push({
      kind: 'message',
      label: 'no snapshot open: open one (Kernel Memmap: Open Snapshot…) and review again',
    });
  return verdict;
}

/** The review as tree nodes (pure apart from Uri building; tested through the extension API). */
export function reviewNodes(r: ReviewResult, patchUri: vscode.Uri, isFolder: boolean): ReviewNode[] {
  const fileUri = (source: string) =>
    isFolder ? vscode.Uri.joinPath(patchUri, source.replace(/ \(mail \d+\)$/, '')) : patchUri;
  return [...patchNodes(r, fileUri), layoutNode(r), verdictNode(r)];
}

class PatchReviewProvider implements vscode.TreeDataProvider<ReviewNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  nodes: ReviewNode[] = [];
  result?: ReviewResult;
  patchUri?: vscode.Uri;

  constructor(private readonly trees: KernelTreeService) {}

  set(nodes: ReviewNode[], result: ReviewResult | undefined, uri: vscode.Uri | undefined): void {
    this.nodes = nodes;
    this.result = result;
    this.patchUri = uri;
    this.changed.fire();
  }

  getChildren(n?: ReviewNode): ReviewNode[] {
    return n ? (n.children ?? []) : this.nodes;
  }

  getTreeItem(n: ReviewNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      n.label,
      n.children?.length
        ? n.kind === 'patch' || n.kind === 'section'
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    item.description = n.description;
    item.contextValue = n.kind;
    if (n.kind === 'symbol' && n.symbol) {
      item.iconPath = new vscode.ThemeIcon(n.symbol.entries.length ? 'symbol-constant' : 'question');
      if (n.symbol.entries.length) {
        // The hover's explanation: escaped by renderMarkdown; only our open-source command may run.
        const md = new vscode.MarkdownString(
          renderMarkdown(n.symbol.entries, undefined, linkResolver(this.trees), { compact: true }),
        );
        md.isTrusted = { enabledCommands: [OPEN_SOURCE_COMMAND] };
        md.supportHtml = false;
        item.tooltip = md;
      }
    } else if (n.kind === 'message') item.iconPath = new vscode.ThemeIcon('info');
    if (n.at)
      item.command = {
        command: 'vscode.open',
        title: 'Open in the patch',
        arguments: [n.at.uri, { selection: new vscode.Range(n.at.line - 1, 0, n.at.line - 1, 0), preview: true }],
      };
    return item;
  }
}

export interface PatchReviewApi {
  /** The view's nodes (what a user sees), for tests. */
  nodes(): ReviewNode[];
  /** Reviews a patch file or folder; snapshots default to the open ones. */
  review(uri: vscode.Uri, snapshots?: string[]): Promise<ReviewResult | undefined>;
  /** Writes the report of the last review to target. */
  writeReport(target: vscode.Uri): Promise<void>;
}

/** Reviews uri against the discovered trees, the snapshots given (default: the open ones) and the open logs, with progress. */
async function runReview(
  uri: vscode.Uri,
  snapshots: string[] | undefined,
  trees: KernelTreeService,
  store: SnapshotStore,
): Promise<ReviewResult> {
  const snaps =
    snapshots ??
    store
      .sessions()
      .map((s) => vscode.Uri.parse(s.uri))
      .filter((u) => u.scheme === 'file')
      .map((u) => u.fsPath);
  const logs = vscode.workspace.textDocuments
    .filter((d) => d.languageId === 'kmemmap-kernel-log' || d.languageId === 'log')
    .map((d) => ({ name: basename(d.uri.path), text: d.getText() }));
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Reviewing ${basename(uri.path)}` },
    async (p) => {
      const series = await readPatchSeries(uri.fsPath);
      return reviewSeries(series, {
        trees: trees.discover(),
        snapshots: snaps,
        logs,
        openSnapshot: (path, ruleSets) => openSnapshot(path, { ruleSets }),
        onProgress: (what) => p.report({ message: what }),
      });
    },
  );
}

/** Writes the report of the provider's last review to target (asked for when undefined), never over the patch. */
async function writeReviewReport(provider: PatchReviewProvider, target?: vscode.Uri): Promise<void> {
  const r = provider.result;
  if (!r || !provider.patchUri) {
    void vscode.window.showWarningMessage('Review a patch first (Kernel Memmap: Review Patch…).');
    return;
  }
  target ??= await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(`${provider.patchUri.fsPath.replace(/\/$/, '')}.review.md`),
    filters: { Markdown: ['md'] },
    title: 'Write the patch review report',
  });
  if (!target) return;
  if (target.toString() === provider.patchUri.toString()) {
    void vscode.window.showErrorMessage('The report is never written over the patch.');
    return;
  }
  await vscode.workspace.fs.writeFile(target, Buffer.from(reviewMarkdown(r), 'utf8'));
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target), { preview: true });
}

/** The patch to review: the argument, else the active .patch/.diff/.mbox/.eml editor, else one picked. */
async function patchToReview(uri?: unknown): Promise<vscode.Uri | undefined> {
  let u = uri instanceof vscode.Uri ? uri : undefined;
  if (
    !u &&
    vscode.window.activeTextEditor?.document.uri.scheme === 'file' &&
    /\.(?:patch|diff|mbox|eml)$/i.test(vscode.window.activeTextEditor.document.uri.path)
  )
    u = vscode.window.activeTextEditor.document.uri;
  if (!u)
    u = (
      await vscode.window.showOpenDialog({
        title: 'Review a patch, an mbox series or a git format-patch folder',
        canSelectFiles: true,
        canSelectFolders: true,
        canSelectMany: false,
        openLabel: 'Review',
      })
    )?.[0];
  return u;
}

/** The knowledge-base explanation of a symbol node, as a Markdown preview. */
async function explainSymbol(n?: ReviewNode): Promise<void> {
  if (!n?.symbol?.entries.length) return;
  const doc = await vscode.workspace.openTextDocument({
    language: 'markdown',
    content: renderMarkdown(n.symbol.entries, undefined, undefined, { compact: false }),
  });
  await vscode.commands
    .executeCommand('markdown.showPreview', doc.uri)
    .then(undefined, () => vscode.window.showTextDocument(doc, { preview: true }));
}

export function registerPatchReview(
  context: vscode.ExtensionContext,
  trees: KernelTreeService,
  store: SnapshotStore,
): PatchReviewApi {
  const provider = new PatchReviewProvider(trees);
  const view = vscode.window.createTreeView(PATCH_REVIEW_VIEW, { treeDataProvider: provider, showCollapseAll: true });

  const review = async (uri: vscode.Uri, snapshots?: string[]): Promise<ReviewResult | undefined> => {
    const isFolder = (await vscode.workspace.fs.stat(uri)).type === vscode.FileType.Directory;
    try {
      const r = await runReview(uri, snapshots, trees, store);
      provider.set(reviewNodes(r, uri, isFolder), r, uri);
      view.message = `${basename(uri.path)}: ${r.symbols.reduce((n, h) => n + h.symbols.length, 0)} symbols in ${r.symbols.length} hunks`;
      await vscode.commands.executeCommand(`${PATCH_REVIEW_VIEW}.focus`).then(undefined, () => undefined);
      return r;
    } catch (e) {
      const msg = (e as Error).message;
      log().error(`patch review of ${uri.fsPath}: ${(e as Error).stack ?? msg}`);
      provider.set([{ kind: 'message', label: oneLine(msg, 400) }], undefined, uri);
      view.message = `${basename(uri.path)} could not be reviewed`;
      void vscode.window.showErrorMessage(`Patch review: ${oneLine(msg, 400)}`);
      return undefined;
    }
  };

  const writeReport = (target?: vscode.Uri) => writeReviewReport(provider, target);

  context.subscriptions.push(
    view,
    vscode.commands.registerCommand('kmemmap.reviewPatch', async (uri?: unknown) => {
      const u = await patchToReview(uri);
      if (u) await review(u);
    }),
    vscode.commands.registerCommand('kmemmap.writeReviewReport', (target?: unknown) =>
      writeReport(target instanceof vscode.Uri ? target : undefined),
    ),
    vscode.commands.registerCommand('kmemmap.patchReview.explain', explainSymbol),
    vscode.commands.registerCommand('kmemmap.patchReview.openSource', (n?: ReviewNode) => {
      const name = n?.symbol?.entries[0]?.name ?? n?.symbol?.name;
      return name ? vscode.commands.executeCommand(OPEN_SOURCE_COMMAND, name) : undefined;
    }),
  );
  return { nodes: () => provider.nodes, review, writeReport: (t) => writeReport(t) };
}
