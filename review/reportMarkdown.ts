// The review as Markdown that also reads as plain text, to paste into a mailing-list reply. Text
// from the patch, the tree, snapshots and logs is untrusted: identifiers and quoted lines go into
// code spans that no content can close, prose is escaped, control and bidi characters are shown as
// escapes, and every list is bounded (the counts stay exact).

import { codeSpan } from '../kernel/knowledge/render';
import type { OfflineVerdict } from '../memmap/snapshot';
import { symbolTotals } from './patchSymbols';
import type { ReviewResult, WordDelta } from './review';

const MAX_SYMBOLS = 60;
const MAX_BLOCKS = 30;

/** C0/C1 control and bidi/direction characters as `\uXXXX`: nothing in a report can move the cursor or reorder text. */
// eslint-disable-next-line no-control-regex -- control characters are what this escapes
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const escapeInvisible = (s: string): string =>
  s.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Untrusted text for prose: control/bidi characters as escapes, bounded, and every character that
 * could start Markdown or HTML escaped (`\`, backticks, `*`, `[`, `]`, `<`, `>`, `&`, `|`, `~`, and `_`
 * outside a word: CommonMark never makes intraword underscores emphasis, so identifiers stay
 * readable in a plain-text mail). Lines never start with it, so `#`, `-`, `+` need nothing.
 */
export function safeText(s: string, max = 200): string {
  const clean = escapeInvisible(s);
  const cut = clean.length > max ? clean.slice(0, max) + '…' : clean;
  return cut.replace(/[\\`*[\]<>&|~!]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (c) => '\\' + c);
}

/** Untrusted text in a code span (bounded, control characters escaped). */
export function safeCode(s: string, max = 160): string {
  const clean = escapeInvisible(s);
  return codeSpan(clean.length > max ? clean.slice(0, max) + '…' : clean);
}

const hex = (n: number) => '0x' + n.toString(16);

export function verdictText(v: OfflineVerdict): string {
  if (v.ok === true) return 'offlines';
  const at =
    v.blockingPfn !== undefined ? ` at pfn ${hex(v.blockingPfn)}${v.blockingClass ? ` (${v.blockingClass})` : ''}` : '';
  if (v.ok === false) return `fails: ${safeText(v.reason ?? '?')}${v.errno ? ` (${v.errno})` : ''}${at}`;
  return `cannot tell${at}`;
}

function wordLines(ws: WordDelta[], label: (w: WordDelta) => string): string[] {
  return ws.map(
    (w) =>
      `    - ${label(w)} ${safeCode(w.word)}: ${safeCode(w.before.join(' ') || '(none)')} → ${safeCode(w.after.join(' ') || '(none)')}`,
  );
}

/** Title, provenance, series warnings and mails skipped. */
function headerSection(r: ReviewResult, out: string[]): void {
  const s = r.series;
  const title = s.patches.length === 1 ? s.patches[0].subject : `${s.patches.length} patches: ${s.patches[0].subject}`;
  out.push(`### Page-state review: ${safeText(title)}`, '');
  out.push('Made with Kernel Memmap Explorer (`kmemmap review`).');
  for (const w of s.warnings) out.push(`- note: ${safeText(w)}`);
  if (s.skipped.length)
    out.push(
      `- mails without a diff, not applied: ${s.skipped
        .slice(0, 5)
        .map((x) => safeText(x, 100))
        .join('; ')}`,
    );
  out.push('');
}

/** The tree the series was applied to, and how its hunks applied. */
function treeSection(r: ReviewResult, out: string[]): void {
  out.push('#### Tree');
  if (r.tree) {
    out.push(
      `${safeCode(r.tree.path)}${r.tree.version ? ` (Linux ${safeText(r.tree.version, 40)})` : ''}: ${safeText(r.tree.why, 400)}.`,
    );
    const off = r.applied?.results.filter((x) => x.status === 'offset') ?? [];
    const bad =
      r.applied?.results.filter((x) => x.status === 'failed' || x.status === 'no-file' || x.status === 'binary') ?? [];
    for (const o of off.slice(0, 10))
      out.push(`- ${safeCode(o.file)} hunk ${o.hunk} applies at offset ${o.offset! > 0 ? '+' : ''}${o.offset}`);
    for (const b of bad.slice(0, 20))
      out.push(`- ${safeCode(b.file)}${b.hunk ? ` hunk ${b.hunk}` : ''}: ${safeText(b.reason ?? b.status, 300)}`);
    for (const m of r.applied?.blobMismatches.slice(0, 10) ?? [])
      out.push(
        `- ${safeCode(m.file)}: the patch's base is blob ${safeCode(m.patchBlob)}, the tree has ${safeCode(m.treeBlob)} (another release of the file)`,
      );
  } else out.push(safeText(r.treeNote ?? 'no tree', 400) + '.');
  out.push('');
}

/** The page-state symbols the series touches, bounded. */
function symbolsSection(r: ReviewResult, out: string[]): void {
  const totals = symbolTotals(r.symbols);
  out.push(`#### Page-state symbols touched (${totals.length})`);
  for (const t of totals.slice(0, MAX_SYMBOLS)) {
    const e = t.entries[0];
    const names = e && e.name !== t.name ? ` (${t.entries.map((x) => safeCode(x.name)).join(', ')})` : '';
    const change = t.added || t.removed ? `+${t.added}/−${t.removed} lines` : 'context only';
    const meaning = e
      ? ` — ${safeText(e.meaning.split(/(?<=\.)\s/)[0], 220)}`
      : ' — not in the knowledge base (new in this series?)';
    out.push(
      `- ${safeCode(t.name)}${names}: ${change} in ${t.files
        .slice(0, 4)
        .map((f) => safeCode(f, 80))
        .join(', ')}${meaning}`,
    );
  }
  if (totals.length > MAX_SYMBOLS) out.push(`- … and ${totals.length - MAX_SYMBOLS} more`);
  out.push('');
}

/** What the series changes in enum pageflags, enum pagetype, the type accessors and page-flags-layout.h. */
function layoutSection(r: ReviewResult, out: string[]): void {
  const L = r.layout;
  out.push('#### Layout delta');
  if (!L.triggers.length)
    out.push('No hunk changes enum pageflags, enum pagetype, the page-type macros or page-flags-layout.h.');
  else {
    out.push(`Changed by: ${L.triggers.map((t) => `${safeCode(t.file)} hunk ${t.hunk} (${t.what})`).join(', ')}.`);
    if (L.unavailable) out.push('', `Not derived: ${safeText(L.unavailable, 600)}.`);
    if (L.pageflags) {
      const pf = L.pageflags;
      out.push(
        '',
        `enum pageflags with the tree's .config: ${pf.before.members.length} bits before, ${pf.after.members.length} after.`,
      );
      if (!pf.bits.length) out.push('- no bit changes its names');
      for (const b of pf.bits.slice(0, 40))
        out.push(
          `- bit ${b.bit}: ${safeCode(b.before.join(' = ') || '(none)')} → ${safeCode(b.after.join(' = ') || '(none)')} — ${safeText(b.what)}`,
        );
      for (const m of pf.moved.slice(0, 40)) out.push(`- ${safeCode(m.name)} moves from bit ${m.from} to bit ${m.to}`);
      if (pf.bits.some((b) => b.before.length && b.after.length && b.before[0] === b.after[0]) && !pf.moved.length)
        out.push('- no flag moves: a word decodes to the same bits, with the new names on them');
    }
    if (L.pagetype?.length)
      for (const t of L.pagetype)
        out.push(
          `- ${safeCode(t.name)}: ${t.before === undefined ? 'new' : hex(t.before)} → ${t.after === undefined ? 'removed' : hex(t.after)}`,
        );
    if (L.typeOps && (L.typeOps.added.length || L.typeOps.removed.length))
      out.push(
        `- page-type accessors added: ${L.typeOps.added.map((x) => safeCode(x)).join(', ') || 'none'}; removed: ${L.typeOps.removed.map((x) => safeCode(x)).join(', ') || 'none'}`,
      );
    if (L.flagsLayoutLines?.length) {
      out.push(
        '- page-flags-layout.h changes (the field widths are computed by the preprocessor from the config: shown, not derived):',
      );
      for (const l of L.flagsLayoutLines.slice(0, 20)) out.push(`    - ${l.kind} ${safeCode(l.text)}`);
    }
  }
  layoutWordsSection(r, out);
  out.push('');
}

/** The flags words in snapshots and logs that decode differently under the series. */
function layoutWordsSection(r: ReviewResult, out: string[]): void {
  const L = r.layout;
  const wordSnaps = r.snapshots.filter((x) => x.words || x.wordsNote);
  if (L.pageflags && L.changedMask && (wordSnaps.length || r.logs.length)) {
    out.push('', 'Flags words that decode differently under the series:');
    for (const sn of wordSnaps) {
      if (sn.words) {
        out.push(
          `- ${safeCode(sn.file)}: ${sn.words.differing} of ${sn.words.scanned} words read (${safeText(sn.words.what)})`,
        );
        out.push(...wordLines(sn.words.listed, (w) => `pfn ${hex(w.where)}`));
      } else out.push(`- ${safeCode(sn.file)}: ${safeText(sn.wordsNote!, 300)}`);
    }
    for (const lg of r.logs) {
      out.push(
        `- ${safeCode(lg.name)}: ${lg.note && !lg.wordsFound ? safeText(lg.note, 300) : `${lg.differing} of ${lg.wordsFound} flags words${lg.note ? ` (${safeText(lg.note, 200)})` : ''}`}`,
      );
      out.push(...wordLines(lg.listed, (w) => `line ${w.where}`));
    }
  }
}

/** Memory-block offlining verdicts before and after the series, per snapshot. */
function verdictSection(r: ReviewResult, out: string[]): void {
  out.push('#### Verdict delta');
  out.push(
    `Offlining rules: ${r.rules.rules ? `${safeCode(r.rules.rules.id)} — ${safeText(r.rules.rules.title, 200)}; ${safeText(r.rules.note, 300)}` : safeText(r.rules.note, 400)}.`,
  );
  if (r.rules.rules) {
    if (!r.snapshots.length) out.push('', 'No snapshot given.');
    for (const sn of r.snapshots) {
      out.push('');
      const who = `${safeCode(sn.file)}${sn.release ? ` (${safeText(sn.release, 60)}${sn.format ? `, ${safeText(sn.format, 40)}` : ''})` : ''}`;
      if (sn.error) {
        out.push(`- ${who}: not read: ${safeText(sn.error, 300)}`);
        continue;
      }
      const blockLines = (list: NonNullable<typeof sn.blocks>) => {
        for (const b of list.slice(0, MAX_BLOCKS))
          out.push(
            `    - memory${b.block} (pfn ${hex(b.startPfn)}): ${verdictText(b.before)} → ${verdictText(b.after)}${b.after.ok === false && b.after.explanation ? `; ${safeText(b.after.explanation, 240)}` : ''}`,
          );
        if (list.length > MAX_BLOCKS) out.push(`    - … and ${list.length - MAX_BLOCKS} more`);
      };
      const n = sn.blocks?.length ?? 0;
      out.push(
        `- ${who}: ${n} of ${sn.blocksCompared ?? 0} online memory blocks change verdict (mainline → ${safeCode(r.rules.rules.id)}, pages marked as the series' drivers would mark them)`,
      );
      blockLines(sn.blocks ?? []);
      const flag = r.rules.rules.skippableFlag;
      if (flag && sn.bitsBlocks) {
        const f = sn.words?.flag;
        out.push(
          `  - with ${safeCode(flag)} read from this snapshot's bits (${f ? `bit ${f.bit}, clear on all ${f.read} offline-skippable pages: the running kernel does not set it` : 'as captured'}): ${sn.bitsBlocks.length === 1 ? '1 block changes' : `${sn.bitsBlocks.length} blocks change`} — what the patched offlining code does with this memmap if nothing sets the flag (e.g. the mm hunks without the driver hunks)`,
        );
        blockLines(sn.bitsBlocks);
      } else if (flag && sn.bitsNote)
        out.push(
          `  - with ${safeCode(flag)} read from this snapshot's bits: not computed: ${safeText(sn.bitsNote, 300)}`,
        );
    }
  }
  out.push('');
}

export function reviewMarkdown(r: ReviewResult): string {
  const out: string[] = [];
  headerSection(r, out);
  treeSection(r, out);
  symbolsSection(r, out);
  layoutSection(r, out);
  verdictSection(r, out);
  return out.join('\n');
}
