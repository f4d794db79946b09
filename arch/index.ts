// The architectures the readers know, and which one a dump belongs to.
import type { Architecture } from './architecture';
import type { VmcoreInfo } from '../parsers/vmcoreinfo';
import { X86_64 } from './x86_64';
import { ARM64 } from './arm64';

export type { Architecture, Geometry } from './architecture';

export const ARCHITECTURES: readonly Architecture[] = [X86_64, ARM64];

/** The architecture named by `uname -m` (or a kdump header's machine), if known. */
export function architectureNamed(machine: string): Architecture | undefined {
  return ARCHITECTURES.find((a) => a.name === machine || (machine === 'arm64' && a.name === 'aarch64'));
}

/** Machine names that say nothing: QEMU 7.2 writes "Unknown" into the kdump utsname of an aarch64 guest
 *  (its arm target defines no uname), so the VMCOREINFO decides. */
const PLACEHOLDER_MACHINES = new Set(['Unknown', 'unknown']);

/**
 * The architecture of a dump from what its header says (`machine`, e.g. a kdump utsname) and its
 * VMCOREINFO; a reason when it is none we read.
 */
export function architectureOfDump(
  machine: string | undefined,
  vi: VmcoreInfo,
): { arch: Architecture } | { error: string } {
  if (machine && !PLACEHOLDER_MACHINES.has(machine)) {
    const arch = architectureNamed(machine);
    if (!arch)
      return {
        error: `this is a ${machine} dump; only ${ARCHITECTURES.map((a) => a.name).join(', ')} dumps are supported`,
      };
    const why = arch.vmcoreinfoMismatch(vi);
    return why ? { error: why } : { arch };
  }
  for (const arch of ARCHITECTURES) if (!arch.vmcoreinfoMismatch(vi)) return { arch };
  return { error: `${X86_64.vmcoreinfoMismatch(vi)!}; nor is it arm64 (${ARM64.vmcoreinfoMismatch(vi)!})` };
}
