// A crash session log (several commands), a single pasted crash output, or a drgn REPL log → ToolMemmap.
import { parseKmemG } from './crashKmemG';
import { parseKmemF, parseKmemI } from './crashKmemInfo';
import { parseKmemN } from './crashKmemN';
import { parseDevI, virtioMemPfnRanges } from './crashDevI';
import { parseKmemM } from './crashKmemM';
import { isKmemPHeader, parseKmemP } from './crashKmemP';
import { parseCrashSym, parseCrashSys } from './crashSys';
import { movableTagRows } from './movableTags';
import type { ToolBlock, ToolSection, ToolZone } from './drgnExport';
import { COVER_PAGE, OFF, PageImage } from './pageImage';
import { commandWords, LogSegment, splitSessionLog } from './sessionLog';
import { unquoteMail } from './pastedText';
import { parseStructPageDumps, StructPageValues } from './structPageDump';
import { FlagNameEvidence } from './kmemPFlagNames';
import type { ToolFacts, ToolMemmap } from './toolMemmap';
import { familyFromRelease } from '../../kernel/pageflags';
import type { PfnRange } from '../../kernel/pfnRange';
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

type Kind = 'dev-i' | 'kmem-m' | 'kmem-p' | 'kmem-n' | 'kmem-i' | 'kmem-f' | 'kmem-g' | 'sys' | 'sym' | 'struct-page' | 'unknown';

