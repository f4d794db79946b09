// crash `kmem -n`: nodes, zones, the mem_section table (with STATE letters P/M/O/E/D in 7.3+) and
// the memory-block table (7.2.5+; NODE column since 8.0). Columns are found from each table's
// header, so layouts with fewer or more columns still parse; unknown state letters are reported.
import type { ToolBlock, ToolSection, ToolZone } from './drgnExport';
import { SECTION_FLAG_BITS } from '../../kernel/sections';

export interface KmemNResult {
  nodes: { node: number; size: number }[];
  zones: ToolZone[];
  sections: ToolSection[];
  blocks: ToolBlock[];
  warnings: string[];
}

type Table = 'node' | 'zone' | 'section' | 'block' | undefined;
const LETTER_BIT = new Map(SECTION_FLAG_BITS.map((f) => [f.letter, f.bit]));

/** Section flag word (low bits) from crash's STATE letters; unknown letters are returned separately. */
export function sectionWordFromLetters(letters: string): { word: number; unknown: string } {
  let word = 0;
  let unknown = '';
  for (const ch of letters) {
    const b = LETTER_BIT.get(ch);
    if (b === undefined) unknown += ch;
    else word |= 1 << b;
  }
  return { word, unknown };
}

/** A table header (or the separator that ends a table) switches the table rows are read as. */
function tableHeader(t: string): { table: Table; cols?: string[] } | undefined {
  if (/^NODE\s+SIZE\b/.test(t)) return { table: 'node' };
  if (/^ZONE\s+NAME\b/.test(t)) return { table: 'zone' };
  if (/^NR\s+SECTION\b/.test(t)) return { table: 'section', cols: t.split(/\s+/) };
  if (/^MEM_BLOCK\s+NAME\b/.test(t))
    return { table: 'block', cols: t.replace('PHYSICAL RANGE', 'PHYSICAL_RANGE').split(/\s+/) };
  if (/^-{10,}$/.test(t)) return { table: undefined };
  return undefined;
}

/** A mem_section row: its coded and decoded mem_map, and the flag word from the STATE letters (7.3+). */
function sectionRow(f: string[], cols: string[], unknownLetters: Set<string>): ToolSection | undefined {
  if (!/^\d+$/.test(f[0])) return undefined;
  const nr = Number(f[0]);
  const si = cols.indexOf('STATE');
  const s: ToolSection = {
    nr,
    memMap: /^[0-9a-f]+$/.test(f[3] ?? '') ? BigInt('0x' + f[3]) : undefined,
    codedMemMap: /^[0-9a-f]{16}$/.test(f[2] ?? '') ? BigInt('0x' + f[2]) : undefined,
  };
  if (si >= 0 && f[si] !== undefined) {
    const { word, unknown } = sectionWordFromLetters(f[si]);
    for (const ch of unknown) unknownLetters.add(ch);
    s.letters = f[si];
    s.word = BigInt(word);
  }
  return s;
}

/** A memory-block row (NODE column since crash 8.0). */
function blockRow(t: string, cols: string[]): ToolBlock | undefined {
  // ffff8cd6c11f2c00   memory0           0 -  7ffffff  0    ONLINE  0
  const m = /^([0-9a-f]+)\s+memory(\d+)\s+([0-9a-f]+)\s+-\s+([0-9a-f]+)\s+(.*)$/.exec(t);
  if (!m) return undefined;
  const rest = m[5].split(/\s+/);
  const hasNode = cols.includes('NODE');
  const state = (hasNode ? rest[1] : rest[0]) ?? 'UNKNOWN';
  const start = parseInt(m[3], 16),
    end = parseInt(m[4], 16);
  return {
    id: Number(m[2]),
    startPfn: Math.floor(start / 4096),
    endPfn: Math.floor((end + 1) / 4096),
    node: hasNode ? Number(rest[0]) : undefined,
    state: state.toLowerCase().replace(/_/g, '-'),
    startSection: Number(rest[rest.length - 1]),
  };
}

export function parseKmemN(lines: string[]): KmemNResult {
  const r: KmemNResult = { nodes: [], zones: [], sections: [], blocks: [], warnings: [] };
  let table: Table;
  let cols: string[] = [];
  let node = 0;
  const unknownLetters = new Set<string>();
  for (const raw of lines) {
    const line = raw.trimEnd();
    const t = line.trim();
    if (!t) continue;
    const header = tableHeader(t);
    if (header) {
      table = header.table;
      if (header.cols) cols = header.cols;
      continue;
    }
    if (/^MEM_MAP\s+START_PADDR/.test(t)) continue;
    const f = t.split(/\s+/);
    switch (table) {
      case 'node':
        if (/^\d+$/.test(f[0]) && f.length >= 3) {
          node = Number(f[0]);
          r.nodes.push({ node, size: Number(f[1]) });
        }
        break;
      case 'zone':
        if (/^\d+$/.test(f[0]) && f.length >= 6) {
          const paddr = parseInt(f[4], 16);
          r.zones.push({
            node,
            index: Number(f[0]),
            name: f[1],
            spanned: Number(f[2]),
            startPfn: Math.floor(paddr / 4096),
          });
        }
        break;
      case 'section': {
        const s = sectionRow(f, cols, unknownLetters);
        if (s) r.sections.push(s);
        break;
      }
      case 'block': {
        const b = blockRow(t, cols);
        if (b) r.blocks.push(b);
        break;
      }
      default:
        break;
    }
  }
  if (r.sections.length && !r.sections.some((s) => s.word !== undefined))
    r.warnings.push(
      'kmem -n printed no section STATE column (crash older than 7.3?): offline sections cannot be told from online ones',
    );
  if (unknownLetters.size)
    r.warnings.push(`unknown section STATE letters ${[...unknownLetters].join('')} (newer crash?): ignored`);
  return r;
}
