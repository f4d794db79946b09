// The classification context (memmap/classifyPage.ts) for a memmap rebuilt from crash or drgn output:
// bit numbers from the tool's own enum pageflags when it printed one (drgn export, crash `kmem -g`),
// else from the layout family of the release (kernel/pageflags.ts); page types likewise.
import { familyFromRelease, familyVersions, flagBit, LayoutFamily, NO_BIT } from '../../kernel/pageflags';
import { PAGE_TYPE_ENCODINGS, PageTypeDecoder, PageTypeEncoding, PageTypeName } from '../../kernel/pagetypes';
import type { ClassifyContext } from '../classifyPage';
import { decideFromNames, NamesDecision } from '../../parsers/tools/namesContext';
import { familiesFromNames } from '../../kernel/familyFromNames';
import {
  hasCompoundInfo,
  hasMovableOpsFlag,
  hugetlbSchemeIn,
  kernelPredicates,
  pageTypeScheme,
} from '../../kernel/predicates';
import {
  ANY_VERSION,
  formatVersion,
  intersectRanges,
  kernelVersion,
  NEWEST_POSSIBLE,
  parseRelease,
  rangesOverlap,
  type KernelVersion,
  type VersionRange,
} from '../../kernel/version';
import { OFF, STRUCT_PAGE_SIZE } from '../../parsers/tools/pageImage';
import type { ToolFacts } from '../../parsers/tools/toolMemmap';

export interface ToolContext {
  ctx?: ClassifyContext;
  family?: LayoutFamily;
  problem?: string;
  warnings: string[];
  notes: string[];
  /** Kernel versions the output may come from, when the release is unknown. */
  versionRange?: VersionRange;
}

function encodingFor(version: KernelVersion | undefined, pagetype?: Map<string, number>): PageTypeEncoding | undefined {
  if (pagetype?.get('PGTY_buddy') === 0xf0) return encodingById('>=6.12');
  if (version === undefined) return undefined;
  return encodingById(pageTypeScheme(version));
}

const encodingById = (id: string) => PAGE_TYPE_ENCODINGS.find((e) => e.id === id);

/** Where the flag bits come from: the release's family, the tool's enum pageflags, or the listing's names. */
interface FlagSource {
  family?: LayoutFamily;
  pf?: Map<string, number>;
  names?: NamesDecision;
  problem?: string;
}

function flagSource(f: ToolFacts, family: LayoutFamily | undefined, warnings: string[], notes: string[]): FlagSource {
  const pf = f.pageflags && f.pageflags.size ? f.pageflags : undefined;
  if (family) return { family, pf };
  if (pf) return { family: familyFromEnum(pf, notes), pf };
  const release = f.release ?? '';
  const why = `kernel release ${release ? `"${release}" is outside the known page-flag layouts` : 'unknown'}`;
  if (!f.listingNames || !f.listingNames.namedRows)
    return {
      problem: `${why} and the output has no enum pageflags (crash \`kmem -g\` or our drgn export)${f.listingNames ? ' and its kmem -p rows print no flag names' : ''}: page states cannot be decoded`,
    };
  const names = decideFromNames(f.listingNames, f.versionHint);
  warnings.push(...names.warnings);
  notes.push(...names.notes);
  if (names.problem) return { problem: `${why}; ${names.problem}` };
  // One layout agrees: its bits (each among the listing's candidates) also name flags the listing never printed.
  return { family: names.family, pf: names.family ? undefined : names.bits, names };
}

/**
 * The version the version-dependent rules assume: the release's, else the newest kernel the
 * possible layouts and the other evidence (hint) allow; and that range.
 */
function assumedVersion(
  version: KernelVersion | undefined,
  fams: LayoutFamily[],
  hint?: ToolFacts['versionHint'],
): { ver: KernelVersion; versionRange: VersionRange } {
  let range: VersionRange = fams.length
    ? [familyVersions(fams[0])[0], familyVersions(fams[fams.length - 1])[1]]
    : [...ANY_VERSION];
  if (hint && rangesOverlap(hint.range, range)) range = intersectRanges(range, hint.range);
  if (version !== undefined) return { ver: version, versionRange: [version, version] };
  const top = range[1] >= NEWEST_POSSIBLE ? kernelVersion(6, 18) : range[1];
  return { ver: top, versionRange: range };
}

