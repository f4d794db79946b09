// Pure helpers for patches (.patch/.diff, mbox/eml, git diff views): which lines a patch adds or
// removes, and what it changes about a symbol. No vscode import.

export interface PatchMention {
  file: string;
  added: number;
  removed: number;
  /** First added / removed line mentioning the symbol (raw, untrusted). */
  firstAdded?: string;
  firstRemoved?: string;
}

/** True when the text looks like a unified diff (possibly inside a mail). */
export function looksLikePatch(text: string): boolean {
  return /^diff --git /m.test(text) || (/^--- /m.test(text) && /^\+\+\+ /m.test(text) && /^@@ /m.test(text));
}

/** '+' / '-' for added / removed lines of a hunk, ' ' for context, undefined for headers and mail text. */
export function lineChange(line: string): '+' | '-' | ' ' | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) return undefined;
  if (line.startsWith('+')) return '+';
  if (line.startsWith('-')) return '-';
  if (line.startsWith(' ')) return ' ';
  return undefined;
}

/** Per file, how many added/removed lines mention `symbol` (as a whole word). */
export function patchChangesFor(symbol: string, patch: string): PatchMention[] {
  const word = new RegExp(`(^|[^A-Za-z0-9_])${symbol.replace(/[^A-Za-z0-9_]/g, '')}($|[^A-Za-z0-9_])`);
  const out = new Map<string, PatchMention>();
  let file = '';
  let inHunk = false;
  for (const line of patch.split('\n')) {
    const d = /^diff --git a\/(\S+) b\/(\S+)/.exec(line);
    if (d) {
      file = d[2];
      inHunk = false;
      continue;
    }
    const plus = /^\+\+\+ (?:b\/)?(\S+)/.exec(line);
    if (plus && !inHunk) {
      if (plus[1] !== '/dev/null') file = plus[1];
      continue;
    }
    if (line.startsWith('@@')) {
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    const c = lineChange(line);
    if (c !== '+' && c !== '-') continue;
    if (!word.test(line)) continue;
    const m = out.get(file) ?? { file, added: 0, removed: 0 };
    if (c === '+') {
      m.added++;
      m.firstAdded ??= line;
    } else {
      m.removed++;
      m.firstRemoved ??= line;
    }
    out.set(file, m);
  }
  return [...out.values()];
}

/** One-line summary per file: "include/linux/page-flags.h: +2 −0". */
export function summarizeMentions(ms: PatchMention[]): string[] {
  return ms.map(
    (m) =>
      `${m.file}: +${m.added} −${m.removed}${m.added && !m.removed ? ' (introduced or newly used here)' : !m.added && m.removed ? ' (removed here)' : ''}`,
  );
}
