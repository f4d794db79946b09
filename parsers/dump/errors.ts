// Typed error for every dump problem: names the file and says what is wrong (and how to fix it, if we know).
import { SnapshotError } from '../errors';

export type DumpProblem =
  | 'not-a-dump'
  | 'truncated'
  | 'corrupt'
  | 'unsupported'
  | 'no-vmcoreinfo'
  | 'wrong-arch'
  | 'io'
  | 'aborted'
  | 'inconsistent-set';

export class DumpError extends SnapshotError {
  constructor(
    file: string,
    readonly kind: DumpProblem,
    problem: string,
    hint?: string,
  ) {
    super(file, problem, hint);
    this.name = 'DumpError';
  }
}

export const NO_VMCOREINFO_HINT =
  'the dump has no VMCOREINFO note, which this reader needs to find the memmap without debuginfo. ' +
  'Take the dump with kdump (/proc/vmcore always carries it), or from QEMU start the guest with ' +
  '`-device vmcoreinfo` and make sure the guest loaded the qemu_fw_cfg module (CONFIG_FW_CFG_SYSFS) before `dump-guest-memory`';
