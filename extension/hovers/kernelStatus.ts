// Status bar item: the kernel the active document is decoded for; click to choose (kmemmap.kernelVersion).

import * as vscode from 'vscode';
import { LAYOUT_FAMILIES } from '../../kernel/pageflags';
import { kernelLabel } from '../../kernel/decode';
import { kernelForDocument } from './documentKernel';
import type { KernelTreeService } from '../source/treeService';

export const CHOOSE_KERNEL_COMMAND = 'kmemmap.chooseKernelVersion';
const LANGS = new Set(['c', 'cpp', 'diff', 'kmemmap-kernel-log', 'kmemmap-mail', 'log', 'plaintext']);

export function registerKernelStatus(context: vscode.ExtensionContext, trees: KernelTreeService): void {
  const item = vscode.window.createStatusBarItem('kmemmap.kernel', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Kernel Memmap: kernel version';
  item.command = CHOOSE_KERNEL_COMMAND;
  const update = () => {
    const ed = vscode.window.activeTextEditor;
    if (!ed || !LANGS.has(ed.document.languageId)) return item.hide();
    const k = kernelForDocument(ed.document, () => trees.primaryVersion());
    item.text = `$(circuit-board) ${k ? `${k.release ?? k.family.id}${k.arch === 'aarch64' && !k.release ? '/arm64' : ''}` : 'kernel ?'}`;
    item.tooltip = k
      ? `Page flags decoded for ${kernelLabel(k)} (from ${k.origin ?? '?'}${k.archOrigin ? `; arm64 from ${k.archOrigin}` : ''}). Click to choose.`
      : 'No kernel detected: click to choose the release or layout family used to decode flags.';
    item.show();
  };
  context.subscriptions.push(
    item,
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('kmemmap.kernelVersion') && update()),
    trees.onDidChange(update),
    vscode.commands.registerCommand(CHOOSE_KERNEL_COMMAND, async () => {
      const picks: (vscode.QuickPickItem & { value: string })[] = [
        {
          label: 'Auto-detect',
          description: 'from the log (crash sys, dmesg banner), else the workspace tree',
          value: 'auto',
        },
        ...['6.1', '6.6', '6.12', '6.18'].map((v) => ({ label: v, description: 'release', value: v })),
        ...['6.12', '7.3'].map((v) => ({
          label: `${v}/arm64`,
          description: 'release, arm64 layout',
          value: `${v}/arm64`,
        })),
        ...LAYOUT_FAMILIES.map((f) => ({
          label: f.id,
          description: `flag layout family ${f.first}–${f.last}`,
          value: f.id,
        })),
      ];
      const p = await vscode.window.showQuickPick(picks, { title: 'Decode page flags for which kernel?' });
      if (!p) return;
      const target = vscode.workspace.workspaceFolders?.length
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
      await vscode.workspace
        .getConfiguration('kmemmap')
        .update('kernelVersion', p.value === 'auto' ? '' : p.value, target);
      update();
    }),
  );
  update();
}
