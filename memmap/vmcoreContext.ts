// Builds the per-dump classification context from VMCOREINFO: layout family, page-type encoding,
// struct page offsets, hugetlb marking, zone field position.
import type { FlagFields } from '../kernel/pageflags';
import {
  COVERED_RELEASES,
  familyFromNumbers,
  familyFromRelease,
  familyVersions,
  flagBit,
  LayoutFamily,
} from '../kernel/pageflags';
import { parseRelease } from '../kernel/version';
import { encodingFromBuddyValue, PageTypeDecoder, pageTypeEncoding, PageTypeName } from '../kernel/pagetypes';
import { kernelPredicates } from '../kernel/predicates';
import { VmcoreInfo, vmNumber } from '../parsers/vmcoreinfo';
import { ClassifyContext } from './classifyPage';

export interface ContextResult {
  ctx?: ClassifyContext;
  family?: LayoutFamily;
  /** Why ctx is missing (the snapshot then shows online pages as unknown). */
  problem?: string;
  warnings: string[];
  notes: string[];
}

/** The PG_* numbers VMCOREINFO exports, which identify the page-flag layout. */
type PgNumbers = ReturnType<typeof pgNumbers>;

function pgNumbers(vi: VmcoreInfo) {
  return {
    lru: vmNumber(vi, 'PG_lru'),
    private: vmNumber(vi, 'PG_private'),
    swapcache: vmNumber(vi, 'PG_swapcache'),
    swapbacked: vmNumber(vi, 'PG_swapbacked'),
    slab: vmNumber(vi, 'PG_slab'),
    hwpoison: vmNumber(vi, 'PG_hwpoison'),
    headMask: vmNumber(vi, 'PG_head_mask'),
    compoundInfo: vi.offsets.has('page.compound_info'),
  };
}

/** The page-flag layout from the PG_* numbers, else from OSRELEASE; a problem string when neither works. */
function identifyFamily(
  numbers: PgNumbers,
  release: string,
  warnings: string[],
  notes: string[],
): LayoutFamily | { problem: string } {
  const family = familyFromNumbers(numbers, release);
  const relFamily = familyFromRelease(release);
  if (family) {
    notes.push(`page-flag layout ${family.id} identified from the VMCOREINFO PG_* numbers`);
    if (relFamily && relFamily.id !== family.id)
      warnings.push(
        `OSRELEASE ${release} suggests layout ${relFamily.id} but the exported PG_* numbers say ${family.id}; using ${family.id}`,
      );
    return family;
  }
  if (numbers.lru === undefined && numbers.headMask === undefined && relFamily) {
    warnings.push(
      `VMCOREINFO exports no PG_* numbers; page-flag layout ${relFamily.id} taken from OSRELEASE ${release}`,
    );
    return relFamily;
  }
  return {
    problem: `unrecognised page-flag layout (PG_lru=${numbers.lru}, PG_private=${numbers.private}, PG_swapcache=${numbers.swapcache}, PG_swapbacked=${numbers.swapbacked}, PG_slab=${numbers.slab}, PG_hwpoison=${numbers.hwpoison}, PG_head_mask=${numbers.headMask}) for ${release || 'an unknown release'}: page states are shown as unknown`,
  };
}

/** The page_type encoding (from the buddy value and the family) and the values VMCOREINFO exports. */
function pageTypes(
  vi: VmcoreInfo,
  family: LayoutFamily,
):
  | { enc: NonNullable<ReturnType<typeof pageTypeEncoding>>; buddy?: number; types: PageTypeDecoder }
  | { problem: string } {
  const buddy = vmNumber(vi, 'PAGE_BUDDY_MAPCOUNT_VALUE');
  // 5.10's combinable page-type bits share the buddy value with 5.15-6.10: chosen by the family
  const byBuddy = encodingFromBuddyValue(buddy);
  const enc = family.id === '5.10' && byBuddy?.id === '<=6.10' ? pageTypeEncoding('5.10') : byBuddy;
  if (!enc)
    return {
      problem: `unrecognised page_type encoding (PAGE_BUDDY_MAPCOUNT_VALUE=${buddy}): page states are shown as unknown`,
    };
  const exported: Partial<Record<PageTypeName, number>> = {};
  const map: [PageTypeName, string][] = [
    ['buddy', 'PAGE_BUDDY_MAPCOUNT_VALUE'],
    ['offline', 'PAGE_OFFLINE_MAPCOUNT_VALUE'],
    ['hugetlb', 'PAGE_HUGETLB_MAPCOUNT_VALUE'],
    ['slab', 'PAGE_SLAB_MAPCOUNT_VALUE'],
    ['unaccepted', 'PAGE_UNACCEPTED_MAPCOUNT_VALUE'],
  ];
  for (const [n, k] of map) {
    const v = vmNumber(vi, k);
    if (v !== undefined) exported[n] = v >>> 0;
  }
  return { enc, buddy, types: new PageTypeDecoder(enc, exported) };
}

