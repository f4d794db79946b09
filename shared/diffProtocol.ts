// Message types of the diff panel (two snapshots compared), beside the single panel's protocol.ts and
// carried by the same channel (its Requests name them). No vscode or DOM imports.
//
// Order of a diff session: the webview sends `diffReady`; the host answers with the DiffOverview (both
// sides' identity, the transition matrix, the changed blocks, a per-section digest: no per-PFN data).
// The webview then asks for the two sides' class bytes of the sections it shows (`diffSectionData`),
// both sides of a page (`diffPageDetail`) and the next changed page (`nextChange`).

import type { BlockInfo, Overview, PageDetailInfo, VerdictInfo } from './protocol';

/**
 * The map of a diff shows one display byte per PFN: a changed page is its class id (full colour), an
 * unchanged page DIM_UNCHANGED + class id, a changed page outside the transition filter
 * DIM_FILTERED + class id. Class ids are below 64 (memmap/classes.ts).
 */
export const DIM_UNCHANGED = 64;
export const DIM_FILTERED = 128;
/** A digest byte: the section is not uniform on that side. */
export const NOT_UNIFORM = 255;

export interface DiffSideInfo {
  title: string;
  format: string;
  files: string[];
  release?: string;
  layoutFamily?: string;
  /** `uname -m` of the side ("x86_64", "aarch64"), when its input says. */
  machine?: string;
  /** Base page size in bytes (equal on both sides: snapshotDiff refuses others). */
  pageSize: number;
  startPfn: number;
  endPfn: number;
  /** What this side says about PFNs outside its range: no-memmap (dumps, captures) or not-in-listing. */
  outsideClass: number;
  warnings: string[];
}

/** One side of a changed memory block (absent: the snapshot has no such block). */
export interface DiffBlockSide {
  state: string;
  zones?: string[];
  mainline?: VerdictInfo;
  skippable?: VerdictInfo;
}

export interface DiffBlockRow {
  id: number;
  startPfn: number;
  nrPfns: number;
  /** Changed pages in the block. */
  changedPages: number;
  a?: DiffBlockSide;
  b?: DiffBlockSide;
}

/** Per section of the compared range (index i = section (map.startPfn rounded down) / pfnsPerSection + i). */
export interface DiffSectionDigest {
  /** The class of every PFN of the section on that side, or NOT_UNIFORM. */
  uniformA: Uint8Array;
  uniformB: Uint8Array;
  /** Changed pages per section. */
  changed: number[];
  /** Display-byte counts of non-uniform sections (null for the others), showing the new / the old class. */
  countsNew: ([number, number][] | null)[];
  countsOld: ([number, number][] | null)[];
}

export interface DiffOverview {
  protocolVersion: number;
  title: string;
  a: DiffSideInfo;
  b: DiffSideInfo;
  /**
   * What the map, its labels and the search work on: the compared PFN range, the sections (display-byte
   * counts showing the new class) and the memory blocks of b (else a). classNames is the class vocabulary.
   */
  map: Overview;
  /** [fromClassId, toClassId, pages], most pages first; they add up to changedPages. */
  transitions: [number, number, number][];
  changedPages: number;
  /** Blocks whose state, zones or verdict under either rule set differs. */
  blocks: DiffBlockRow[];
  digest: DiffSectionDigest;
}

/** Both sides' class bytes of PFNs [startPfn, startPfn + a.length); outside a side's range its outside class. */
export interface DiffSectionData {
  startPfn: number;
  a: Uint8Array;
  b: Uint8Array;
}

export interface DiffPageDetail {
  a: PageDetailInfo | null;
  b: PageDetailInfo | null;
}

export interface DiffRequests {
  diffReady: { params: { protocolVersion: number }; result: DiffOverview };
  diffSectionData: { params: { startPfn: number; count: number }; result: DiffSectionData };
  diffPageDetail: { params: { pfn: number }; result: DiffPageDetail };
  /** The first changed PFN after (direction 1) or before (-1) fromPfn, of one transition if given; null: none. */
  nextChange: { params: { fromPfn: number; direction: 1 | -1; transition?: [number, number] }; result: number | null };
}

export type { BlockInfo };
