// Finds where a kernel symbol is defined in a source file's text (no index needed for one file).

/** Line of the symbol's most definition-looking occurrence (a #define, enum member or function head), else its first. */
export function findSymbolLine(text: string, symbol: string): number {
  const lines = text.split('\n');
  const word = new RegExp(`\\b${symbol.replace(/[^A-Za-z0-9_]/g, '')}\\b`);
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    if (!word.test(lines[i])) continue;
    if (first < 0) first = i;
    if (/^\s*(#define|enum|struct|static|extern|[A-Za-z_].*\()/.test(lines[i]) && !/;\s*$/.test(lines[i])) return i;
  }
  return Math.max(0, first);
}
