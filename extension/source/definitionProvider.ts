// "Go to definition" from patches, mail and kernel logs (C files have their own language servers).

import * as vscode from 'vscode';
import { computeHover } from '../hovers/hoverContent';
import { documentKind } from '../hovers/hoverProvider';
import { kernelForDocument } from '../hovers/documentKernel';
import { locateKernelSymbol } from './openKernelSource';
import type { KernelTreeService } from './treeService';

export class KernelDefinitionProvider implements vscode.DefinitionProvider {
  constructor(private readonly trees: KernelTreeService) {}

  async provideDefinition(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Location | undefined> {
    const kind = documentKind(doc);
    if (kind === 'c') return undefined;
    const k = kernelForDocument(doc, () => this.trees.primaryVersion());
    const res = computeHover({ lineText: doc.lineAt(pos.line).text, character: pos.character, kind, kernel: k });
    if (!res?.symbol) return undefined;
    return locateKernelSymbol(this.trees, res.symbol, k?.release);
  }
}