/** The one layout family whose bits equal the tool's enum pageflags (crash `kmem -g`), when the release is unknown. */
function familyFromEnum(pf: Map<string, number>, notes: string[]): LayoutFamily | undefined {
  const masks = new Map<string, number>();
  for (const [n, b] of pf) if (b < 31) masks.set(n.replace(/^PG_/, ''), 1 << b);
  const { families } = familiesFromNames(masks);
  if (families.length !== 1) return undefined;
  notes.push(
    `page-flag layout ${families[0].id} (kernels ${families[0].first}–${families[0].last}) inferred from the enum pageflags the tool printed`,
  );
  return families[0];
}

/** Notes where the bits come from; warns when the tool's enum pageflags disagrees with the release's layout. */
function noteFlagSource(src: FlagSource, release: string, warnings: string[], notes: string[]): void {
  const { family, pf, names } = src;
  if (pf && family && !names) {
    const differ = ['lru', 'head', 'reserved', 'slab', 'hwpoison', 'owner_priv_1'].filter(
      (n) => pf.has(n) && pf.get(n) !== flagBit(family, n),
    );
    if (differ.length)
      warnings.push(
        `the tool's enum pageflags differs from layout ${family.id} for ${differ.join(', ')}: using the tool's bit numbers`,
      );
    else notes.push(`enum pageflags printed by the tool matches layout ${family.id}`);
  } else if (family && !names) notes.push(`page-flag layout ${family.id} taken from release ${release}`);
}

/** The page_type encoding: from the release, else the listing's layouts, else the era the enum pageflags tells. */
function pickEncoding(
  f: ToolFacts,
  version: KernelVersion | undefined,
  src: FlagSource,
  warnings: string[],
): PageTypeEncoding | { problem: string } {
  const { pf, names } = src;
  let enc = encodingFor(version, f.pagetype);
  if (!enc && names) {
    if (names.encodings.length === 1) enc = encodingById(names.encodings[0]);
    else if (!f.mapcountKnown)
      enc = encodingById('<=6.10'); // no page_type printed: every encoding reads "no type"
    else
      return {
        problem: `kernel release unknown and the layouts that agree with the listing use different page_type encodings (${names.encodings.join(', ')}): page types cannot be decoded`,
      };
  }
  if (!enc && pf) {
    // No release: the enum itself tells the era (PG_slab left in 6.10, PG_owner_2 arrived in 6.12).
    enc = PAGE_TYPE_ENCODINGS.find((e) => e.id === (pf.has('slab') ? '<=6.10' : pf.has('owner_2') ? '>=6.12' : ''));
    if (enc) warnings.push(`kernel release unknown: page_type encoding ${enc.id} assumed from the enum pageflags`);
  }
  return enc ?? { problem: 'kernel version unknown: page types cannot be decoded' };
}

/** The page-type values the tool printed (PGTY_*), as _mapcount values. */
function exportedPageTypes(f: ToolFacts, enc: PageTypeEncoding): Partial<Record<PageTypeName, number>> {
  const exported: Partial<Record<PageTypeName, number>> = {};
  if (f.pagetype)
    for (const [k, v] of f.pagetype) {
      const name = k.replace(/^PGTY_/, '') as PageTypeName;
      if (enc.values[name] !== undefined || name === 'unaccepted' || name === 'large_kmalloc')
        exported[name] = (v << 24) >>> 0;
    }
  return exported;
}

/**
 * How hugetlb folios are marked, only when every kernel the output may come from marks them alike.
 * (6.3-6.5 keep the dtor in folio._folio_dtor, which a tool output does not print: no mark)
 */
function toolHugetlbMark(
  versionRange: VersionRange,
  bit: (name: string) => number | undefined,
  f: ToolFacts,
  notes: string[],
): ClassifyContext['hugetlbMark'] {
  const scheme = hugetlbSchemeIn(versionRange);
  let hugetlbMark: ClassifyContext['hugetlbMark'] = { kind: 'none' };
  if (scheme === 'type') hugetlbMark = { kind: 'type' };
  else if (scheme === 'page1-flag') hugetlbMark = { kind: 'page1-flag', bit: bit('active')! };
  else if (scheme === 'page1-dtor') hugetlbMark = { kind: 'dtor', offset: OFF.word16, value: f.hugetlbDtor ?? 2 };
  if (scheme === undefined)
    notes.push(
      'hugetlb pages are not told from other compound pages: the kernels this output may come from mark them differently',
    );
  return hugetlbMark;
}

