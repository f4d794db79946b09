// HoverProvider for C, patches/mail and kernel logs; content comes from the pure computeHover().

import * as vscode from 'vscode';
import { computeHover, type DocumentKind } from './hoverContent';
import { looksLikePatch, patchChangesFor, type PatchMention } from './patchContext';
import { kernelForDocument, kernelOutsideTables } from './documentKernel';
import type { LinkResolver } from '../../kernel/knowledge/render';
import { elixirLinks, escapeMarkdown } from '../../kernel/knowledge/render';
import type { KernelTreeService } from '../source/treeService';

export const OPEN_SOURCE_COMMAND = 'kmemmap.openKernelSource';

const kindCache = new WeakMap<vscode.TextDocument, { version: number; kind: DocumentKind }>();

export function documentKind(doc: vscode.TextDocument): DocumentKind {
  if (doc.languageId === 'c' || doc.languageId === 'cpp') return 'c';
  if (doc.languageId === 'diff') return 'patch';
  const c = kindCache.get(doc);
  if (c?.version === doc.version) return c.kind;
  const head = doc.getText(new vscode.Range(0, 0, Math.min(doc.lineCount, 5000), 0));
  const kind: DocumentKind = looksLikePatch(head) ? 'patch' : 'log';
  kindCache.set(doc, { version: doc.version, kind });
  return kind;
}

/** patchChangesFor() memoised per document version and symbol: large mbox files are scanned once per symbol. */
const mentionCache = new WeakMap<vscode.TextDocument, { version: number; bySymbol: Map<string, PatchMention[]> }>();
function patchMentions(doc: vscode.TextDocument): (symbol: string) => PatchMention[] {
  return (symbol) => {
    let c = mentionCache.get(doc);
    if (!c || c.version !== doc.version) mentionCache.set(doc, (c = { version: doc.version, bySymbol: new Map() }));
    let m = c.bySymbol.get(symbol);
    if (!m) c.bySymbol.set(symbol, (m = patchChangesFor(symbol, doc.getText())));
    return m;
  };
}

/** Links open the workspace tree through our command when a tree exists, else Elixir (plain https). */
export function linkResolver(trees: KernelTreeService): LinkResolver {
  return (ref, k) => {
    if (!trees.hasTrees()) return elixirLinks(ref, k);
    const args = encodeURIComponent(JSON.stringify([ref.symbol, k?.release ?? null]));
    return { label: `${ref.file} · ${ref.symbol}`, url: `command:${OPEN_SOURCE_COMMAND}?${args}` };
  };
}

export class KnowledgeHoverProvider implements vscode.HoverProvider {
  constructor(private readonly trees: KernelTreeService) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const kind = documentKind(doc);
    const res = computeHover({
      lineText: doc.lineAt(pos.line).text,
      character: pos.character,
      kind,
      kernel: kernelForDocument(doc, () => this.trees.primaryVersion()),
      links: linkResolver(this.trees),
      patchMentions: kind === 'patch' ? patchMentions(doc) : undefined,
    });
    if (!res) return undefined;
    const outside = kernelOutsideTables(doc);
    const md = new vscode.MarkdownString((outside ? `${escapeMarkdown(outside)}\n\n` : '') + res.markdown);
    // Everything from the document is escaped by computeHover; only our own command may run.
    md.isTrusted = { enabledCommands: [OPEN_SOURCE_COMMAND] };
    md.supportHtml = false;
    return new vscode.Hover(md, new vscode.Range(pos.line, res.start, pos.line, res.end));
  }
}
