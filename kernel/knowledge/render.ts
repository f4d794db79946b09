// One explanation, two renderings: markdown for hovers, plain text for `kmemmap explain`.

import type { KernelTarget } from '../decode';
import { kernelLabel } from '../decode';
import { bitFacts } from './bitFacts';
import { elixirUrl } from './elixir';
import type { KnowledgeEntry, SourceRef } from './types';

export interface ResolvedLink {
  label: string;
  /** https URL or a command: URI (only the latter needs a trusted MarkdownString). */
  url: string;
}

/** Turns a source reference into a link; the extension supplies one that prefers the open tree. */
export type LinkResolver = (ref: SourceRef, k: KernelTarget | undefined) => ResolvedLink;

export const elixirLinks: LinkResolver = (ref, k) => ({
  label: `${ref.file} · ${ref.symbol}`,
  url: elixirUrl(ref, k?.release ?? k?.family.last ?? '6.18'),
});

/** Escapes text for a Markdown hover (untrusted text must pass through this). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => '\\' + c);
}

/** Inline code span that is safe for any content (backticks inside are handled by a longer fence). */
export function codeSpan(s: string): string {
  const clean = s.replace(/[\r\n]/g, ' ');
  const runs = clean.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  return `${fence} ${clean} ${fence}`;
}

interface Section {
  label: string;
  lines: string[];
}

function sectionsFor(e: KnowledgeEntry, k: KernelTarget | undefined): Section[] {
  const out: Section[] = [];
  const facts = bitFacts(e, k?.family, k?.arch);
  if (facts.length)
    out.push({ label: 'Bit / value', lines: facts.map((f) => `${f.current ? '▶ ' : ''}${f.where}: ${f.what}`) });
  out.push({ label: 'Versions', lines: [e.versions] });
  if (e.aliases?.length) out.push({ label: 'Also known as', lines: [e.aliases.join(', ')] });
  if (e.details?.length) out.push({ label: 'Details', lines: e.details });
  const a = e.appearance;
  if (a) {
    const l: string[] = [];
    if (a.kpageflags) l.push(`kpageflags: ${a.kpageflags}`);
    if (a.crash) l.push(`crash: ${a.crash}`);
    if (a.drgn) l.push(`drgn: ${a.drgn}`);
    if (a.dumpPage) l.push(`dump_page / tools: ${a.dumpPage}`);
    if (l.length) out.push({ label: 'How it appears', lines: l });
  }
  if (e.offlining) out.push({ label: 'Memory offlining', lines: [e.offlining] });
  if (e.related?.length) out.push({ label: 'See also', lines: [e.related.join(', ')] });
  return out;
}

/** Plain-text explanation (CLI). */
export function renderText(
  entries: readonly KnowledgeEntry[],
  k: KernelTarget | undefined,
  links: LinkResolver = elixirLinks,
): string {
  const parts: string[] = [];
  for (const e of entries) {
    const lines = [`${e.name}  [${e.kind}]  — ${k ? `kernel ${kernelLabel(k)}` : 'all versions'}`, `  ${e.meaning}`];
    for (const s of sectionsFor(e, k)) {
      lines.push(`  ${s.label}:`);
      for (const l of s.lines) lines.push(`    ${l}`);
    }
    if (e.source.length) {
      lines.push('  Read:');
      for (const r of e.source)
        lines.push(`    ${r.file}: ${r.symbol}${r.why ? ` (${r.why})` : ''}  ${links(r, k).url}`);
    }
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n') + '\n';
}

/** Markdown explanation (hover). Every string is escaped; links come from `links`. */
export function renderMarkdown(
  entries: readonly KnowledgeEntry[],
  k: KernelTarget | undefined,
  links: LinkResolver = elixirLinks,
  opts: { compact?: boolean } = {},
): string {
  const parts: string[] = [];
  for (const e of entries) {
    const md: string[] = [];
    md.push(
      `**${escapeMarkdown(e.name)}** · ${escapeMarkdown(e.kind)} · ${escapeMarkdown(k ? `kernel ${kernelLabel(k)}${k.origin ? ` (from ${k.origin})` : ''}` : 'no kernel selected: all versions')}`,
    );
    md.push('', escapeMarkdown(e.meaning));
    for (const s of sectionsFor(e, k)) {
      if (opts.compact && (s.label === 'Also known as' || s.label === 'See also')) continue;
      md.push('', `*${escapeMarkdown(s.label)}*`);
      for (const l of s.lines) md.push(`- ${escapeMarkdown(l)}`);
    }
    if (e.source.length) {
      const ls = e.source.map((r, i) => {
        const l = links(r, k);
        return `[${escapeMarkdown(i === 0 ? `Definition: ${l.label}` : l.label)}](${l.url})`;
      });
      md.push('', ls.join(' · '));
    }
    parts.push(md.join('\n'));
  }
  return parts.join('\n\n---\n\n');
}
