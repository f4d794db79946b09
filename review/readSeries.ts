// Reads a patch series from disk: a patch or mbox file, or a folder of `git format-patch` files
// (*.patch, *.diff, *.mbox, *.eml, in name order: 0001-…, 0002-…). Never writes.

import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { PATCH_LIMITS, PatchError, parsePatchText, seriesOf, type PatchSeries } from './patchSeries';

const PATCH_FILE = /\.(?:patch|diff|mbox|eml)$/i;

export async function readPatchSeries(path: string): Promise<PatchSeries> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    throw new PatchError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (st.isFile()) {
    if (st.size > PATCH_LIMITS.bytes)
      throw new PatchError(
        path,
        `${st.size} bytes: larger than the ${PATCH_LIMITS.bytes / 2 ** 20} MiB a patch series may be here`,
      );
    return parsePatchText(await fsp.readFile(path, 'utf8'), basename(path));
  }
  if (!st.isDirectory()) throw new PatchError(path, 'not a regular file or folder');
  const names = (await fsp.readdir(path)).filter((n) => PATCH_FILE.test(n)).sort();
  if (!names.length)
    throw new PatchError(
      path,
      'no *.patch, *.diff, *.mbox or *.eml files in this folder (expected `git format-patch` output)',
    );
  if (names.length > PATCH_LIMITS.patches)
    throw new PatchError(
      path,
      `${names.length} patch files: more than the ${PATCH_LIMITS.patches} a series may have here`,
    );
  let total = 0;
  const messages: { text: string; source: string }[] = [];
  for (const n of names) {
    const p = join(path, n);
    const s = await fsp.lstat(p);
    if (!s.isFile()) continue; // symbolic links and the like are not followed
    total += s.size;
    if (total > PATCH_LIMITS.bytes)
      throw new PatchError(path, `the patch files add up to more than ${PATCH_LIMITS.bytes / 2 ** 20} MiB`);
    const text = await fsp.readFile(p, 'utf8');
    if (text.includes('\0')) throw new PatchError(p, 'binary data (a NUL byte): not a patch');
    messages.push({ text, source: n });
  }
  return seriesOf(messages, basename(path));
}
