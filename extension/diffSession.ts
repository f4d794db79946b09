// One comparison on the host: the two snapshots compared in the compare worker, and the answers to the
// diff panel's requests. No vscode import; the panel glue (diffPanel.ts) connects it to a webview.

import { CLASS_ID, isPageClass } from '../kernel/pageClasses';
import type { PageDetail } from '../memmap/snapshot';
import type { ComparedSnapshots } from './compareWorkerClient';
import type { RequestHandlers } from '../shared/messageChannel';
import {
  DIM_UNCHANGED,
  NOT_UNIFORM,
  type DiffBlockRow,
  type DiffOverview,
  type DiffSideInfo,
} from '../shared/diffProtocol';
import { buildOverview } from './overview';
import type { BlockInfo, PageDetailInfo, SectionInfo, ViewSettings } from '../shared/protocol';
import { PROTOCOL_VERSION } from '../shared/protocol';
import { MAX_SECTION_DATA_PFNS } from './snapshotSession';
import { sourceRefsFor } from './sourceRefs';
import type { SnapshotSummary } from './workerMessages';

function sideInfo(s: SnapshotSummary, title: string, outsideClass: number): DiffSideInfo {
  return {
    title,
    format: s.input.format,
    files: s.input.files,
    release: s.kernel.release,
    layoutFamily: s.kernel.layoutFamily,
    machine: s.kernel.machine,
    pageSize: s.kernel.pageSize,
    startPfn: s.pfns.start,
    endPfn: s.pfns.end,
    outsideClass,
    warnings: s.warnings,
  };
}

const classId = (name: string) => (isPageClass(name) ? CLASS_ID[name] : CLASS_ID.unknown);

type Overview = ReturnType<typeof buildOverview>;

/** The compared range on the section grid: origin is the first section's first pfn, pps pfns per section. */
interface DiffGrid {
  start: number;
  end: number;
  origin: number;
  pps: number;
}

/** Sections of the compared range: b's where it has one, else a's; counts and uniform class in display bytes. */
function diffSections(
  digest: ComparedSnapshots['result']['digest'],
  oa: Overview,
  ob: Overview,
  { start, end, origin, pps }: DiffGrid,
): SectionInfo[] {
  const byNr = new Map<number, SectionInfo>();
  for (const s of oa.sections) byNr.set(s.nr, s);
  for (const s of ob.sections) byNr.set(s.nr, s);
  const sections: SectionInfo[] = [];
  for (let i = 0; i < digest.uniformA.length; i++) {
    const nr = origin / pps + i;
    const known = byNr.get(nr);
    const from = Math.max(start, origin + i * pps),
      to = Math.min(end, origin + (i + 1) * pps);
    const ua = digest.uniformA[i],
      ub = digest.uniformB[i];
    const uniform = ua !== NOT_UNIFORM && ub !== NOT_UNIFORM ? (ua === ub ? DIM_UNCHANGED + ua : ub) : undefined;
    const bothAbsent = ua === ub && ua === CLASS_ID['no-memmap'];
    if (!known && bothAbsent) continue; // a hole on both sides: folded like the single panel's
    const s: SectionInfo = {
      ...(known ?? { nr, startPfn: from, nrPfns: to - from, state: 'absent' as const }),
      counts: uniform !== undefined ? [[uniform, to - from]] : (digest.countsNew[i] ?? []),
    };
    if (bothAbsent) s.state = 'absent';
    if (uniform !== undefined) s.uniformClass = uniform;
    else delete s.uniformClass;
    sections.push(s);
  }
  return sections;
}

/** The map's blocks: b's where it has one, else a's, by id. */
function mapBlocksOf(oa: Overview, ob: Overview): BlockInfo[] {
  const blocksById = new Map<number, BlockInfo>();
  for (const blk of oa.blocks) blocksById.set(blk.id, blk);
  for (const blk of ob.blocks) blocksById.set(blk.id, blk);
  return [...blocksById.values()].sort((x, y) => x.id - y.id);
}

