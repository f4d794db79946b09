// Which kernel a document is about: named in the text (crash sys, dmesg banner, VMCOREINFO, oops
// header), else the layout the flag names of its kmem -p rows pin, else the Linux tree the file belongs to, else the workspace tree, else the
// kmemmap.kernelVersion setting. And on which machine: what the text says (crash sys MACHINE, a release
// ending in -arm64, an arm64 pstate/el1h trace, VMCOREINFO keys; kernel/archFlags.ts), else the
// kmemmap.architecture setting, else x86_64. A text that says arm64 is never read with the x86_64 layout:
// when the tables have no arm64 layout for its release, the hover says so. Cached per document version.

import * as vscode from 'vscode';
import { detectKernelInText } from '../../kernel/knowledge/detectKernel';
import { familyFromListingText } from '../../parsers/tools/listingFamily';
import { resolveKernel, unknownKernelMessage, type KernelTarget } from '../../kernel/decode';
import { arm64HasLayout, detectArchInText, parseArch, ARM64_FIRST_RELEASE } from '../../kernel/archFlags';
import { enclosingLinuxTree, treeVersion } from '../../kernel/sourceIndex/detectTree';

const cache = new WeakMap<
  vscode.TextDocument,
  { version: number; settings: string; k: KernelTarget | undefined; outside?: string }
>();

const settingsKey = () =>
  `${settingKernel()}|${vscode.workspace.getConfiguration('kmemmap').get<string>('architecture') ?? 'auto'}`;

/** Why the kernel the document names has no tables (a release outside them), for the hover to say so. */
export function kernelOutsideTables(doc: vscode.TextDocument): string | undefined {
  const c = cache.get(doc);
  return c && c.version === doc.version && c.settings === settingsKey() ? c.outside : undefined;
}

export function settingKernel(): string {
  return vscode.workspace.getConfiguration('kmemmap').get<string>('kernelVersion') ?? '';
}

/** kmemmap.architecture: "x86_64", "arm64", or "auto"/unset (undefined). */
export function settingArch(): ReturnType<typeof parseArch> {
  const v = vscode.workspace.getConfiguration('kmemmap').get<string>('architecture') ?? 'auto';
  return v === 'auto' ? undefined : parseArch(v);
}

export function kernelForDocument(
  doc: vscode.TextDocument,
  workspaceTreeVersion: () => string | undefined,
): KernelTarget | undefined {
  const c = cache.get(doc);
  const settings = settingsKey();
  if (c && c.version === doc.version && c.settings === settings) return c.k;
  const forced = settingKernel();
  const text = doc.getText(new vscode.Range(0, 0, Math.min(doc.lineCount, 20000), 0));
  const saidArch = detectArchInText(text);
  const setArch = saidArch ? undefined : settingArch();
  const arch = saidArch?.arch ?? setArch;
  const archOrigin = saidArch ? saidArch.origin : setArch ? 'setting kmemmap.architecture' : undefined;
  const resolve = (spec: string, origin: string) => resolveKernel(spec, origin, arch, archOrigin);
  let k: KernelTarget | undefined;
  let outside: string | undefined;
  // An explicit choice in the status bar wins only when it is not "auto".
  if (forced && forced !== 'auto') k = resolve(forced, 'setting kmemmap.kernelVersion');
  if (!k) {
    const found = detectKernelInText(text);
    if (found) k = resolve(found.release, found.origin);
    if (found && !k) outside = `${unknownKernelMessage(found.release, arch)} (named by ${found.origin})`;
    // No release named: a kmem -p listing's flag names may still pin the layout (as when it is opened as a snapshot).
    const listed = found ? undefined : familyFromListingText(text);
    if (listed && arch === 'aarch64' && !arm64HasLayout(listed.family))
      outside = `the listing's flag names pin layout ${listed.family.id}, but the arm64 layout is in the tables from ${ARM64_FIRST_RELEASE} on`;
    else if (listed)
      k = {
        family: listed.family,
        origin: listed.origin,
        ...(arch === 'aarch64' ? { arch, ...(archOrigin ? { archOrigin } : {}) } : {}),
      };
  }
  // a document that names a release outside the tables is not read with a tree's tables: it says so instead
  if (!k && !outside && doc.uri.scheme === 'file') {
    const root = enclosingLinuxTree(doc.uri.fsPath);
    const v = root ? treeVersion(root) : undefined;
    if (v) k = resolve(v, `the kernel tree of this file (${root})`);
  }
  if (!k && !outside) {
    const tv = workspaceTreeVersion();
    if (tv) k = resolve(tv, 'workspace kernel tree');
  }
  if (!k && !outside && saidArch?.arch === 'aarch64')
    outside = `the text is from an arm64 machine (${saidArch.origin}) but names no release with an arm64 flag layout (${ARM64_FIRST_RELEASE} and later): set kmemmap.kernelVersion, e.g. 6.12/arm64`;
  cache.set(doc, { version: doc.version, settings, k, outside: k ? undefined : outside });
  return k;
}