/** struct page's size and field offsets, defaulting (with a warning) what VMCOREINFO does not name. */
function pageOffsets(vi: VmcoreInfo, warnings: string[]): { structSize: number; off: ClassifyContext['off'] } {
  const ob = (name: string, dflt: number, alt?: string) => {
    const v = vi.offsets.get(`page.${name}`) ?? (alt ? vi.offsets.get(`page.${alt}`) : undefined);
    if (v === undefined)
      warnings.push(`VMCOREINFO lacks OFFSET(page.${name})${alt ? ` and OFFSET(page.${alt})` : ''}; assuming ${dflt}`);
    return v ?? dflt;
  };
  const structSize = vi.sizes.get('page') ?? 64;
  if (structSize !== 64) warnings.push(`SIZE(page) is ${structSize}, not 64: unusual build`);
  const off = {
    flags: ob('flags', 0),
    compoundHead: ob('compound_head', 8, 'compound_info'),
    mapping: ob('mapping', 24),
    private: ob('private', 40),
    mapcount: ob('_mapcount', 48),
    refcount: ob('_refcount', 52),
  };
  const contradiction = structPageContradiction(structSize, off);
  if (contradiction) throw new StructPageLayoutError(contradiction);
  return { structSize, off };
}

/** VMCOREINFO describes a struct page no kernel builds: every page would be read from the wrong bytes. */
export class StructPageLayoutError extends Error {}

/** The widths of the fields read (the counters are 32-bit, the rest words). */
const FIELD_BYTES: Record<keyof ClassifyContext['off'], number> = {
  flags: 8,
  compoundHead: 8,
  mapping: 8,
  private: 8,
  mapcount: 4,
  refcount: 4,
};

/**
 * Why SIZE(page) and the OFFSET(page.*) read cannot describe a real struct page, or undefined: it is
 * 8-byte aligned, at least the 40 bytes of its first five words and far below a page (64 in every
 * distribution build; debug options add a few words), and each field lies whole inside it.
 */
export function structPageContradiction(structSize: number, off: ClassifyContext['off']): string | undefined {
  if (!Number.isSafeInteger(structSize) || structSize < 40 || structSize > 512 || structSize % 8 !== 0)
    return `SIZE(page)=${structSize} cannot be a struct page (8-byte aligned, 40 to 512 bytes; 64 in distribution builds)`;
  for (const [field, bytes] of Object.entries(FIELD_BYTES) as [keyof typeof FIELD_BYTES, number][]) {
    const at = off[field];
    if (!Number.isSafeInteger(at) || at < 0 || at % bytes !== 0 || at + bytes > structSize)
      return `OFFSET of struct page's ${field} field is ${at}, which is not an aligned ${bytes}-byte field inside SIZE(page)=${structSize}`;
  }
  return undefined;
}

/** How hugetlb folios are marked: a page type, a flag on the first tail, or a compound destructor. */
function hugetlbMarkOf(vi: VmcoreInfo, structSize: number): ClassifyContext['hugetlbMark'] {
  if (vi.numbers.has('PAGE_HUGETLB_MAPCOUNT_VALUE')) return { kind: 'type' };
  if (vi.numbers.has('PG_hugetlb')) return { kind: 'page1-flag', bit: vmNumber(vi, 'PG_hugetlb')! };
  if (vi.numbers.has('HUGETLB_PAGE_DTOR')) {
    const dtorOff =
      vi.offsets.get('page.compound_dtor') ??
      (vi.offsets.has('folio._folio_dtor') ? vi.offsets.get('folio._folio_dtor')! - structSize : undefined);
    if (dtorOff !== undefined) return { kind: 'dtor', offset: dtorOff, value: vmNumber(vi, 'HUGETLB_PAGE_DTOR')! };
  }
  return { kind: 'none' };
}

