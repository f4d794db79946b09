// One reader per crash command kind (kmem -p, dev -i, kmem -m, kmem -n, kmem -i, kmem -f, kmem -g,
// sys, sym, struct page), in a table over one accumulator: what the segments of a crash session or
// drgn REPL log say, before the session's later phases (crashSession.ts) place kmem -m members and
// struct page prints.
import { parseKmemG } from './crashKmemG';
import { parseKmemF, parseKmemI } from './crashKmemInfo';
import { parseKmemN } from './crashKmemN';
import { parseDevI, virtioMemPfnRanges } from './crashDevI';
import { parseKmemP } from './crashKmemP';
import { parseCrashSym, parseCrashSys } from './crashSys';
import type { ToolBlock, ToolSection, ToolZone } from './drgnExport';
import { PageImage } from './pageImage';
import { commandWords, LogSegment } from './sessionLog';
import { parseStructPageDumps, StructPageValues } from './structPageDump';
import { FlagNameEvidence } from './kmemPFlagNames';
import type { PfnRange } from '../../kernel/pfnRange';

export type CommandKind =
  'dev-i' | 'kmem-m' | 'kmem-p' | 'kmem-n' | 'kmem-i' | 'kmem-f' | 'kmem-g' | 'sys' | 'sym' | 'struct-page';

/** A struct page print, the log line of its segment and the PFN its command named (drgn `pfn_to_page`). */
export interface StructPagePrint {
  v: StructPageValues;
  line: number;
  pfn?: number;
}

/** What the segments of a log have said so far. */
export interface SessionFacts {
  warnings: string[];
  notes: string[];
  image: PageImage;
  release?: string;
  machine?: string;
  /** enum pageflags from `kmem -g`. */
  pageflags?: Map<string, number>;
  symbols: Map<string, bigint>;
  sections: ToolSection[];
  zones: ToolZone[];
  blocks: ToolBlock[];
  vmemmap?: bigint;
  dumps: StructPagePrint[];
  /** struct page fields the log printed. */
  known: Set<string>;
  kmemPRows: number;
  nameEvidence: FlagNameEvidence;
  /** A crash prompt or a kmem -p listing was seen / a drgn prompt was seen. */
  crash: boolean;
  drgn: boolean;
  /** Commands read by no handler. */
  ignored: Set<string>;
  /** kmem -m segments, read once the pages they describe are known. */
  memberListings: LogSegment[];
  virtioMem?: PfnRange[];
}

export function newSessionFacts(warnings: string[], notes: string[]): SessionFacts {
  return {
    warnings,
    notes,
    image: new PageImage(),
    symbols: new Map(),
    sections: [],
    zones: [],
    blocks: [],
    dumps: [],
    known: new Set(),
    kmemPRows: 0,
    nameEvidence: new FlagNameEvidence(),
    crash: false,
    drgn: false,
    ignored: new Set(),
    memberListings: [],
  };
}

/** drgn 0.0.33+ runs crash commands in its REPL as `%crash kmem -p` (CNT printed in hex there). */
export function drgnCrashCommand(seg: LogSegment): string | undefined {
  return seg.prompt === 'drgn' ? /^%crash\s+(.*)$/.exec(seg.command ?? '')?.[1] : undefined;
}

function readKmemP(seg: LogSegment, acc: SessionFacts): void {
  const { notes, warnings } = acc;
  const r = parseKmemP(seg.text, acc.image, { hexCount: drgnCrashCommand(seg) !== undefined, names: acc.nameEvidence });
  if (r.joinedLines)
    notes.push(
      `\`${seg.command ?? 'kmem -p'}\`: ${r.joinedLines} flag-name list(s) wrapped onto the next line were joined to their row`,
    );
  if (r.hexCount && r.rows) notes.push("kmem -p from drgn's crash mode: CNT read as hexadecimal");
  acc.kmemPRows += r.rows;
  if (r.rows) {
    acc.known.add('flags').add('mapping').add('_refcount');
    acc.crash = true;
  }
  if (r.vmemmap !== undefined) acc.vmemmap ??= r.vmemmap;
  if (r.vmemmapMismatch)
    warnings.push('kmem -p PAGE addresses do not follow one vmemmap base: tails cannot be matched to heads');
  if (r.badRows)
    warnings.push(
      `\`${seg.command ?? 'kmem -p'}\` (line ${seg.startLine + 1}): ${r.badRows} row(s) could not be read, e.g. "${r.badSamples[0]}"`,
    );
  if (r.unknownHeader)
    warnings.push(
      `\`${seg.command ?? 'kmem -p'}\`: unknown listing layout "${r.unknownHeader}" (crash for pre-2.6 kernels?): its rows are not read`,
    );
}