/**
 * The kernel predicates. A tool output names no compound_info offset: tails of both forms are decoded
 * (they cannot be confused). Without a release the version the rules assume stands for it.
 */
function toolPredicates(family: LayoutFamily | undefined, release: string, ver: KernelVersion): ClassifyContext['is'] {
  return family
    ? kernelPredicates(release || formatVersion(ver), family, hasCompoundInfo(ver), ver)
    : {
        balloonByMovableOps: hasMovableOpsFlag(ver),
        tailForms: 'pointer-or-mask' as const,
        offlineKindsVerified: false,
        unverifiedWhy: release
          ? `release ${release} is outside the kernels the tables were checked against`
          : 'the kernel release is unknown and the output fits several page-flag layouts',
      };
}

/** The rule flag bits; a needed one without a number is warned about and never set. */
function toolFlagBits(bit: (name: string) => number | undefined, warnings: string[]): ClassifyContext['bit'] {
  const need = (n: string) => {
    const b = bit(n);
    if (b === undefined) warnings.push(`no bit number for PG_${n}`);
    return b ?? NO_BIT;
  };
  return {
    head: need('head'),
    hwpoison: need('hwpoison'),
    reserved: need('reserved'),
    lru: need('lru'),
    dirty: need('dirty'),
    uptodate: need('uptodate'),
    ownerPriv1: need('owner_priv_1'),
    slab: bit('slab'),
    owner2: bit('owner_2'),
    active: need('active'),
  };
}

export function buildToolContext(f: ToolFacts, pageSize = 4096): ToolContext {
  const warnings: string[] = [];
  const notes: string[] = [];
  const release = f.release ?? '';
  const version = parseRelease(release);
  const src = flagSource(f, familyFromRelease(release), warnings, notes);
  if (src.problem) return { problem: src.problem, warnings, notes };
  const { family, pf, names } = src;
  // Names-only decoding: a rule flag the listing never printed is set in none of its rows.
  const bit = (name: string): number | undefined =>
    pf?.get(name) ?? pf?.get(`PG_${name}`) ?? (family ? flagBit(family, name) : names ? NO_BIT : undefined);
  noteFlagSource(src, release, warnings, notes);
  const enc = pickEncoding(f, version, src, warnings);
  if ('problem' in enc) return { family, problem: enc.problem, warnings, notes };
  const exported = exportedPageTypes(f, enc);
  const { ver, versionRange } = assumedVersion(version, family ? [family] : (names?.families ?? []), f.versionHint);
  if (version === undefined && (names || f.versionHint))
    notes.push(
      `rules that depend on the exact kernel version assume ${formatVersion(ver)}${f.versionHint && versionRange[1] === f.versionHint.range[1] ? ` (the newest kernel that fits ${f.versionHint.why})` : ''}`,
    );
  const hugetlbMark = toolHugetlbMark(versionRange, bit, f, notes);
  const nodesShift = Math.round(Math.log2(f.maxNumNodes ?? 1024));
  const zoneWidth = 3;
  const is = toolPredicates(family, release, ver);
  if (!is.offlineKindsVerified)
    warnings.push(
      `${is.unverifiedWhy}: PageOffline pages that are not movable balloon pages show as offline (kind unknown)`,
    );
  const ctx: ClassifyContext = {
    off: {
      flags: OFF.flags,
      compoundHead: OFF.compoundHead,
      mapping: OFF.mapping,
      private: OFF.private,
      mapcount: OFF.mapcount,
      refcount: OFF.refcount,
    },
    pageSize,
    structSize: STRUCT_PAGE_SIZE,
    types: new PageTypeDecoder(enc, exported),
    version: ver,
    hugetlbMark,
    is,
    tailForms: is.tailForms,
    zoneShift: 64 - nodesShift - zoneWidth,
    zoneWidth,
    balloonMops: f.balloonMops,
    virtioMem: f.virtioMem,
    bit: toolFlagBits(bit, warnings),
  };
  notes.push(`page_type encoding ${enc.id}`);
  return { ctx, family, warnings, notes, versionRange: version !== undefined ? undefined : versionRange };
}
