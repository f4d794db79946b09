// Finds Linux trees in the workspace (and kmemmap.kernelSourceTree) and indexes them in the background.

import * as vscode from 'vscode';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isLinuxTree, treeVersion } from '../../kernel/sourceIndex/detectTree';
import { getSourceIndex } from '../../kernel/sourceIndex/cache';
import type { Definition, SourceIndexData } from '../../kernel/sourceIndex/indexer';
import { parseRelease } from '../../kernel/version';

export interface FoundDefinition {
  root: string;
  def: Definition;
}

export class KernelTreeService implements vscode.Disposable {
  private readonly indexes = new Map<string, SourceIndexData>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private roots: string[] = [];

  constructor(
    private readonly cacheDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Linux trees: workspace folders, their direct children, and the kmemmap.kernelSourceTree setting. */
  discover(): string[] {
    const candidates: string[] = [];
    const setting = vscode.workspace.getConfiguration('kmemmap').get<string>('kernelSourceTree');
    if (setting) candidates.push(setting);
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      if (f.uri.scheme !== 'file') continue;
      candidates.push(f.uri.fsPath);
      try {
        for (const d of readdirSync(f.uri.fsPath, { withFileTypes: true }))
          if (d.isDirectory() && !d.name.startsWith('.')) candidates.push(join(f.uri.fsPath, d.name));
      } catch {
        /* unreadable folder: skip */
      }
    }
    this.roots = [...new Set(candidates)].filter((p) => existsSync(p) && isLinuxTree(p));
    return this.roots;
  }

  /** Starts indexing every discovered tree that is not indexed yet; returns at once. */
  refresh(force = false): void {
    for (const root of this.discover()) {
      if (!force && (this.indexes.has(root) || this.pending.has(root))) continue;
      const t0 = Date.now();
      const job = getSourceIndex(this.cacheDir, root, { signal: this.abort.signal, force })
        .then(({ index, fromCache }) => {
          this.indexes.set(root, index);
          this.log(
            `kernel tree ${root} (${index.version ?? '?'}): ${Object.keys(index.defs).length} symbols ${fromCache ? 'from cache' : `indexed in ${index.millis} ms`} (${Date.now() - t0} ms)`,
          );
          this.changed.fire();
        })
        .catch((e: unknown) => this.log(`indexing ${root} failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => this.pending.delete(root));
      this.pending.set(root, job);
    }
  }

  /** Trees are being indexed right now (a lookup now could miss what they define). */
  get indexing(): boolean {
    return this.pending.size > 0;
  }

  /** Resolves when every tree being indexed now is done (at once when none is). */
  async whenIndexed(): Promise<void> {
    await Promise.all([...this.pending.values()]);
  }

  hasTrees(): boolean {
    return this.roots.length > 0;
  }

  /** Version of the first tree (for documents that name no kernel). */
  primaryVersion(): string | undefined {
    return this.roots.length ? treeVersion(this.roots[0]) : undefined;
  }

  /** Trees ordered so that one matching `release` (major.minor) comes first. */
  private ordered(release?: string): SourceIndexData[] {
    const want = release ? parseRelease(release) : undefined;
    const all = this.roots.map((r) => this.indexes.get(r)).filter((x): x is SourceIndexData => !!x);
    if (want === undefined) return all;
    const match = (i: SourceIndexData) => {
      const v = i.version ? parseRelease(i.version) : undefined;
      return v === want ? 0 : 1;
    };
    return [...all].sort((a, b) => match(a) - match(b));
  }

  /** First indexed definition among `symbols` (tried in order), preferring a tree of `release`. */
  find(symbols: string[], release?: string): FoundDefinition | undefined {
    for (const idx of this.ordered(release)) {
      for (const s of symbols) {
        const d = idx.defs[s]?.[0];
        if (d) return { root: idx.root, def: d };
      }
    }
    return undefined;
  }

  /** Root of a tree to open files from when the index has no hit (prefers `release`). */
  treeFor(release?: string): string | undefined {
    return this.ordered(release)[0]?.root ?? this.roots[0];
  }

  dispose(): void {
    this.abort.abort();
    this.changed.dispose();
  }
}
