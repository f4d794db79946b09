// page->flags words in kernel logs and tool output — dmesg dump_page() "flags: 0x…", crash
// `struct page` "flags = …", drgn ".flags = (unsigned long)…", crash `kmem -p` rows — the same
// constructs the log hovers decode (extension/hovers/logTokens.ts). Pure, bounded.

const PATTERNS: RegExp[] = [
  /flags: (0x[0-9a-f]+)/,
  /\bflags = (0x[0-9a-f]+|\d+)/,
  /\.(?:flags|f) = \(unsigned long\)(\d+)/,
  /^(?:>[ \t]?)*\s*[0-9a-f]{12,16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+-?[0-9a-f]+\s+([0-9a-f]+)(?:\s+[A-Za-z_0-9,|]+)?\s*$/,
];

/** Lines scanned at most (a log beyond that is read in part; the caller says so). */
export const MAX_LOG_LINES = 2_000_000;

/** Flags words of a text with their 1-based lines. */
export function flagsWordsInText(text: string): { line: number; word: bigint }[] {
  const out: { line: number; word: bigint }[] = [];
  const lines = text.split('\n', MAX_LOG_LINES);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 4096 || !/flags|[0-9a-f]{12}/.test(l)) continue;
    for (const re of PATTERNS) {
      const m = re.exec(l);
      if (!m) continue;
      const raw = m[1];
      if (raw.length > 20) break;
      out.push({
        line: i + 1,
        word: BigInt(/^\d+$/.test(raw) && re !== PATTERNS[3] ? raw : raw.startsWith('0x') ? raw : '0x' + raw),
      });
      break;
    }
  }
  return out;
}
