// On-disk cache of a tree's index, keyed by the tree state: the version in the Makefile, git HEAD
// when the tree is a git checkout, and the size+mtime of every file that holds an indexed definition.
// Editing page-flags.h (or committing) therefore invalidates the cache; an unrelated edit does not.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildSourceIndex, type SourceIndexData } from './indexer';

interface CacheFile {
  schema: 1;
  treeKey: string;
  files: Record<string, string>;
  index: SourceIndexData;
}

function fileStamp(root: string, file: string): string {
  try {
    const s = statSync(join(root, file));
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function gitHead(root: string): string {
  try {
    const head = readFileSync(join(root, '.git/HEAD'), 'utf8').trim();
    const ref = /^ref: (.*)$/.exec(head)?.[1];
    return ref && existsSync(join(root, '.git', ref)) ? readFileSync(join(root, '.git', ref), 'utf8').trim() : head;
  } catch {
    return '';
  }
}

/** Key of the parts of the tree state that are cheap to read (Makefile + git HEAD). */
export function treeKey(root: string): string {
  return createHash('sha1')
    .update(root)
    .update(fileStamp(root, 'Makefile'))
    .update(gitHead(root))
    .update(fileStamp(root, 'include/linux/page-flags.h'))
    .digest('hex');
}

function cachePath(cacheDir: string, root: string): string {
  return join(cacheDir, `index-${createHash('sha1').update(root).digest('hex').slice(0, 16)}.json`);
}

/** The cached index when still valid for the tree state, else undefined. */
export function loadCachedIndex(cacheDir: string, root: string): SourceIndexData | undefined {
  try {
    const c = JSON.parse(readFileSync(cachePath(cacheDir, root), 'utf8')) as CacheFile;
    if (c.schema !== 1 || c.treeKey !== treeKey(root)) return undefined;
    for (const [f, stamp] of Object.entries(c.files)) if (fileStamp(root, f) !== stamp) return undefined;
    return c.index;
  } catch {
    return undefined;
  }
}

export function saveIndex(cacheDir: string, index: SourceIndexData): void {
  mkdirSync(cacheDir, { recursive: true });
  const files: Record<string, string> = {};
  for (const list of Object.values(index.defs)) for (const d of list) files[d.file] ??= fileStamp(index.root, d.file);
  const c: CacheFile = { schema: 1, treeKey: treeKey(index.root), files, index };
  writeFileSync(cachePath(cacheDir, index.root), JSON.stringify(c));
}

/** Cached index, or a fresh one (then cached). `fromCache` says which. */
export async function getSourceIndex(
  cacheDir: string,
  root: string,
  opts: { signal?: AbortSignal; force?: boolean } = {},
): Promise<{ index: SourceIndexData; fromCache: boolean }> {
  if (!opts.force) {
    const cached = loadCachedIndex(cacheDir, root);
    if (cached) return { index: cached, fromCache: true };
  }
  const index = await buildSourceIndex(root, { signal: opts.signal });
  saveIndex(cacheDir, index);
  return { index, fromCache: false };
}
