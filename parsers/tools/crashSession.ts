// A crash session log (several commands), a single pasted crash output, or a drgn REPL log → ToolMemmap.
import { COMMAND_READERS, CommandKind, drgnCrashCommand, newSessionFacts, SessionFacts } from './crashCommands';
import { parseKmemM } from './crashKmemM';
import { isKmemPHeader, kmemPPageStep } from './crashKmemP';
import { movableTagRows } from './movableTags';
import type { ToolSection } from './drgnExport';
import { COVER_PAGE, OFF } from './pageImage';
import { commandWords, LogSegment, splitSessionLog } from './sessionLog';
import { unquoteMail } from './pastedText';
import type { ToolFacts, ToolMemmap } from './toolMemmap';
import { familyFromRelease } from '../../kernel/pageflags';
import { SECTION_EARLY, SECTION_HAS_MEM_MAP, SECTION_ONLINE, SECTION_PRESENT } from '../../kernel/sections';

const SNIFF = [
  /^(crash(-[\w.]+)?|>>)> /m,
  /^(?:>[ \t]?)*\s*PAGE\s+PHYSICAL\s+MAPPING\s+INDEX\s+CNT\s+FLAGS/m,
  // quoted prompts, and rows of a kmem -p slice pasted without its header (quoted or not)
  /^(?:>[ \t]?)+crash(-[\w.]+)?> /m,
  /^(?:>[ \t]?)*\s*[0-9a-f]{16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+-?[0-9a-f]+\s+[0-9a-f]+(?:\s+[a-zA-Z_|,]+)?\s*$/m,
  /^\s*NR\s+SECTION\s+CODED_MEM_MAP/m,
  /^\s*PAGE-FLAG\s+BIT\s+VALUE/m,
  /^struct page \{$/m,
  /^\*\(struct page \*\)0x[0-9a-f]+ = \{$/m,
  /^\s+RELEASE: \S+/m,
];

/** true when text (its first few KiB) looks like crash output or a drgn REPL print of struct pages. */
export function looksLikeCrashOrDrgnText(head: string): boolean {
  if (head.includes('\0')) return false;
  return SNIFF.some((re) => re.test(head));
}

type Kind = CommandKind | 'unknown';

function kindOf(seg: LogSegment): Kind {
  const dc = drgnCrashCommand(seg);
  const { cmd, args } = commandWords(dc ?? seg.command);
  if (seg.prompt === 'drgn' && dc === undefined) return 'struct-page';
  if (cmd === 'kmem') {
    const opts = args.filter((a) => a.startsWith('-')).join('');
    if (/m/.test(opts)) return 'kmem-m';
    if (/p/.test(opts) || (!opts && args.length)) return 'kmem-p';
    if (/n/.test(opts)) return 'kmem-n';
    if (/i/.test(opts)) return 'kmem-i';
    if (/[fF]/.test(opts)) return 'kmem-f';
    if (/g/.test(opts)) return 'kmem-g';
    return 'unknown';
  }
  if (cmd === 'sys' && !args.length) return 'sys';
  if (cmd === 'dev' && args.includes('-i')) return 'dev-i';
  if (cmd === 'sym') return 'sym';
  if (cmd === 'struct' && args[0] === 'page') return 'struct-page';
  if (cmd === 'p' || cmd === 'print') return 'struct-page';
  return 'unknown';
}

/** Kinds found in a segment without a command (a pasted output), by content. */
function sniffKinds(lines: string[]): Kind[] {
  const kinds: Kind[] = [];
  const text = lines.slice(0, 2000).join('\n');
  if (
    lines.some(isKmemPHeader) ||
    /^\s*[0-9a-f]{16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+-?\d+\s+[0-9a-f]+/m.test(text)
  )
    kinds.push('kmem-p');
  if (/^\s*NR\s+SECTION\b/m.test(text) || /^\s*ZONE\s+NAME\s+SIZE\s+MEM_MAP/m.test(text)) kinds.push('kmem-n');
  if (/PAGES\s+TOTAL\s+PERCENTAGE/.test(text)) kinds.push('kmem-i');
  if (/^\s*PAGE-FLAG\s+BIT\s+VALUE/m.test(text)) kinds.push('kmem-g');
  if (/^\s+RELEASE: /m.test(text)) kinds.push('sys');
  if (/^(struct page \{|\*\(struct page \*\)0x[0-9a-f]+ = \{|\(struct page\)\{)$/m.test(text))
    kinds.push('struct-page');
  return kinds;
}

/**
 * A prompt glued to the start of pasted output (`crash>       PAGE  PHYSICAL …` or `crash> fffff… row`)
 * is no command: the line is output, and the segment has no command.
 */
function outputAfterBarePrompt(seg: LogSegment): LogSegment {
  if (seg.prompt !== 'crash' || !seg.command || !/^(?:PAGE\s+PHYSICAL\s|[0-9a-f]{16}\s+[0-9a-f]+\s)/.test(seg.command))
    return seg;
  return new LogSegment(undefined, undefined, `${seg.command}\n${seg.text}`, Math.max(0, seg.startLine - 1));
}

/** A crash session log, a pasted crash output or a drgn REPL log as a sparse struct-page image and the facts it printed. */
export function toolMemmapFromText(text: string): ToolMemmap {
  const warnings: string[] = [];
  const notes: string[] = [];
  const unq = unquoteMail(text);
  if (unq.depth) notes.push(`mail quoting (depth ${unq.depth}) removed from ${unq.lines} line(s)`);
  const segs = splitSessionLog(unq.text, warnings).map(outputAfterBarePrompt);
  const acc = newSessionFacts(warnings, notes);
  for (const seg of segs) readSegment(seg, acc);
  if (acc.ignored.size)
    notes.push(
      `commands not used for the memmap: ${[...acc.ignored]
        .slice(0, 8)
        .map((c) => `\`${c.trim()}\``)
        .join(', ')}`,
    );

  // kmem -n: an early section's CODED_MEM_MAP is the vmemmap base.
  if (acc.vmemmap === undefined)
    acc.vmemmap = acc.sections.find((s) => s.letters?.includes('E') && s.codedMemMap !== undefined)?.codedMemMap;
  placeMemberListings(acc);
  const fromDumps = placeStructPagePrints(acc);
  if (!acc.kmemPRows)
    for (const f of ['flags', 'compound_head', 'mapping', 'private', '_mapcount', '_refcount']) acc.known.add(f);
  defaultSectionWords(acc.sections);
  const facts = sessionToolFacts(acc, fromDumps);
  const step = acc.kmemPRows ? kmemPPageStep(unq.text) : undefined;
  const size = pageSizeSource(step, acc.machine);
  if (size) (size.assumed ? warnings : notes).push(size.text);
  return {
    format: acc.drgn && !acc.crash ? 'drgn-repl' : 'crash-log',
    machine: acc.machine,
    pageSize: 4096,
    unreadable:
      step !== undefined && step !== 4096
        ? `its kmem -p rows are ${step} bytes of physical memory apart: the machine has ${step / 1024} KiB pages (arm64 16K/64K kernels), and crash and drgn REPL listings are read in 4 KiB pages only`
        : undefined,
    facts,
    image: acc.image,
    knownFields: acc.known,
    sections: acc.sections,
    zones: acc.zones,
    blocks: acc.blocks,
    vmemmap: acc.vmemmap,
    warnings,
    notes,
    kmemP: acc.kmemPRows ? { rows: acc.kmemPRows, structPagePfns: fromDumps } : undefined,
  };
}

/**
 * Where the 4 KiB page size of a crash or drgn REPL log comes from: its kmem -p rows, or crash's
 * MACHINE line (x86_64 has no other page size); otherwise it is an assumption, and said so. (Rows a
 * larger page apart make the log unreadable instead.)
 */
function pageSizeSource(
  step: number | undefined,
  machine: string | undefined,
): { text: string; assumed: boolean } | undefined {
  if (step === 4096)
    return { text: 'page size 4 KiB: its kmem -p rows are 4 KiB of physical memory apart', assumed: false };
  if (step !== undefined) return undefined;
  if (machine === 'x86_64') return { text: 'page size 4 KiB: the machine is x86_64', assumed: false };
  return {
    text: `the output does not show its page size (no run of kmem -p rows${machine ? `; MACHINE ${machine}` : ', no MACHINE line'}): 4 KiB pages assumed; the output of an arm64 kernel with 16 or 64 KiB pages would be drawn at the wrong PFNs`,
    assumed: true,
  };
}

/** One segment: its command's error line as a warning, then the reader of each kind it holds. */
function readSegment(seg: LogSegment, acc: SessionFacts): void {
  if (seg.prompt === 'crash') acc.crash = true;
  if (seg.prompt === 'drgn') acc.drgn = true;
  const kinds = seg.command === undefined ? sniffKinds(seg.text.slice(0, 200000).split('\n')) : [kindOf(seg)];
  const errLine = seg.text
    .slice(0, 2000)
    .split('\n')
    .find((l) => /^\w+: (invalid|cannot|no such|command not found)/i.test(l.trim()) || /^crash: /.test(l));
  if (errLine && seg.command) acc.warnings.push(`\`${seg.command}\`: ${errLine.trim()}`);
  for (const kind of kinds) {
    if (kind !== 'unknown') COMMAND_READERS[kind](seg, acc);
    else if (seg.command)
      acc.ignored.add(commandWords(seg.command).cmd + ' ' + commandWords(seg.command).args.join(' '));
  }
}

/** kmem -m listings: members kmem -p does not print, for the PFNs it listed. */
function placeMemberListings(acc: SessionFacts): void {
  const { warnings, notes, vmemmap } = acc;
  const fromMembers = new Set<string>();
  for (const seg of acc.memberListings) {
    if (vmemmap === undefined) {
      warnings.push(`\`${seg.command}\`: no vmemmap base known (needs kmem -p or kmem -n), its rows are not placed`);
      continue;
    }
    const r = parseKmemM(seg.text, acc.image, vmemmap);
    for (const m of r.members) fromMembers.add(m === 'page_type' ? '_mapcount' : m === '_count' ? '_refcount' : m);
    notes.push(`\`${seg.command}\`: ${r.filled} of ${r.rows} rows filled in (${r.members.join(', ')})`);
    if (r.badRows)
      warnings.push(
        `\`${seg.command}\`: ${r.badRows} row(s) with an unexpected number of fields (crash prints _refcount and mapping without a separator) were not read`,
      );
    if (r.notListed) notes.push(`\`${seg.command}\`: ${r.notListed} rows for PFNs without a kmem -p row were skipped`);
    if (r.unknownMembers.length) warnings.push(`\`${seg.command}\`: members not used: ${r.unknownMembers.join(', ')}`);
  }
  for (const m of fromMembers) acc.known.add(m);
}

/**
 * struct page prints: complete words for their PFN (they override kmem -p rows). Without another
 * vmemmap base, a print whose command named its PFN gives it. Returns the PFNs written.
 */
function placeStructPagePrints(acc: SessionFacts): Set<number> {
  const { dumps, image, symbols } = acc;
  const fromDumps = new Set<number>();
  if (acc.vmemmap === undefined) {
    const anchor = dumps.find((d) => d.pfn !== undefined && d.v.address !== undefined);
    if (anchor) acc.vmemmap = anchor.v.address! - BigInt(anchor.pfn!) * 64n;
  }
  const vmemmap = acc.vmemmap;
  for (const { v } of dumps) {
    for (const [k, a] of v.symbols) if (!symbols.has(k)) symbols.set(k, a);
    if (v.address === undefined || vmemmap === undefined) continue;
    const d = v.address - vmemmap;
    if (d < 0n || d % 64n !== 0n) continue;
    const pfn = Number(d / 64n);
    const { buf, off } = image.slot(pfn);
    if (v.flags !== undefined) buf.writeBigUInt64LE(v.flags, off + OFF.flags);
    if (v.compoundHead !== undefined) buf.writeBigUInt64LE(v.compoundHead, off + OFF.compoundHead);
    if (v.mapping !== undefined) buf.writeBigUInt64LE(v.mapping, off + OFF.mapping);
    if (v.private !== undefined) buf.writeBigUInt64LE(v.private, off + OFF.private);
    const mc = v.pageType ?? (v.mapcount !== undefined ? v.mapcount >>> 0 : undefined);
    if (mc !== undefined) buf.writeUInt32LE(mc >>> 0, off + OFF.mapcount);
    if (v.refcount !== undefined) buf.writeInt32LE(v.refcount, off + OFF.refcount);
    image.mark(pfn, COVER_PAGE);
    fromDumps.add(pfn);
  }
  if (dumps.length) {
    if (vmemmap === undefined)
      acc.warnings.push(
        `${dumps.length} struct page print(s) could not be placed: no kmem -p row in the log gives the vmemmap base`,
      );
    else acc.notes.push(`${fromDumps.size} PFN(s) read from struct page prints (all fields)`);
  }
  return fromDumps;
}

/** A section table without STATE: sections listed are present with a memmap; assume online+early. */
function defaultSectionWords(sections: ToolSection[]): void {
  for (const s of sections)
    if (s.word === undefined) s.word = BigInt(SECTION_PRESENT | SECTION_HAS_MEM_MAP | SECTION_ONLINE | SECTION_EARLY);
}

/** The facts the classifier needs, with what the listing's flag names and MAPPING tags say when the release is unknown. */
function sessionToolFacts(acc: SessionFacts, fromDumps: Set<number>): ToolFacts {
  const { release, pageflags, kmemPRows } = acc;
  const facts: ToolFacts = {
    release,
    pageflags,
    balloonMops: acc.symbols.get('balloon_mops'),
    virtioMem: acc.virtioMem,
    mapcountKnown: acc.known.has('_mapcount'),
    // Used when the release is unknown or outside the known layouts (and no kmem -g printed the enum).
    listingNames: kmemPRows && !pageflags && !familyFromRelease(release ?? '') ? acc.nameEvidence.solve() : undefined,
  };
  if (!release)
    acc.warnings.push(
      'the log has no `sys` output: kernel release unknown' + (pageflags ? ' (flag bits taken from `kmem -g`)' : ''),
    );
  if (kmemPRows) {
    // Without a release, movable_ops mappings tagged in MAPPING date the kernel before 6.17, for the
    // rules that differ there (balloon pages, movable-ops-mapping).
    const tagged = !release ? movableTagRows(acc.image, (pfn) => !fromDumps.has(pfn)) : 0;
    if (tagged)
      facts.versionHint = {
        range: [0, 616],
        why: `${tagged} row(s) whose MAPPING is a movable_ops pointer tagged PAGE_MAPPING_MOVABLE (gone in 6.17)`,
      };
  }
  return facts;
}
