// The one message protocol between the extension host and the snapshot webview. Imported by both
// sides (extension/ and webview/); keep it free of vscode and DOM imports.
//
// Order of a session: the webview sends `ready`; the host answers with the Overview (kernel, PFN
// range, sections, blocks, counts, warnings: a few KiB, no per-PFN data). The webview then asks for
// the class bytes of the sections it shows (`sectionData`, a typed array per request, never the
// whole machine), page details by PFN, and the blocking pages of a block.

import type { BlockState, PageDetail, Section } from '../memmap/snapshot';
import type { DiffRequests } from './diffProtocol';

/** PFN ranges [start, end) in messages and on both sides (kernel/pfnRange.ts). */
export type { PfnRange } from '../kernel/pfnRange';

export const PROTOCOL_VERSION = 1;

/** Sparse class counts: [classId, count] pairs, only non-zero ones. */
export type ClassCounts = [number, number][];

export interface VerdictInfo {
  ok: boolean | null;
  reason?: string;
  errno?: string;
  blockingPfn?: number;
  blockingClass?: string;
  explanation: string;
}

/** A Section on the wire: class counts as sparse pairs. */
export type SectionInfo = Omit<Section, 'counts'> & {
  counts: ClassCounts;
  /** Set when every PFN of the section has this class: the webview fills it without asking. */
  uniformClass?: number;
};

export interface BlockInfo {
  id: number;
  startPfn: number;
  nrPfns: number;
  state: BlockState;
  zones?: string[];
  node?: number;
  removable?: boolean;
  counts: ClassCounts;
  mainline?: VerdictInfo;
  skippable?: VerdictInfo;
}

export type OfflineRules = 'mainline' | 'skippable';
export type PaletteName = 'colorblind-safe' | 'high-contrast';

export interface ViewSettings {
  palette: PaletteName;
  offlineRules: OfflineRules;
}

export interface Overview {
  protocolVersion: number;
  /** Display name of what was opened (file or folder name). */
  title: string;
  format: string;
  files: string[];
  notes: string[];
  /**
   * The kernel and the machine's geometry: `machine` is `uname -m` ("x86_64", "aarch64"; absent when the
   * input does not say), `pageSize` the base page in bytes (4, 16 or 64 KiB on arm64) and `pageShift` its
   * log2; with pfnsPerSection and pfnsPerBlock below they are all the panel knows of page sizes
   * (shared/geometry.ts turns them into addresses and sizes).
   */
  kernel: {
    release?: string;
    version?: string;
    machine?: string;
    layoutFamily?: string;
    pageSize: number;
    pageShift: number;
  };
  startPfn: number;
  endPfn: number;
  pfnsPerSection: number;
  pfnsPerBlock: number;
  /** The class vocabulary in id order (kernel/pageClasses.ts), with one-line descriptions. */
  classNames: string[];
  classDescriptions: string[];
  counts: ClassCounts;
  sections: SectionInfo[];
  blocks: BlockInfo[];
  warnings: string[];
  settings: ViewSettings;
}

/** Class bytes of PFNs [startPfn, startPfn + classes.length). */
export interface SectionData {
  startPfn: number;
  classes: Uint8Array;
}

/** PageDetail made JSON-safe (physAddr as hex), with the kernel source worth reading for it. */
export type PageDetailInfo = Omit<PageDetail, 'physAddr'> & {
  physAddr: string;
  /** Kernel source locations worth reading for this page's state. */
  sources: SourceRef[];
};

export interface SourceRef {
  /** What to show, e.g. "PageOffline()". */
  label: string;
  /** Path inside the kernel tree, e.g. "include/linux/page-flags.h". */
  path: string;
  /** Identifier to search for when the line is unknown. */
  symbol?: string;
}

export interface BlockingPage {
  pfn: number;
  classId: number;
}

/** Requests the webview sends, each with the body type of its answer (the diff panel's: diffProtocol.ts). */
export interface Requests extends DiffRequests {
  ready: { params: { protocolVersion: number }; result: Overview };
  sectionData: { params: { startPfn: number; count: number }; result: SectionData };
  pageDetail: { params: { pfn: number }; result: PageDetailInfo | null };
  blockingPages: {
    params: { block: number; rules: OfflineRules; limit: number };
    result: { pages: BlockingPage[]; total: number };
  };
}
export type RequestName = keyof Requests;

/** Events the webview sends (no answer). */
export type WebviewEvent =
  | { type: 'openSource'; ref: SourceRef }
  /** Ask the configured crash/drgn about a page (kmemmap.askDebugger); the host says what to set up when nothing is configured. */
  | { type: 'askDebugger'; pfn: number }
  | { type: 'log'; message: string }
  | { type: 'retry' };

/** Events the host sends (no answer). */
export type HostEvent =
  | { type: 'progress'; message: string; fraction?: number }
  | { type: 'failed'; file: string; problem: string; hint?: string }
  | { type: 'settings'; settings: ViewSettings }
  | { type: 'reveal'; pfn: number };

/** Wire envelopes. */
export type Envelope =
  | { kind: 'request'; id: number; name: RequestName; params: unknown }
  | { kind: 'response'; inReplyTo: number; result?: unknown; error?: string }
  | { kind: 'event'; event: WebviewEvent | HostEvent };

/** Blocks of the overview are ordered by id; sections by nr. Both are looked up by PFN here. */
export function findByPfn<T extends { startPfn: number; nrPfns: number }>(items: T[], pfn: number): T | undefined {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const it = items[mid];
    if (pfn < it.startPfn) hi = mid - 1;
    else if (pfn >= it.startPfn + it.nrPfns) lo = mid + 1;
    else return it;
  }
  return undefined;
}
