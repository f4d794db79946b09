// The one way the CLI writes: text through escapeLines, JSON through escapeJson, errors escaped.

import { escapeControl, escapeJson, escapeLines } from './terminalText';

export function print(s: string): void {
  const safe = escapeLines(s);
  process.stdout.write(safe.endsWith('\n') ? safe : safe + '\n');
}

export function jsonText(v: unknown, indent?: number): string {
  return escapeJson(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? '0x' + x.toString(16) : x), indent));
}

export function printJson(v: unknown): void {
  print(jsonText(v, 2));
}

/** An error line on stderr: `kmemmap: <message>`, the message escaped (it names files and quotes inputs). */
export function printError(message: string): void {
  process.stderr.write(`kmemmap: ${escapeControl(message)}\n`);
}
