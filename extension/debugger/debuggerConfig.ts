// Which tool to run and how (from the kmemmap.debugger.* settings), the backend spec for a dump, and
// the messages that say what to fix when it fails. Pure: no vscode import.

import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BackendError, BackendSpec, crashBackendSpec, drgnBackendSpec } from '../../backends/toolBackend';

export type DebuggerTool = 'none' | 'drgn' | 'crash';

export interface DebuggerConfig {
  tool: DebuggerTool;
  vmlinux: string;
  crashPath: string;
  /** A Python interpreter with the drgn module, or the `drgn` launcher script (its interpreter is used). */
  drgnPath: string;
  timeoutMs: number;
}

export const DEFAULT_CONFIG: DebuggerConfig = {
  tool: 'none',
  vmlinux: '',
  crashPath: 'crash',
  drgnPath: 'drgn',
  timeoutMs: 120_000,
};

/** Config from raw setting values, with defaults for anything missing or malformed. */
export function debuggerConfig(raw: {
  tool?: unknown;
  vmlinux?: unknown;
  crashPath?: unknown;
  drgnPath?: unknown;
  timeoutSeconds?: unknown;
}): DebuggerConfig {
  const str = (v: unknown, d: string) => (typeof v === 'string' && v.trim() ? v.trim() : d);
  const tool = raw.tool === 'drgn' || raw.tool === 'crash' ? raw.tool : 'none';
  const secs =
    typeof raw.timeoutSeconds === 'number' && raw.timeoutSeconds > 0
      ? raw.timeoutSeconds
      : DEFAULT_CONFIG.timeoutMs / 1000;
  return {
    tool,
    vmlinux: str(raw.vmlinux, ''),
    crashPath: str(raw.crashPath, DEFAULT_CONFIG.crashPath),
    drgnPath: str(raw.drgnPath, DEFAULT_CONFIG.drgnPath),
    timeoutMs: Math.round(secs * 1000),
  };
}

/** The interpreter to run our drgn loop with: drgnPath itself, or the `#!` interpreter of a drgn launcher script. */
export function drgnPython(
  drgnPath: string,
  firstLine: (path: string) => string | undefined = readFirstLine,
  which: (name: string) => string | undefined = onPath,
): string {
  if (!/(^|\/)drgn$/.test(drgnPath)) return drgnPath;
  const launcher = drgnPath.includes('/') ? drgnPath : which(drgnPath);
  // No launcher on PATH: the Debian interpreter python3-drgn installs into (not a pyenv/venv shim).
  if (!launcher) return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(firstLine(launcher) ?? '');
  if (!m) return 'python3';
  return /(^|\/)env$/.test(m[1]) && m[2] ? m[2] : m[1];
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

function readFirstLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').slice(0, 300).split('\n')[0];
  } catch {
    return undefined;
  }
}

/**
 * Why no external tool may run in this window (undefined: it may). In Restricted Mode a cloned
 * repository must not be able to make us run a program, whatever the settings say.
 */
export function trustProblem(workspaceTrusted: boolean): string | undefined {
  return workspaceTrusted
    ? undefined
    : 'this workspace is in Restricted Mode: crash and drgn are not run here (snapshots and hovers still work); trust the workspace (Manage Workspace Trust) to ask them';
}

/** Why the configuration cannot run, before starting anything (undefined: go ahead). */
export function configProblem(c: DebuggerConfig): string | undefined {
  if (c.tool === 'none')
    return 'no debugger is configured: set "kmemmap.debugger.tool" to drgn or crash (it is never required)';
  if (!c.vmlinux)
    return `${c.tool} needs the kernel's vmlinux with debug info: set "kmemmap.debugger.vmlinux" (Debian: the linux-image-<release>-dbg package, /usr/lib/debug/boot/vmlinux-<release>)`;
  return undefined;
}

/** Dump formats the tools cannot open directly, with what to do. */
export function dumpProblem(format: string, tool: DebuggerTool): string | undefined {
  if (!/^(elf|kdump)/.test(format)) return `this snapshot (${format}) is not a vmcore; ${tool} needs the dump file`;
  if (format.startsWith('kdump-flattened') || format === 'elf-flattened')
    return tool === 'drgn'
      ? `drgn cannot read makedumpfile's flattened format (${format}): reassemble it with \`makedumpfile -R vmcore.out < dump\` and open that`
      : undefined;
  return undefined;
}

export function backendSpec(c: DebuggerConfig, dumpPath: string): BackendSpec {
  if (c.tool === 'crash') return crashBackendSpec(c.crashPath, c.vmlinux, dumpPath);
  if (c.tool === 'drgn') return drgnBackendSpec(drgnPython(c.drgnPath), c.vmlinux, dumpPath);
  throw new Error('no debugger configured');
}

/** A message that says what went wrong and what to fix. */
export function failureMessage(e: unknown, c: DebuggerConfig): string {
  const setting = c.tool === 'crash' ? 'kmemmap.debugger.crashPath' : 'kmemmap.debugger.drgnPath';
  if (e instanceof BackendError) {
    if (e.kind === 'spawn')
      return `${c.tool} could not be started (${e.message}). Install it (Debian: apt-get install ${c.tool === 'crash' ? 'crash' : 'python3-drgn'}) or set "${setting}".`;
    if (e.kind === 'timeout')
      return `${e.message}. Raise "kmemmap.debugger.timeoutSeconds" if the dump is large or the machine is busy.`;
    if (e.kind === 'cancelled') return `Cancelled; ${c.tool} was stopped (it starts again on the next question).`;
    const m = e.message;
    if (/No module named .?drgn/.test(m + e.output))
      return `the Python in "${setting}" has no drgn module: install python3-drgn or point the setting at the drgn launcher.`;
    if (/do not match|mismatch|not a supported|no debugging data|cannot find|could not find/i.test(m + e.output))
      return `${m}. Check "kmemmap.debugger.vmlinux": it must be the vmlinux with debug info of exactly the dump's kernel.`;
    return `${m}. Check "kmemmap.debugger.vmlinux" (the dump's own kernel, with debug info) and the "Kernel Memmap" log.`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** The vmlinux does not belong to the dump when the release the tool reads differs from VMCOREINFO's. */
export function releaseMismatch(
  toolRelease: string | undefined,
  dumpRelease: string | undefined,
  vmlinux: string,
): string | undefined {
  if (!toolRelease || !dumpRelease || toolRelease === dumpRelease) return undefined;
  return `the vmlinux ${vmlinux} does not match the dump: the tool reads kernel release "${toolRelease}", VMCOREINFO says "${dumpRelease}". Set "kmemmap.debugger.vmlinux" to the vmlinux of ${dumpRelease}.`;
}