/** One row per block of the diff, with each side's state and the pages changed in it. */
function diffBlockRows(
  c: ComparedSnapshots['result'],
  oa: Overview,
  ob: Overview,
  { origin, pps }: DiffGrid,
): DiffBlockRow[] {
  const { diff, digest } = c;
  const changedIn = (startPfn: number, nrPfns: number) => {
    let n = 0;
    for (
      let i = Math.max(0, Math.floor((startPfn - origin) / pps));
      i < digest.changed.length && origin + i * pps < startPfn + nrPfns;
      i++
    )
      n += digest.changed[i];
    return n;
  };
  const blockA = new Map(oa.blocks.map((x) => [x.id, x])),
    blockB = new Map(ob.blocks.map((x) => [x.id, x]));
  const side = (x: BlockInfo | undefined) =>
    x ? { state: x.state, zones: x.zones, mainline: x.mainline, skippable: x.skippable } : undefined;
  return diff.blocks.map((row) => {
    const id = Number(row.block.replace(/^memory/, ''));
    const x = blockA.get(id),
      y = blockB.get(id);
    const any = (y ?? x)!;
    return {
      id,
      startPfn: any.startPfn,
      nrPfns: any.nrPfns,
      changedPages: changedIn(any.startPfn, any.nrPfns),
      a: side(x),
      b: side(y),
    };
  });
}

/** The diff panel's first message, from the worker's result. */
export function buildDiffOverview(
  c: ComparedSnapshots['result'],
  titles: [string, string],
  settings: ViewSettings,
): DiffOverview {
  const { diff, digest } = c;
  const oa = buildOverview(c.summaryA, titles[0], settings);
  const ob = buildOverview(c.summaryB, titles[1], settings);
  const pps = ob.pfnsPerSection;
  const start = diff.compared.start,
    end = diff.compared.end;
  const grid: DiffGrid = { start, end, origin: Math.floor(start / pps) * pps, pps };
  const sections = diffSections(digest, oa, ob, grid);
  const mapBlocks = mapBlocksOf(oa, ob);
  const blocks = diffBlockRows(c, oa, ob, grid);
  const transitions = diff.transitions.map(([f, t, n]) => [classId(f), classId(t), n] as [number, number, number]);
  return {
    protocolVersion: PROTOCOL_VERSION,
    title: `${titles[0]} ↔ ${titles[1]}`,
    a: sideInfo(c.summaryA, titles[0], c.outsideA),
    b: sideInfo(c.summaryB, titles[1], c.outsideB),
    map: {
      ...ob,
      title: `${titles[0]} ↔ ${titles[1]}`,
      startPfn: start,
      endPfn: end,
      sections,
      blocks: mapBlocks,
      warnings: [],
    },
    transitions,
    changedPages: transitions.reduce((n, t) => n + t[2], 0),
    blocks,
    digest,
  };
}

export class DiffSession {
  constructor(
    readonly uris: [string, string],
    readonly titles: [string, string],
    readonly compared: ComparedSnapshots,
  ) {}

  get result() {
    return this.compared.result;
  }

  overview(settings: ViewSettings): DiffOverview {
    return buildDiffOverview(this.compared.result, this.titles, settings);
  }

  private async detailInfo(side: 'a' | 'b', pfn: number): Promise<PageDetailInfo | null> {
    const d: PageDetail | null = await this.compared.pageDetail(side, pfn);
    if (!d) return null;
    const fmt = (side === 'a' ? this.result.summaryA : this.result.summaryB).input.format;
    return {
      ...d,
      physAddr: '0x' + d.physAddr.toString(16),
      sources: sourceRefsFor(d.class, fmt.startsWith('kpageflags')),
    };
  }

  /** Both sides of a page, as the single panel's inspector reads one. */
  async pageDetail(pfn: number): Promise<{ a: PageDetailInfo | null; b: PageDetailInfo | null }> {
    const [a, b] = await Promise.all([this.detailInfo('a', pfn), this.detailInfo('b', pfn)]);
    return { a, b };
  }

  handlers(settings: () => ViewSettings): RequestHandlers {
    const { start, end } = this.result.diff.compared;
    return {
      diffReady: (p) => {
        if (p.protocolVersion !== PROTOCOL_VERSION)
          throw new Error(`webview protocol ${p.protocolVersion}, host ${PROTOCOL_VERSION}: reload the window`);
        return this.overview(settings());
      },
      diffSectionData: (p) => {
        const from = Math.max(start, p.startPfn);
        const to = Math.min(end, p.startPfn + Math.min(p.count, MAX_SECTION_DATA_PFNS));
        return this.compared.sectionData(from, Math.max(0, to - from));
      },
      diffPageDetail: (p) => this.pageDetail(p.pfn),
      nextChange: (p) => this.compared.nextChange(p.fromPfn, p.direction, p.transition),
    };
  }

  dispose(): Promise<void> {
    return this.compared.dispose();
  }
}
