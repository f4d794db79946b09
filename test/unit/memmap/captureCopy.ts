// A copy of a lab capture folder without some of its files (an older capture script's output), in a
// temporary folder removed at process exit.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** Copies capture folder dir to a temporary folder, leaving out the top-level files named; returns the copy. */
export function capturesWithout(dir: string, ...names: string[]): string {
  const tmp = mkdtempSync(join(tmpdir(), 'kmemmap-capture-'));
  process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const out = join(tmp, basename(dir));
  cpSync(dir, out, { recursive: true, filter: (src) => !names.some((n) => src === join(dir, n)) });
  return out;
}
