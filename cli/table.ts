// Aligned plain-text tables for terminal output. Cells are escaped (terminalText.ts): many come
// from the input (zones, states, reasons).

import { escapeControl } from './terminalText';

export function table(
  headers: string[],
  rows: (string | number | undefined)[][],
  rightAlign: Set<number> = new Set(),
): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined ? '' : escapeControl(String(c)))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (rightAlign.has(i) ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The size of `pages` pages of `pageSize` bytes (the snapshot's: 4, 16 or 64 KiB). */
export function mib(pages: number, pageSize: number): string {
  const bytes = pages * pageSize;
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

export function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}
