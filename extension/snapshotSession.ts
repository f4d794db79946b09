// One opened snapshot on the host: the class bytes, the summary, and the answers to the webview's
// requests. No vscode import; the panel glue (panelHost.ts) connects it to a webview.

import type { PageDetail } from '../memmap/snapshot';
import { blockingPages } from './blockingPages';
import { buildOverview } from './overview';
import type { ParsedSnapshot } from './parseWorkerClient';
import type { Overview, PageDetailInfo, ViewSettings } from '../shared/protocol';
import type { RequestHandlers } from '../shared/messageChannel';
import { PROTOCOL_VERSION } from '../shared/protocol';
import { sourceRefsFor } from './sourceRefs';

/** Largest sectionData answer: 2 Mi PFNs, 2 MiB of class bytes (64 x86_64 sections, 256 of arm64 with 16 KiB pages), so no message freezes the panel. */
export const MAX_SECTION_DATA_PFNS = 1 << 21;

export class SnapshotSession {
  /** The PFN the inspector last asked about (prefills "Ask crash/drgn About a Page"). */
  lastRequestedPfn?: number;
  /** When a panel last asked this session anything (the most recent one is the "active" snapshot). */
  lastUsedMs = Date.now();
  private readonly disposers: Array<() => unknown> = [];

  constructor(
    readonly uri: string,
    readonly title: string,
    readonly parsed: ParsedSnapshot,
  ) {}

  get summary() {
    return this.parsed.summary;
  }

  overview(settings: ViewSettings): Overview {
    return buildOverview(this.parsed.summary, this.title, settings);
  }

  /** Class bytes of [startPfn, startPfn + count), clipped to the snapshot, as a tight copy. */
  sectionData(startPfn: number, count: number): { startPfn: number; classes: Uint8Array } {
    this.lastUsedMs = Date.now();
    const first = this.parsed.summary.pfns.start;
    const from = Math.max(startPfn, first);
    const to = Math.min(startPfn + Math.min(count, MAX_SECTION_DATA_PFNS), this.parsed.summary.pfns.end);
    if (to <= from) return { startPfn: from, classes: new Uint8Array(0) };
    // slice(), not subarray(): VS Code ships a typed array's whole underlying buffer.
    return { startPfn: from, classes: this.parsed.classes.slice(from - first, to - first) };
  }

  pageDetail(pfn: number): Promise<PageDetail | undefined> {
    return this.parsed.pageDetail(pfn);
  }

  async pageDetailInfo(pfn: number): Promise<PageDetailInfo | null> {
    this.lastRequestedPfn = pfn;
    this.lastUsedMs = Date.now();
    const d = await this.parsed.pageDetail(pfn);
    if (!d) return null;
    const fromKpageflags = this.parsed.summary.input.format.startsWith('kpageflags');
    return { ...d, physAddr: '0x' + d.physAddr.toString(16), sources: sourceRefsFor(d.class, fromKpageflags) };
  }

  handlers(settings: () => ViewSettings): RequestHandlers {
    return {
      ready: (p) => {
        if (p.protocolVersion !== PROTOCOL_VERSION)
          throw new Error(`webview protocol ${p.protocolVersion}, host ${PROTOCOL_VERSION}: reload the window`);
        return this.overview(settings());
      },
      sectionData: (p) => this.sectionData(p.startPfn, p.count),
      pageDetail: (p) => this.pageDetailInfo(p.pfn),
      blockingPages: (p) => {
        const block = this.parsed.summary.blocks.find((b) => b.id === p.block);
        if (!block) throw new Error(`no memory block ${p.block}`);
        return blockingPages(this.parsed.classes, this.parsed.summary.pfns.start, block, p.rules, p.limit);
      },
    };
  }

  /** Runs fn when the session is disposed (e.g. to stop a crash/drgn process started for it). */
  onDispose(fn: () => unknown): void {
    this.disposers.push(fn);
  }

  dispose(): Promise<void> {
    for (const fn of this.disposers.splice(0)) {
      try {
        void Promise.resolve(fn()).catch(() => undefined);
      } catch {
        // a failing hook must not keep the snapshot open
      }
    }
    return this.parsed.dispose();
  }
}
