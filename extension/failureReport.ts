// What a user sees when a snapshot cannot be read: the message, the file and what to try — never a
// stack trace, which goes to the "Kernel Memmap" output channel instead. No vscode import.

import { SnapshotError } from '../parsers/errors';

export interface FailureReport {
  file: string;
  problem: string;
  hint?: string;
  /** The stack of an unexpected error, for the log only. */
  stack?: string;
}

export const INTERNAL_HINT =
  'this is a bug in Kernel Memmap Explorer, not in your file: the "Kernel Memmap" output channel has the details; please report them with the kind of file you opened';
const MAX_PROBLEM = 500;

/** The first line of an error's message, without a stack, bounded. */
export function plainMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const first = m.split('\n').find((l) => l.trim()) ?? 'unknown error';
  return first.length > MAX_PROBLEM ? first.slice(0, MAX_PROBLEM) + '…' : first;
}

/** The report for any error of reading `file`: a SnapshotError as it says, anything else as an internal error. */
export function failureReport(file: string, e: unknown): FailureReport {
  if (e instanceof SnapshotError)
    return {
      file: e.file,
      problem: e.problem,
      hint: e.hint,
      stack: 'detail' in e && typeof e.detail === 'string' ? e.detail : undefined,
    };
  return {
    file,
    problem: `internal error: ${plainMessage(e)}`,
    hint: INTERNAL_HINT,
    stack: e instanceof Error ? e.stack : undefined,
  };
}
