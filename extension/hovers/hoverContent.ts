// Pure hover computation shared by the VS Code provider, tests and the benchmark (no vscode import).

import type { KernelTarget } from '../../kernel/decode';
import { lookupSymbol } from '../../kernel/knowledge/index';
import {
  codeSpan,
  elixirLinks,
  escapeMarkdown,
  renderMarkdown,
  type LinkResolver,
} from '../../kernel/knowledge/render';
import { logTokenHover } from './logTokens';
import { lineChange, patchChangesFor, summarizeMentions, type PatchMention } from './patchContext';

export type DocumentKind = 'c' | 'patch' | 'log';

export interface HoverRequest {
  lineText: string;
  character: number;
  kind: DocumentKind;
  kernel?: KernelTarget;
  links?: LinkResolver;
  /** Whole document text, only read for patches (what the patch changes about the symbol). */
  documentText?: () => string;
  /** Optional memoised patchChangesFor(symbol, documentText()) (the provider caches per document version). */
  patchMentions?: (symbol: string) => PatchMention[];
}

export interface HoverResult {
  start: number;
  end: number;
  markdown: string;
  /** Symbol "go to definition" should open. */
  symbol?: string;
}

/** The C identifier touching `character`, if any. */
export function identifierAt(
  line: string,
  character: number,
): { word: string; start: number; end: number } | undefined {
  const re = /[A-Za-z_][A-Za-z0-9_]*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    if (m.index > character) break;
    if (character <= m.index + m[0].length) return { word: m[0], start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

function patchSection(symbol: string, req: HoverRequest): string {
  const lines: string[] = [];
  const c = lineChange(req.lineText);
  if (c === '+')
    lines.push(`This patch **adds** a line using ${codeSpan(symbol)}: ${codeSpan(req.lineText.slice(1).trim())}`);
  else if (c === '-')
    lines.push(`This patch **removes** a line using ${codeSpan(symbol)}: ${codeSpan(req.lineText.slice(1).trim())}`);
  const text = req.patchMentions ? undefined : req.documentText?.();
  const ms = req.patchMentions ? req.patchMentions(symbol) : text ? patchChangesFor(symbol, text) : [];
  {
    if (ms.length) {
      lines.push('', '*Changes in this patch*');
      for (const s of summarizeMentions(ms)) lines.push(`- ${escapeMarkdown(s)}`);
      const firstAdded = ms.find((m) => m.firstAdded)?.firstAdded;
      const firstRemoved = ms.find((m) => m.firstRemoved)?.firstRemoved;
      if (firstAdded) lines.push(`- first added: ${codeSpan(firstAdded)}`);
      if (firstRemoved) lines.push(`- first removed: ${codeSpan(firstRemoved)}`);
    }
  }
  return lines.join('\n');
}

export function computeHover(req: HoverRequest): HoverResult | undefined {
  const links = req.links ?? elixirLinks;
  if (req.kind === 'log') {
    const t = logTokenHover(req.lineText, req.character, req.kernel, links);
    if (t) return t;
  }
  const id = identifierAt(req.lineText, req.character);
  if (!id) return undefined;
  // "struct page" / "enum pageflags": the keyword before the word selects the type, not a variable "page".
  const kw = /\b(struct|enum)\s+$/.exec(req.lineText.slice(0, id.start))?.[1];
  const typed = kw ? lookupSymbol(`${kw} ${id.word}`) : [];
  const entries = typed.length ? typed : lookupSymbol(id.word);
  if (!entries.length) return undefined;
  let md = '';
  if (id.word !== entries[0].name)
    md += `${codeSpan(id.word)} → ${escapeMarkdown(entries.map((e) => e.name).join(', '))}\n\n`;
  if (req.kind === 'patch') {
    const p = patchSection(id.word, req);
    if (p) md += p + '\n\n---\n\n';
  }
  md += renderMarkdown(entries, req.kernel, links, { compact: req.kind !== 'c' });
  return { start: id.start, end: id.end, markdown: md, symbol: typed.length ? `${kw} ${id.word}` : id.word };
}