/** drgn 0.0.33+ runs crash commands in its REPL as `%crash kmem -p` (CNT printed in hex there). */
function drgnCrashCommand(seg: LogSegment): string | undefined {
  return seg.prompt === 'drgn' ? /^%crash\s+(.*)$/.exec(seg.command ?? '')?.[1] : undefined;
}

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
  if (lines.some(isKmemPHeader) || /^\s*[0-9a-f]{16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+-?\d+\s+[0-9a-f]+/m.test(text)) kinds.push('kmem-p');
  if (/^\s*NR\s+SECTION\b/m.test(text) || /^\s*ZONE\s+NAME\s+SIZE\s+MEM_MAP/m.test(text)) kinds.push('kmem-n');
  if (/PAGES\s+TOTAL\s+PERCENTAGE/.test(text)) kinds.push('kmem-i');
  if (/^\s*PAGE-FLAG\s+BIT\s+VALUE/m.test(text)) kinds.push('kmem-g');
  if (/^\s+RELEASE: /m.test(text)) kinds.push('sys');
  if (/^(struct page \{|\*\(struct page \*\)0x[0-9a-f]+ = \{|\(struct page\)\{)$/m.test(text)) kinds.push('struct-page');
  return kinds;
}

/**
 * A prompt glued to the start of pasted output (`crash>       PAGE  PHYSICAL …` or `crash> fffff… row`)
 * is no command: the line is output, and the segment has no command.
 */
function outputAfterBarePrompt(seg: LogSegment): LogSegment {
  if (seg.prompt !== 'crash' || !seg.command || !/^(?:PAGE\s+PHYSICAL\s|[0-9a-f]{16}\s+[0-9a-f]+\s)/.test(seg.command)) return seg;
  return new LogSegment(undefined, undefined, `${seg.command}\n${seg.text}`, Math.max(0, seg.startLine - 1));
}

export function toolMemmapFromText(text: string): ToolMemmap {
  const warnings: string[] = [];
  const notes: string[] = [];
  const unq = unquoteMail(text);
  if (unq.depth) notes.push(`mail quoting (depth ${unq.depth}) removed from ${unq.lines} line(s)`);
  const segs = splitSessionLog(unq.text, warnings).map(outputAfterBarePrompt);
  const image = new PageImage();
  let release: string | undefined, machine: string | undefined;
  let pageflags: Map<string, number> | undefined;
  const symbols = new Map<string, bigint>();
  let sections: ToolSection[] = [];
  let zones: ToolZone[] = [];
  let blocks: ToolBlock[] = [];
  let vmemmap: bigint | undefined;
  const dumps: { v: StructPageValues; line: number; pfn?: number }[] = [];
  const known = new Set<string>();
  let kmemPRows = 0;
  const nameEvidence = new FlagNameEvidence();
  let crash = false, drgn = false;
  const ignored = new Set<string>();
  const memberListings: LogSegment[] = [];
  let virtioMem: PfnRange[] | undefined;
  for (const seg of segs) {
    if (seg.prompt === 'crash') crash = true;
    if (seg.prompt === 'drgn') drgn = true;
    const kinds = seg.command === undefined ? sniffKinds(seg.text.slice(0, 200000).split('\n')) : [kindOf(seg)];
    const errLine = seg.text.slice(0, 2000).split('\n').find((l) => /^\w+: (invalid|cannot|no such|command not found)/i.test(l.trim()) || /^crash: /.test(l));
    if (errLine && seg.command) warnings.push(`\`${seg.command}\`: ${errLine.trim()}`);
    for (const kind of kinds) {
      switch (kind) {
        case 'kmem-p': {
          const r = parseKmemP(seg.text, image, { hexCount: drgnCrashCommand(seg) !== undefined, names: nameEvidence });
          if (r.joinedLines) notes.push(`\`${seg.command ?? 'kmem -p'}\`: ${r.joinedLines} flag-name list(s) wrapped onto the next line were joined to their row`);
          if (r.hexCount && r.rows) notes.push('kmem -p from drgn\'s crash mode: CNT read as hexadecimal');
          kmemPRows += r.rows;
          if (r.rows) { known.add('flags').add('mapping').add('_refcount'); crash = true; }
          if (r.vmemmap !== undefined) vmemmap ??= r.vmemmap;
          if (r.vmemmapMismatch) warnings.push('kmem -p PAGE addresses do not follow one vmemmap base: tails cannot be matched to heads');
          if (r.badRows) warnings.push(`\`${seg.command ?? 'kmem -p'}\` (line ${seg.startLine + 1}): ${r.badRows} row(s) could not be read, e.g. "${r.badSamples[0]}"`);
          if (r.unknownHeader) warnings.push(`\`${seg.command ?? 'kmem -p'}\`: unknown listing layout "${r.unknownHeader}" (crash for pre-2.6 kernels?): its rows are not read`);
          break;
        }
        case 'dev-i': {
          const ranges = virtioMemPfnRanges(parseDevI(seg.lines));
          if (ranges.length) {
            virtioMem = ranges;
            notes.push(`virtio-mem device memory (dev -i): ${ranges.map(([a, b]) => `pfn 0x${a.toString(16)}-0x${b.toString(16)}`).join(', ')}`);
          }
          break;
        }
        case 'kmem-m':
          memberListings.push(seg); // after the pages they describe are known
          break;
        case 'kmem-n': {
          const r = parseKmemN(seg.lines);
          if (r.sections.length) sections = r.sections;
          if (r.zones.length) zones = r.zones;
          if (r.blocks.length) blocks = r.blocks;
          warnings.push(...r.warnings);
          break;
        }
        case 'kmem-i': {
          const rows = parseKmemI(seg.lines);
          const tot = rows.find((r) => r.label === 'TOTAL MEM'), free = rows.find((r) => r.label === 'FREE');
          if (tot) notes.push(`kmem -i: TOTAL MEM ${tot.pages} pages (${tot.total})${free ? `, FREE ${free.pages} pages (${free.total})` : ''}`);
          break;
        }
        case 'kmem-f': {
          const r = parseKmemF(seg.lines);
          if (r.nrFreePages !== undefined) notes.push(`kmem -f: nr_free_pages ${r.nrFreePages}${r.verified ? ' (verified)' : ''}`);
          break;
        }
        case 'kmem-g': {
          const g = parseKmemG(seg.lines);
          if (g.size) pageflags = g;
          break;
        }
        case 'sys': {
          const s = parseCrashSys(seg.lines);
          release ??= s.release;
          machine ??= s.machine;
          break;
        }
        case 'sym':
          parseCrashSym(seg.lines, symbols);
          break;
        case 'struct-page': {
          // drgn: `prog["init_uts_ns"].name.release` prints (char [65])"6.1.0-56-amd64"
          const rel = seg.prompt === 'drgn' ? seg.lines.map((l) => /^\(char \[\d+\]\)"(\d+\.\d+[^"]*)"$/.exec(l.trim())?.[1]).find(Boolean) : undefined;
          if (rel) release ??= rel;
          const { args } = commandWords(seg.command);
          const a = args.find((x) => /^(0x)?[0-9a-f]{8,16}$/i.test(x));
          // drgn: `pfn_to_page(prog, N)` names the PFN of the page it prints.
          const pm = /pfn_to_page\(\s*prog\s*,\s*(0x[0-9a-f]+|\d+)\s*\)\s*$/i.exec(seg.command ?? '');
          const pfn = pm ? Number(pm[1]) : undefined;
          const vals = parseStructPageDumps(seg.lines, a ? BigInt(a.startsWith('0x') ? a : '0x' + a) : undefined);
          for (const v of vals) dumps.push({ v, line: seg.startLine, pfn });
          break;
        }
        default:
          if (seg.command) ignored.add(commandWords(seg.command).cmd + ' ' + commandWords(seg.command).args.join(' '));
      }
    }
  }
  if (ignored.size) notes.push(`commands not used for the memmap: ${[...ignored].slice(0, 8).map((c) => `\`${c.trim()}\``).join(', ')}`);

  // kmem -n: an early section's CODED_MEM_MAP is the vmemmap base.
  if (vmemmap === undefined) vmemmap = sections.find((s) => s.letters?.includes('E') && s.codedMemMap !== undefined)?.codedMemMap;
  // kmem -m listings: members kmem -p does not print, for the PFNs it listed.
  const fromMembers = new Set<string>();
  for (const seg of memberListings) {
    if (vmemmap === undefined) { warnings.push(`\`${seg.command}\`: no vmemmap base known (needs kmem -p or kmem -n), its rows are not placed`); continue; }
    const r = parseKmemM(seg.text, image, vmemmap);
    for (const m of r.members) fromMembers.add(m === 'page_type' ? '_mapcount' : m === '_count' ? '_refcount' : m);
    notes.push(`\`${seg.command}\`: ${r.filled} of ${r.rows} rows filled in (${r.members.join(', ')})`);
    if (r.badRows) warnings.push(`\`${seg.command}\`: ${r.badRows} row(s) with an unexpected number of fields (crash prints _refcount and mapping without a separator) were not read`);
    if (r.notListed) notes.push(`\`${seg.command}\`: ${r.notListed} rows for PFNs without a kmem -p row were skipped`);
    if (r.unknownMembers.length) warnings.push(`\`${seg.command}\`: members not used: ${r.unknownMembers.join(', ')}`);
  }
  for (const m of fromMembers) known.add(m);

  // struct page prints: complete words for their PFN (they override kmem -p rows).
  const fromDumps = new Set<number>();
  if (vmemmap === undefined) {
    const anchor = dumps.find((d) => d.pfn !== undefined && d.v.address !== undefined);
    if (anchor) vmemmap = anchor.v.address! - BigInt(anchor.pfn!) * 64n;
  }
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
    if (vmemmap === undefined) warnings.push(`${dumps.length} struct page print(s) could not be placed: no kmem -p row in the log gives the vmemmap base`);
    else notes.push(`${fromDumps.size} PFN(s) read from struct page prints (all fields)`);
  }
  if (!kmemPRows) for (const f of ['flags', 'compound_head', 'mapping', 'private', '_mapcount', '_refcount']) known.add(f);

  // A section table without STATE: sections listed are present with a memmap; assume online+early.
  for (const s of sections) if (s.word === undefined) s.word = BigInt(SECTION_PRESENT | SECTION_HAS_MEM_MAP | SECTION_ONLINE | SECTION_EARLY);

  const facts: ToolFacts = {
    release, pageflags, balloonMops: symbols.get('balloon_mops'), virtioMem, mapcountKnown: known.has('_mapcount'),
    // Used when the release is unknown or outside the known layouts (and no kmem -g printed the enum).
    listingNames: kmemPRows && !pageflags && !familyFromRelease(release ?? '') ? nameEvidence.solve() : undefined,
  };
  if (!release) warnings.push('the log has no `sys` output: kernel release unknown' + (pageflags ? ' (flag bits taken from `kmem -g`)' : ''));
  if (kmemPRows) {
    // Without a release, movable_ops mappings tagged in MAPPING date the kernel before 6.17, for the
    // rules that differ there (balloon pages, movable-ops-mapping).
    const tagged = !release ? movableTagRows(image, (pfn) => !fromDumps.has(pfn)) : 0;
    if (tagged) facts.versionHint = { range: [0, 616], why: `${tagged} row(s) whose MAPPING is a movable_ops pointer tagged PAGE_MAPPING_MOVABLE (gone in 6.17)` };
  }
  return {
    format: drgn && !crash ? 'drgn-repl' : 'crash-log', machine, facts, image, knownFields: known, sections, zones, blocks, vmemmap, warnings, notes,
    kmemP: kmemPRows ? { rows: kmemPRows, structPagePfns: fromDumps } : undefined,
  };
}
