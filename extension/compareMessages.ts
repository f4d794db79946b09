// Messages between the extension host and the compare worker (extension/compareWorker.ts), which reads
// two snapshots off the extension host's main thread, compares them and keeps both for page details.

import type { PageDetail } from '../memmap/snapshot';
import type { SnapshotDiff } from '../memmap/snapshotDiff';
import type { DiffSectionDigest } from '../shared/diffProtocol';
import type { SnapshotSummary } from './workerMessages';
import type { FailedMessage } from './workerJob';

export interface CompareInput {
  path: string;
  extraPaths: string[];
}

/** What the worker sends once both snapshots are read and compared (no per-PFN data beyond the digest). */
export interface CompareResult {
  summaryA: SnapshotSummary;
  summaryB: SnapshotSummary;
  /** The diff without its runs (they stay in the worker: nextChange walks them). */
  diff: Omit<SnapshotDiff, 'runs'> & { runCount: number };
  outsideA: number;
  outsideB: number;
  digest: DiffSectionDigest;
  elapsedMs: number;
}

export type ToCompareWorker =
  | { type: 'open'; a: CompareInput; b: CompareInput }
  | { type: 'cancel' }
  | { type: 'detail'; id: number; side: 'a' | 'b'; pfn: number }
  | { type: 'sectionData'; id: number; startPfn: number; count: number }
  | { type: 'nextChange'; id: number; fromPfn: number; direction: 1 | -1; transition?: [number, number] };

export type FromCompareWorker =
  /** side: which snapshot is being read; done/total: its progress. */
  | { type: 'progress'; side: 'a' | 'b' | 'compare'; done: number; total: number }
  | { type: 'compared'; result: CompareResult }
  /** stack: of an unexpected error, for the log (never shown in the panel). */
  | FailedMessage
  | {
      type: 'reply';
      id: number;
      value?: PageDetail | { a: Uint8Array; b: Uint8Array; startPfn: number } | number | null;
      error?: string;
    };
