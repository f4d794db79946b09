// Messages between the extension host and the parse worker (extension/parseWorker.ts).
// Kept apart from the webview protocol: this pipe carries Node structured clones (bigint, typed
// arrays transferred without copying), the webview pipe carries JSON plus typed arrays.

import type { PageDetail } from '../memmap/snapshot';
import type { summaryJson } from '../memmap/summaryJson';
import type { FailedMessage } from './workerJob';

export type SnapshotSummary = ReturnType<typeof summaryJson>;

export type ToWorker =
  | { type: 'open'; path: string; extraPaths: string[] }
  | { type: 'detail'; id: number; pfn: number }
  | { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; done: number; total: number }
  /** classes: one class byte per PFN from summary.pfns.start; its buffer is transferred. */
  | { type: 'opened'; summary: SnapshotSummary; classes: Uint8Array; elapsedMs: number }
  /** stack: of an unexpected error, for the log (never shown in the panel). */
  | FailedMessage
  | { type: 'detail'; id: number; detail: PageDetail | undefined; error?: string };
