// Reads the kmemmap.debugger.* settings (package.json contributes.configuration).

import * as vscode from 'vscode';
import { DebuggerConfig, debuggerConfig } from './debuggerConfig';

export function readDebuggerConfig(): DebuggerConfig {
  const c = vscode.workspace.getConfiguration('kmemmap.debugger');
  return debuggerConfig({
    tool: c.get('tool'),
    vmlinux: c.get('vmlinux'),
    crashPath: c.get('crashPath'),
    drgnPath: c.get('drgnPath'),
    timeoutSeconds: c.get('timeoutSeconds'),
  });
}
