// Applies a patch series to a kernel tree in memory, the way `git apply` does without fuzz: every
// hunk's context and removed lines must be found exactly, at the line the hunk names or moved by an
// offset; a hunk that is not found is reported with the first line that differs, never forced in.
// Nothing is written: the tree is read through a callback, the results are strings.

import { createHash } from 'node:crypto';
import type { Hunk, PatchSeries } from './patchSeries';
import { filePath } from './patchSeries';

export type HunkStatus = 'applied' | 'offset' | 'failed' | 'no-file' | 'binary';

export interface HunkResult {
  patch: number;
  file: string;
  /** 1-based hunk index in its file (0 for a whole-file result: no file, binary). */
  hunk: number;
  status: HunkStatus;
  /** Lines the hunk moved from where it said it applies (status offset). */
  offset?: number;
  /** Why a hunk failed, in plain words (untrusted text quoted from the patch and the tree). */
  reason?: string;
}

export interface AppliedSeries {
  /** Patched text of every file the series touched and that applied whole, by path. */
  files: Map<string, string>;
  /** Original text of the files read from the tree. */
  originals: Map<string, string>;
  results: HunkResult[];
  /** Files whose pre-image blob id (`index abc..def`) differs from the tree's file. */
  blobMismatches: { patch: number; file: string; patchBlob: string; treeBlob: string }[];
  /** Files whose pre-image blob id equals the tree's (the tree is the patch's base for them). */
  blobMatches: string[];
}

/** git's blob id of file content. */
export function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Index of the first line at or around `want` (searching outward) where `old` matches exactly, from `min` on; -1 when nowhere. */
function locate(lines: string[], old: string[], want: number, min: number): number {
  const fits = (at: number) => {
    if (at < min || at + old.length > lines.length) return false;
    for (let k = 0; k < old.length; k++) if (lines[at + k] !== old[k]) return false;
    return true;
  };
  // A hunk may name any line (hostile patches name 2^50): search outward from the nearest real one.
  const from = Math.min(Math.max(want, min), lines.length);
  const span = Math.max(from - min, lines.length - from) + 1;
  for (let d = 0; d <= span; d++) {
    if (fits(from + d)) return from + d;
    if (d && fits(from - d)) return from - d;
  }
  return -1;
}

function firstDifference(lines: string[], old: string[], at: number): string {
  for (let k = 0; k < old.length; k++) {
    const have = lines[at + k];
    if (have !== old[k]) {
      const q = (s: string | undefined) =>
        s === undefined ? 'the end of the file' : JSON.stringify(s.length > 120 ? s.slice(0, 120) + '…' : s);
      return `at line ${at + k + 1} the patch expects ${q(old[k])}, the tree has ${q(have)}`;
    }
  }
  return 'the lines match but overlap an earlier hunk';
}

function applyHunks(
  text: string,
  hunks: Hunk[],
  report: (h: Hunk, r: Omit<HunkResult, 'patch' | 'file' | 'hunk'>) => void,
): string | undefined {
  let lines = text.split('\n');
  let delta = 0;
  let min = 0;
  let ok = true;
  for (const h of hunks) {
    const old = h.lines.filter((l) => l.kind !== '+').map((l) => l.text);
    const neu = h.lines.filter((l) => l.kind !== '-').map((l) => l.text);
    // A new file's hunk is "-0,0": it applies to the empty text.
    const want = Math.max(0, (h.oldLines === 0 ? h.oldStart : h.oldStart - 1) + delta);
    const at = old.length === 0 && text === '' ? 0 : locate(lines, old, want, min);
    if (at < 0) {
      ok = false;
      const expected = Math.min(want, Math.max(0, lines.length - 1));
      report(h, {
        status: 'failed',
        reason: `hunk does not apply: ${firstDifference(lines, old, expected)} (looked for its ${old.length} context and removed lines at line ${want + 1} and everywhere after the previous hunk)`,
      });
      continue;
    }
    report(h, at === want ? { status: 'applied' } : { status: 'offset', offset: at - want });
    // not splice(...neu): a hunk of 10^5 lines would overflow the call's argument list
    lines = lines.slice(0, at).concat(neu, lines.slice(at + old.length));
    delta += at - want + neu.length - old.length;
    min = at + neu.length;
  }
  return ok ? lines.join('\n') : undefined;
}

/**
 * Applies the series in order to the files `read` returns (Buffer, or undefined when the tree lacks
 * the file). A later patch sees the earlier patches' result. Only files `wanted` accepts are
 * applied (all when omitted); the others are not read.
 */
export function applySeries(
  series: PatchSeries,
  read: (path: string) => Buffer | undefined,
  wanted: (path: string) => boolean = () => true,
): AppliedSeries {
  const files = new Map<string, string>();
  const originals = new Map<string, string>();
  const results: HunkResult[] = [];
  const blobMismatches: AppliedSeries['blobMismatches'] = [];
  const blobMatches: string[] = [];
  const broken = new Set<string>();
  series.patches.forEach((p, pi) => {
    for (const f of p.files) {
      const path = filePath(f);
      if (!wanted(path)) continue;
      if (f.binary) {
        results.push({ patch: pi, file: path, hunk: 0, status: 'binary', reason: 'a binary patch: not applied' });
        continue;
      }
      let text = files.get(f.oldPath ?? path);
      if (text === undefined && f.oldPath !== undefined) {
        const buf = read(f.oldPath);
        if (buf === undefined) {
          results.push({ patch: pi, file: path, hunk: 0, status: 'no-file', reason: `the tree has no ${f.oldPath}` });
          broken.add(path);
          continue;
        }
        text = buf.toString('utf8');
        originals.set(f.oldPath, text);
        if (f.oldBlob) {
          const id = gitBlobId(buf);
          if (id.startsWith(f.oldBlob.toLowerCase())) blobMatches.push(f.oldPath);
          else
            blobMismatches.push({
              patch: pi,
              file: f.oldPath,
              patchBlob: f.oldBlob,
              treeBlob: id.slice(0, Math.max(7, f.oldBlob.length)),
            });
        }
      }
      if (broken.has(path)) {
        for (const h of f.hunks)
          results.push({
            patch: pi,
            file: path,
            hunk: h.index,
            status: 'failed',
            reason: 'an earlier patch of the series did not apply to this file',
          });
        continue;
      }
      const out = applyHunks(text ?? '', f.hunks, (h, r) =>
        results.push({ patch: pi, file: path, hunk: h.index, ...r }),
      );
      if (out === undefined) {
        broken.add(path);
        files.delete(path);
        continue;
      }
      if (f.newPath === undefined) files.delete(f.oldPath ?? path);
      else files.set(f.newPath, out);
    }
  });
  for (const b of broken) files.delete(b);
  return { files, originals, results, blobMismatches, blobMatches };
}
