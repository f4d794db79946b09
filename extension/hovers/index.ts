// Entry point of issue 5 in the extension: hovers, go-to-definition, kernel tree index, status bar.
// The extension calls registerKnowledgeFeatures(context) once from activate().

import * as vscode from 'vscode';
import { KnowledgeHoverProvider, OPEN_SOURCE_COMMAND } from './hoverProvider';
import { registerKernelStatus } from './kernelStatus';
import { KernelTreeService } from '../source/treeService';
import { KernelDefinitionProvider } from '../source/definitionProvider';
import { openKernelSymbol } from '../source/openKernelSource';

export const HOVER_SELECTOR: vscode.DocumentSelector = [
  'c',
  'cpp',
  'diff',
  'kmemmap-kernel-log',
  'kmemmap-mail',
  'log',
  'plaintext',
].map((language) => ({ language }));
const LOG_SELECTOR: vscode.DocumentSelector = ['diff', 'kmemmap-kernel-log', 'kmemmap-mail', 'log', 'plaintext'].map(
  (language) => ({ language }),
);

export function registerKnowledgeFeatures(context: vscode.ExtensionContext): { trees: KernelTreeService } {
  const out = vscode.window.createOutputChannel('Kernel Memmap: Sources', { log: true });
  const trees = new KernelTreeService(context.globalStorageUri.fsPath, (m) => out.info(m));
  context.subscriptions.push(
    out,
    trees,
    vscode.languages.registerHoverProvider(HOVER_SELECTOR, new KnowledgeHoverProvider(trees)),
    vscode.languages.registerDefinitionProvider(LOG_SELECTOR, new KernelDefinitionProvider(trees)),
    vscode.commands.registerCommand(OPEN_SOURCE_COMMAND, (symbol?: unknown, version?: unknown) =>
      openKernelSymbol(trees, symbol, version),
    ),
    vscode.commands.registerCommand('kmemmap.reindexKernelSources', () => trees.refresh(true)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => trees.refresh()),
    vscode.workspace.onDidChangeConfiguration(
      (e) => e.affectsConfiguration('kmemmap.kernelSourceTree') && trees.refresh(),
    ),
  );
  registerKernelStatus(context, trees);
  // Index in the background: activation must not wait for ripgrep.
  setTimeout(() => trees.refresh(), 0);
  return { trees };
}
