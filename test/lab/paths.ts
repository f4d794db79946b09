// Where the lab keeps its (large, non-git) cache: $KMEMMAP_LAB_DIR or ~/.cache/kmemmap-lab.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function labRoot(): string {
  const env = process.env.KMEMMAP_LAB_DIR;
  if (env && env.trim()) return resolve(env);
  return join(homedir(), '.cache', 'kmemmap-lab');
}
export const setsDir = (): string => join(labRoot(), 'sets');
export const kernelsDir = (): string => join(labRoot(), 'kernels');
export const workDir = (): string => join(labRoot(), 'work');
