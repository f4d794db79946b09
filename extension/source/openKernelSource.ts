// Command kmemmap.openKernelSource(symbol, version?): the indexed definition in a workspace tree, else
// the C language server's definition (clangd / cpptools) from the file our knowledge names, else Elixir.

import * as vscode from 'vscode';
import { ALL_ENTRIES, lookupSymbol } from '../../kernel/knowledge/index';
import { elixirUrl } from '../../kernel/knowledge/elixir';
import type { KernelTreeService } from './treeService';

const C_EXTENSIONS = ['llvm-vs-code-extensions.vscode-clangd', 'ms-vscode.cpptools'];

/** Symbols to try in the index: the name itself, then every symbol our knowledge points to for it. */
export function candidateSymbols(symbol: string): string[] {
  const entries = lookupSymbol(symbol);
  return [...new Set([symbol, ...entries.flatMap((e) => [e.name, ...e.source.map((r) => r.symbol)])])];
}

export async function locateKernelSymbol(
  trees: KernelTreeService,
  symbol: string,
  version?: string,
): Promise<vscode.Location | undefined> {
  const hit = trees.find(candidateSymbols(symbol), version);
  if (hit)
    return new vscode.Location(
      vscode.Uri.file(`${hit.root}/${hit.def.file}`),
      new vscode.Position(hit.def.line - 1, 0),
    );
  const root = trees.treeFor(version);
  const ref = lookupSymbol(symbol)[0]?.source[0];
  if (!root || !ref || !C_EXTENSIONS.some((id) => vscode.extensions.getExtension(id))) return undefined;
  // Ask the C language server: open the file our knowledge names, find a use of the symbol, resolve it.
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(`${root}/${ref.file}`));
    const word = ref.symbol.replace(/^(struct|enum)\s+/, '');
    const idx = doc.getText().search(new RegExp(`\\b${word.replace(/[^A-Za-z0-9_]/g, '')}\\b`));
    if (idx < 0) return undefined;
    const pos = doc.positionAt(idx);
    const res = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      doc.uri,
      pos,
    );
    const first = res?.[0];
    if (!first) return new vscode.Location(doc.uri, pos);
    return 'targetUri' in first
      ? new vscode.Location(first.targetUri, first.targetSelectionRange ?? first.targetRange)
      : first;
  } catch {
    return undefined;
  }
}

export async function openKernelSymbol(trees: KernelTreeService, symbol: unknown, version?: unknown): Promise<void> {
  if (typeof symbol !== 'string' || !/^[A-Za-z_][\w ]{0,80}$/.test(symbol)) {
    const items = ALL_ENTRIES.filter((e) => e.source.length).map((e) => ({
      label: e.name,
      description: e.kind,
      detail: e.meaning,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Open kernel source for symbol',
      placeHolder: 'PG_head, PGTY_offline, offline_pages, KPF_OFFLINE …',
      matchOnDetail: true,
    });
    if (!picked) return;
    symbol = picked.label;
  }
  const sym = symbol as string;
  const ver = typeof version === 'string' && /^[\w.+~-]{1,64}$/.test(version) ? version : undefined;
  // a tree still being indexed (just configured or opened) would send the user to the web instead
  trees.refresh();
  if (trees.indexing)
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Kernel Memmap: indexing the kernel source tree…' },
      () => trees.whenIndexed(),
    );
  const loc = await locateKernelSymbol(trees, sym, ver);
  if (loc) {
    const doc = await vscode.workspace.openTextDocument(loc.uri);
    await vscode.window.showTextDocument(doc, { selection: loc.range, preview: true });
    return;
  }
  const ref = lookupSymbol(sym)[0]?.source[0] ?? { file: '', symbol: sym };
  await vscode.env.openExternal(
    vscode.Uri.parse(
      elixirUrl(ref, ver ?? (vscode.workspace.getConfiguration('kmemmap').get<string>('kernelVersion') || '6.18')),
    ),
  );
}
