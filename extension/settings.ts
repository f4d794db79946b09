// The extension's settings (contributes.configuration in package.json), read in one place.

import * as vscode from 'vscode';
import type { OfflineRules, PaletteName, ViewSettings } from '../shared/protocol';

export function viewSettings(): ViewSettings {
  const c = vscode.workspace.getConfiguration('kmemmap');
  const palette = c.get<string>('palette') === 'high-contrast' ? 'high-contrast' : 'colorblind-safe';
  const offlineRules = c.get<string>('offlineRules') === 'skippable' ? 'skippable' : 'mainline';
  return { palette: palette as PaletteName, offlineRules: offlineRules as OfflineRules };
}

/** The user's kernel source tree for "open source" links, or undefined to use Elixir. */
export function kernelSourceTree(): string | undefined {
  const t = vscode.workspace.getConfiguration('kmemmap').get<string>('kernelSourceTree')?.trim();
  return t ? t : undefined;
}

export function affectsViewSettings(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration('kmemmap.palette') || e.affectsConfiguration('kmemmap.offlineRules');
}
