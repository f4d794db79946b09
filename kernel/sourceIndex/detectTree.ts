// Recognises a Linux kernel source tree and reads its version from the top Makefile.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** True when dir looks like the root of a Linux tree (top Makefile + the mm headers we index). */
export function isLinuxTree(dir: string): boolean {
  return (
    existsSync(join(dir, 'Makefile')) &&
    existsSync(join(dir, 'include/linux/page-flags.h')) &&
    existsSync(join(dir, 'mm'))
  );
}

/** "6.12.117" from VERSION/PATCHLEVEL/SUBLEVEL (EXTRAVERSION appended), or undefined. */
export function treeVersion(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'Makefile'), 'utf8').slice(0, 2000);
  } catch {
    return undefined;
  }
  const get = (k: string) => new RegExp(`^${k}[ \\t]*=[ \\t]*(\\S*)`, 'm').exec(text)?.[1] ?? '';
  const v = get('VERSION');
  const p = get('PATCHLEVEL');
  if (!v || !p) return undefined;
  const s = get('SUBLEVEL');
  return `${v}.${p}${s && s !== '0' ? `.${s}` : ''}${get('EXTRAVERSION')}`;
}

/** Root of the Linux tree that holds file (walking up at most 12 folders), or undefined. */
export function enclosingLinuxTree(file: string): string | undefined {
  let dir = dirname(file);
  for (let i = 0; i < 12; i++) {
    if (isLinuxTree(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}
