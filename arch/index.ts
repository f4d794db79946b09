// The architectures the readers know, and which one a dump belongs to.
import type { Architecture } from './architecture';
import type { VmcoreInfo } from '../parsers/vmcoreinfo';
import { X86_64 } from './x86_64';

export type { Architecture, Geometry } from './architecture';

export const ARCHITECTURES: readonly Architecture[] = [X86_64];

/** The architecture named by `uname -m` (or a kdump header's machine), if known. */
export function architectureNamed(machine: string): Architecture | undefined {
  return ARCHITECTURES.find((a) => a.name === machine);
}

/**
 * The architecture of a dump from what its header says (`machine`, e.g. a kdump utsname) and its
 * VMCOREINFO; a reason when it is none we read.
 */
export function architectureOfDump(machine: string | undefined, vi: VmcoreInfo): { arch: Architecture } | { error: string } {
  if (machine) {
    const arch = architectureNamed(machine);
    if (!arch) return { error: `this is a ${machine} dump; only ${ARCHITECTURES.map((a) => a.name).join(', ')} dumps are supported` };
    const why = arch.vmcoreinfoMismatch(vi);
    return why ? { error: why } : { arch };
  }
  for (const arch of ARCHITECTURES) if (!arch.vmcoreinfoMismatch(vi)) return { arch };
  return { error: X86_64.vmcoreinfoMismatch(vi)! };
}
