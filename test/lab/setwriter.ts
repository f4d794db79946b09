// Builds a set in a hidden temp folder and renames it into place at the end, so an interrupted run
// never leaves a folder with a manifest.json that looks complete.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from './manifest';
import { setsDir } from './paths';

export const setPath = (name: string): string => join(setsDir(), name);
export const setExists = (name: string): boolean => existsSync(join(setPath(name), 'manifest.json'));

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Removes temp folders left by runs that are no longer alive. */
export function cleanStaleTemps(): void {
  if (!existsSync(setsDir())) return;
  for (const n of readdirSync(setsDir())) {
    const m = /^\.(?:tmp|old)-.*-(\d+)$/.exec(n);
    if (m && (Number(m[1]) === process.pid || !pidAlive(Number(m[1]))))
      rmSync(join(setsDir(), n), { recursive: true, force: true });
  }
}

export class SetBuilder {
  readonly tmp: string;
  constructor(readonly name: string) {
    mkdirSync(setsDir(), { recursive: true });
    this.tmp = join(setsDir(), `.tmp-${name}-${process.pid}`);
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(join(this.tmp, 'capture'), { recursive: true });
  }

  /** Writes manifest.json last and renames the folder into place (replacing an older set). */
  commit(manifest: Manifest): string {
    writeFileSync(join(this.tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    const final = setPath(this.name);
    if (existsSync(final)) {
      const old = join(setsDir(), `.old-${this.name}-${process.pid}`);
      renameSync(final, old);
      renameSync(this.tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(this.tmp, final);
    }
    return final;
  }

  abandon(): void {
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
