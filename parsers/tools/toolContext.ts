// The classification context (memmap/classifyPage.ts) for a memmap rebuilt from crash or drgn output:
// bit numbers from the tool's own enum pageflags when it printed one (drgn export, crash `kmem -g`),
// else from the layout family of the release (kernel/pageflags.ts); page types likewise.
import { familyFromRelease, flagBit, LayoutFamily, parseRelease } from '../../kernel/pageflags';
import { PAGE_TYPE_ENCODINGS, PageTypeDecoder, PageTypeEncoding, PageTypeName } from '../../kernel/pagetypes';
import type { ClassifyContext } from '../../memmap/classifyPage';
import { kernelPredicates } from '../../kernel/predicates';
import { OFF, STRUCT_PAGE_SIZE } from './pageImage';

export interface ToolFacts {
  release?: string;
  /** enum pageflags as printed by the tool, names without PG_ (e.g. lru → 4). */
  pageflags?: Map<string, number>;
  /** enum pagetype (6.12+): PGTY_buddy → 0xf0 ... */
  pagetype?: Map<string, number>;
  balloonMops?: bigint;
  hugetlbDtor?: number;
  /** MAX_NUMNODES (1 << NODES_SHIFT). */
  maxNumNodes?: number;
  virtioMem?: [number, number][];
}

export interface ToolContext { ctx?: ClassifyContext; family?: LayoutFamily; problem?: string; warnings: string[]; notes: string[] }

function encodingFor(version: [number, number] | undefined, pagetype?: Map<string, number>): PageTypeEncoding | undefined {
  const byId = (id: string) => PAGE_TYPE_ENCODINGS.find((e) => e.id === id);
  if (pagetype?.get('PGTY_buddy') === 0xf0) return byId('>=6.12');
  if (!version) return undefined;
  const [M, m] = version;
  if (M === 5 && m === 10) return byId('5.10');
  if (M > 6 || (M === 6 && m >= 12)) return byId('>=6.12');
  if (M === 6 && m === 11) return byId('6.11');
  return byId('<=6.10');
}

export function buildToolContext(f: ToolFacts): ToolContext {
  const warnings: string[] = [];
  const notes: string[] = [];
  const release = f.release ?? '';
  const version = parseRelease(release);
  const family = familyFromRelease(release);
  const pf = f.pageflags && f.pageflags.size ? f.pageflags : undefined;
  if (!family && !pf) return { problem: `kernel release ${release ? `"${release}" is outside the known page-flag layouts` : 'unknown'} and the output has no enum pageflags (crash \`kmem -g\` or our drgn export): page states cannot be decoded`, warnings, notes };
  const bit = (name: string): number | undefined => pf?.get(name) ?? pf?.get(`PG_${name}`) ?? (family ? flagBit(family, name) : undefined);
  if (pf && family) {
    const differ = ['lru', 'head', 'reserved', 'slab', 'hwpoison', 'owner_priv_1'].filter((n) => pf.has(n) && pf.get(n) !== flagBit(family, n));
    if (differ.length) warnings.push(`the tool's enum pageflags differs from layout ${family.id} for ${differ.join(', ')}: using the tool's bit numbers`);
    else notes.push(`enum pageflags printed by the tool matches layout ${family.id}`);
  } else if (family) notes.push(`page-flag layout ${family.id} taken from release ${release}`);
  let enc = encodingFor(version, f.pagetype);
  if (!enc && pf) {
    // No release: the enum itself tells the era (PG_slab left in 6.10, PG_owner_2 arrived in 6.12).
    enc = PAGE_TYPE_ENCODINGS.find((e) => e.id === (pf.has('slab') ? '<=6.10' : pf.has('owner_2') ? '>=6.12' : ''));
    if (enc) warnings.push(`kernel release unknown: page_type encoding ${enc.id} assumed from the enum pageflags`);
  }
  if (!enc) return { family, problem: 'kernel version unknown: page types cannot be decoded', warnings, notes };
  const exported: Partial<Record<PageTypeName, number>> = {};
  if (f.pagetype) for (const [k, v] of f.pagetype) {
    const name = k.replace(/^PGTY_/, '') as PageTypeName;
    if (enc.values[name] !== undefined || name === 'unaccepted' || name === 'large_kmalloc') exported[name] = (v << 24) >>> 0;
  }
  const ver: [number, number] = version ?? (family ? (family.last.split('.').map(Number) as [number, number]) : [6, 18]);
  const ge = (M: number, m: number) => ver[0] > M || (ver[0] === M && ver[1] >= m);
  let hugetlbMark: ClassifyContext['hugetlbMark'] = { kind: 'none' };
  if (ge(6, 9)) hugetlbMark = { kind: 'type' };
  else if (ge(6, 6)) hugetlbMark = { kind: 'page1-flag', bit: bit('active')! };
  else if (!ge(6, 3)) hugetlbMark = { kind: 'dtor', offset: OFF.word16, value: f.hugetlbDtor ?? 2 };
  const nodesShift = Math.round(Math.log2(f.maxNumNodes ?? 1024));
  const zoneWidth = 3;
  const need = (n: string) => {
    const b = bit(n);
    if (b === undefined) warnings.push(`no bit number for PG_${n}`);
    return b ?? 63;
  };
  // a tool output names no compound_info offset: tails of both forms are decoded (they cannot be confused)
  const is = family ? kernelPredicates(release, family, ge(7, 0)) : { balloonByMovableOps: ge(6, 17), tailForms: 'pointer-or-mask' as const, offlineKindsVerified: false,
    unverifiedWhy: `release ${release || '(none)'} is outside the kernels the tables were checked against` };
  if (!is.offlineKindsVerified) warnings.push(`${is.unverifiedWhy}: PageOffline pages that are not movable balloon pages show as offline (kind unknown)`);
  const ctx: ClassifyContext = {
    off: { flags: OFF.flags, compoundHead: OFF.compoundHead, mapping: OFF.mapping, private: OFF.private, mapcount: OFF.mapcount, refcount: OFF.refcount },
    pageSize: 4096, structSize: STRUCT_PAGE_SIZE, types: new PageTypeDecoder(enc, exported), version: ver, hugetlbMark, is, tailForms: is.tailForms,
    zoneShift: 64 - nodesShift - zoneWidth, zoneWidth, balloonMops: f.balloonMops, virtioMem: f.virtioMem,
    bit: {
      head: need('head'), hwpoison: need('hwpoison'), reserved: need('reserved'), lru: need('lru'), dirty: need('dirty'),
      uptodate: need('uptodate'), ownerPriv1: need('owner_priv_1'), slab: bit('slab'), owner2: bit('owner_2'), active: need('active'),
    },
  };
  notes.push(`page_type encoding ${enc.id}`);
  return { ctx, family, warnings, notes };
}