/** The zone field's position in page->flags: below the node field. */
function zoneField(
  vi: VmcoreInfo,
  archFields: FlagFields | undefined,
  archName: string,
  notes: string[],
): { zoneShift: number; zoneWidth: number } {
  // LENGTH(node_data) (= MAX_NUMNODES) is in x86_64's VMCOREINFO only; elsewhere the architecture's distribution NODES_SHIFT
  const nodes = vi.lengths.get('node_data');
  const nodesShift = nodes !== undefined ? Math.round(Math.log2(nodes)) : (archFields?.nodesShift ?? 10);
  const zoneWidth = archFields?.zonesWidth ?? 3;
  notes.push(
    `zone field assumed ${zoneWidth} bits below a ${nodesShift}-bit node field (${archName} with ZONE_DEVICE${nodes === undefined ? `; NODES_SHIFT ${nodesShift} of the distribution's ${archName} build, VMCOREINFO has no LENGTH(node_data)` : ''})`,
  );
  return { zoneShift: 64 - nodesShift - zoneWidth, zoneWidth };
}

/** Flag bits: the exported PG_* numbers, the rest from the layout family. */
function flagBits(family: LayoutFamily, numbers: PgNumbers): ClassifyContext['bit'] {
  const b = (n: string) => flagBit(family, n);
  return {
    head: Math.log2(numbers.headMask ?? 2 ** b('head')!),
    hwpoison: numbers.hwpoison ?? b('hwpoison')!,
    reserved: b('reserved')!,
    lru: numbers.lru ?? b('lru')!,
    dirty: b('dirty')!,
    uptodate: b('uptodate')!,
    ownerPriv1: b('owner_priv_1')!,
    slab: numbers.slab ?? b('slab'),
    owner2: b('owner_2'),
    active: b('active')!,
  };
}

/** MAX_PAGE_ORDER = NR_PAGE_ORDERS − 1 (LENGTH(zone.free_area)); 10 (x86_64's) when absent or impossible. */
function maxPageOrder(vi: VmcoreInfo): number {
  const n = vi.lengths.get('zone.free_area');
  return n !== undefined && Number.isInteger(n) && n >= 2 && n <= 21 ? n - 1 : 10;
}

export function buildClassifyContext(
  vi: VmcoreInfo,
  pageSize: number,
  archFields?: FlagFields,
  archName = 'x86_64',
): ContextResult {
  const warnings: string[] = [];
  const notes: string[] = [];
  const numbers = pgNumbers(vi);
  const release = vi.osrelease ?? '';
  const family = identifyFamily(numbers, release, warnings, notes);
  if ('problem' in family) return { problem: family.problem, warnings, notes };
  const pt = pageTypes(vi, family);
  if ('problem' in pt) return { family, problem: pt.problem, warnings, notes };
  const { enc, buddy, types } = pt;
  const version = parseRelease(release) ?? familyVersions(family)[1];
  const is = kernelPredicates(release, family, numbers.compoundInfo);
  if (!is.offlineKindsVerified) {
    warnings.push(
      `${is.unverifiedWhy} (${COVERED_RELEASES}): read with layout ${family.id}, identified from the VMCOREINFO numbers; assumed from that layout: the flag bits VMCOREINFO does not export (reserved, head, dirty, uptodate/movable_ops, owner_2), the page-type values it does not export, and struct page offsets it does not name. PageOffline pages that are not movable balloon pages show as offline (kind unknown), and blocks holding them get no certain verdict`,
    );
  }
  if (numbers.compoundInfo)
    notes.push(
      'compound tails: OFFSET(page.compound_info) (7.x): a tail holds GENMASK(63, order+6)|1 (head = tail address & mask) or head|1; both decoded',
    );
  const { structSize, off } = pageOffsets(vi, warnings);
  const hugetlbMark = hugetlbMarkOf(vi, structSize);
  const { zoneShift, zoneWidth } = zoneField(vi, archFields, archName, notes);
  const ctx: ClassifyContext = {
    off,
    pageSize,
    structSize,
    maxOrder: maxPageOrder(vi),
    types,
    version,
    hugetlbMark,
    is,
    tailForms: is.tailForms,
    zoneShift,
    zoneWidth,
    bit: flagBits(family, numbers),
  };
  notes.push(`page_type encoding ${enc.id} (PAGE_BUDDY_MAPCOUNT_VALUE=${buddy})`);
  return { ctx, family, warnings, notes };
}
