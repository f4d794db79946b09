// Which kernel a document is about: named in the text (crash sys, dmesg banner, VMCOREINFO, oops
// header), else the layout the flag names of its kmem -p rows pin, else the Linux tree the file belongs to, else the workspace tree, else the
// kmemmap.kernelVersion setting. Cached per document version.

import * as vscode from 'vscode';
import { detectKernelInText } from '../../kernel/knowledge/detectKernel';
import { familyFromListingText } from '../../parsers/tools/listingFamily';
import { resolveKernel, unknownKernelMessage, type KernelTarget } from '../../kernel/decode';
import { enclosingLinuxTree, treeVersion } from '../../kernel/sourceIndex/detectTree';

const cache = new WeakMap<vscode.TextDocument, { version: number; k: KernelTarget | undefined; outside?: string }>();

/** Why the kernel the document names has no tables (a release outside them), for the hover to say so. */
export function kernelOutsideTables(doc: vscode.TextDocument): string | undefined {
  const c = cache.get(doc);
  return c && c.version === doc.version ? c.outside : undefined;
}

export function settingKernel(): string {
  return vscode.workspace.getConfiguration('kmemmap').get<string>('kernelVersion') ?? '';
}

export function kernelForDocument(
  doc: vscode.TextDocument,
  workspaceTreeVersion: () => string | undefined,
): KernelTarget | undefined {
  const c = cache.get(doc);
  if (c && c.version === doc.version) return c.k;
  const forced = settingKernel();
  let k: KernelTarget | undefined;
  let outside: string | undefined;
  // An explicit choice in the status bar wins only when it is not "auto".
  if (forced && forced !== 'auto') k = resolveKernel(forced, 'setting kmemmap.kernelVersion');
  if (!k) {
    const text = doc.getText(new vscode.Range(0, 0, Math.min(doc.lineCount, 20000), 0));
    const found = detectKernelInText(text);
    if (found) k = resolveKernel(found.release, found.origin);
    if (found && !k) outside = `${unknownKernelMessage(found.release)} (named by ${found.origin})`;
    // No release named: a kmem -p listing's flag names may still pin the layout (as when it is opened as a snapshot).
    const listed = found ? undefined : familyFromListingText(text);
    if (listed) k = { family: listed.family, origin: listed.origin };
  }
  // a document that names a release outside the tables is not read with a tree's tables: it says so instead
  if (!k && !outside && doc.uri.scheme === 'file') {
    const root = enclosingLinuxTree(doc.uri.fsPath);
    const v = root ? treeVersion(root) : undefined;
    if (v) k = resolveKernel(v, `the kernel tree of this file (${root})`);
  }
  if (!k && !outside) {
    const tv = workspaceTreeVersion();
    if (tv) k = resolveKernel(tv, 'workspace kernel tree');
  }
  cache.set(doc, { version: doc.version, k, outside: k ? undefined : outside });
  return k;
}