function readDevI(seg: LogSegment, acc: SessionFacts): void {
  const ranges = virtioMemPfnRanges(parseDevI(seg.lines));
  if (ranges.length) {
    acc.virtioMem = ranges;
    acc.notes.push(
      `virtio-mem device memory (dev -i): ${ranges.map(([a, b]) => `pfn 0x${a.toString(16)}-0x${b.toString(16)}`).join(', ')}`,
    );
  }
}

function readKmemN(seg: LogSegment, acc: SessionFacts): void {
  const r = parseKmemN(seg.lines);
  if (r.sections.length) acc.sections = r.sections;
  if (r.zones.length) acc.zones = r.zones;
  if (r.blocks.length) acc.blocks = r.blocks;
  acc.warnings.push(...r.warnings);
}

function readKmemI(seg: LogSegment, acc: SessionFacts): void {
  const rows = parseKmemI(seg.lines);
  const tot = rows.find((r) => r.label === 'TOTAL MEM'),
    free = rows.find((r) => r.label === 'FREE');
  if (tot)
    acc.notes.push(
      `kmem -i: TOTAL MEM ${tot.pages} pages (${tot.total})${free ? `, FREE ${free.pages} pages (${free.total})` : ''}`,
    );
}

function readKmemF(seg: LogSegment, acc: SessionFacts): void {
  const r = parseKmemF(seg.lines);
  if (r.nrFreePages !== undefined)
    acc.notes.push(`kmem -f: nr_free_pages ${r.nrFreePages}${r.verified ? ' (verified)' : ''}`);
}

function readKmemG(seg: LogSegment, acc: SessionFacts): void {
  const g = parseKmemG(seg.lines);
  if (g.size) acc.pageflags = g;
}

function readSys(seg: LogSegment, acc: SessionFacts): void {
  const s = parseCrashSys(seg.lines);
  acc.release ??= s.release;
  acc.machine ??= s.machine;
}

function readStructPage(seg: LogSegment, acc: SessionFacts): void {
  // drgn: `prog["init_uts_ns"].name.release` prints (char [65])"6.1.0-56-amd64"
  const rel =
    seg.prompt === 'drgn'
      ? seg.lines.map((l) => /^\(char \[\d+\]\)"(\d+\.\d+[^"]*)"$/.exec(l.trim())?.[1]).find(Boolean)
      : undefined;
  if (rel) acc.release ??= rel;
  const { args } = commandWords(seg.command);
  const a = args.find((x) => /^(0x)?[0-9a-f]{8,16}$/i.test(x));
  // drgn: `pfn_to_page(prog, N)` names the PFN of the page it prints.
  const pm = /pfn_to_page\(\s*prog\s*,\s*(0x[0-9a-f]+|\d+)\s*\)\s*$/i.exec(seg.command ?? '');
  const pfn = pm ? Number(pm[1]) : undefined;
  const vals = parseStructPageDumps(seg.lines, a ? BigInt(a.startsWith('0x') ? a : '0x' + a) : undefined);
  for (const v of vals) acc.dumps.push({ v, line: seg.startLine, pfn });
}

/** The reader of each command kind; a kind not in the table is a command not used for the memmap. */
export const COMMAND_READERS: Record<CommandKind, (seg: LogSegment, acc: SessionFacts) => void> = {
  'kmem-p': readKmemP,
  'dev-i': readDevI,
  'kmem-m': (seg, acc) => void acc.memberListings.push(seg), // after the pages they describe are known
  'kmem-n': readKmemN,
  'kmem-i': readKmemI,
  'kmem-f': readKmemF,
  'kmem-g': readKmemG,
  sys: readSys,
  sym: (seg, acc) => parseCrashSym(seg.lines, acc.symbols),
  'struct-page': readStructPage,
};
