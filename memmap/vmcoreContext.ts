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

export function buildClassifyContext(
  vi: VmcoreInfo,
  pageSize: number,
  archFields?: FlagFields,
  archName = 'x86_64',
): ContextResult {
  const warnings: string[] = [];
  const notes: string[] = [];
  const numbers = {
    lru: vmNumber(vi, 'PG_lru'),
    private: vmNumber(vi, 'PG_private'),
    swapcache: vmNumber(vi, 'PG_swapcache'),
    swapbacked: vmNumber(vi, 'PG_swapbacked'),
    slab: vmNumber(vi, 'PG_slab'),
    hwpoison: vmNumber(vi, 'PG_hwpoison'),
    headMask: vmNumber(vi, 'PG_head_mask'),
    compoundInfo: vi.offsets.has('page.compound_info'),
  };
  const release = vi.osrelease ?? '';
  let family = familyFromNumbers(numbers, release);
  const relFamily = familyFromRelease(release);
  if (family) {
    notes.push(`page-flag layout ${family.id} identified from the VMCOREINFO PG_* numbers`);
    if (relFamily && relFamily.id !== family.id)
      warnings.push(
        `OSRELEASE ${release} suggests layout ${relFamily.id} but the exported PG_* numbers say ${family.id}; using ${family.id}`,
      );
  } else if (numbers.lru === undefined && numbers.headMask === undefined && relFamily) {
    family = relFamily;
    warnings.push(`VMCOREINFO exports no PG_* numbers; page-flag layout ${family.id} taken from OSRELEASE ${release}`);
  } else {
    return {
      problem: `unrecognised page-flag layout (PG_lru=${numbers.lru}, PG_private=${numbers.private}, PG_swapcache=${numbers.swapcache}, PG_swapbacked=${numbers.swapbacked}, PG_slab=${numbers.slab}, PG_hwpoison=${numbers.hwpoison}, PG_head_mask=${numbers.headMask}) for ${release || 'an unknown release'}: page states are shown as unknown`,
      warnings,
      notes,
    };
  }
  const buddy = vmNumber(vi, 'PAGE_BUDDY_MAPCOUNT_VALUE');
  // 5.10's combinable page-type bits share the buddy value with 5.15-6.10: chosen by the family
  const byBuddy = encodingFromBuddyValue(buddy);
  const enc = family.id === '5.10' && byBuddy?.id === '<=6.10' ? pageTypeEncoding('5.10') : byBuddy;
  if (!enc)
    return {
      family,
      problem: `unrecognised page_type encoding (PAGE_BUDDY_MAPCOUNT_VALUE=${buddy}): page states are shown as unknown`,
      warnings,
      notes,
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
  const types = new PageTypeDecoder(enc, exported);
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
  let hugetlbMark: ClassifyContext['hugetlbMark'] = { kind: 'none' };
  if (vi.numbers.has('PAGE_HUGETLB_MAPCOUNT_VALUE')) hugetlbMark = { kind: 'type' };
  else if (vi.numbers.has('PG_hugetlb')) hugetlbMark = { kind: 'page1-flag', bit: vmNumber(vi, 'PG_hugetlb')! };
  else if (vi.numbers.has('HUGETLB_PAGE_DTOR')) {
    const dtorOff =
      vi.offsets.get('page.compound_dtor') ??
      (vi.offsets.has('folio._folio_dtor') ? vi.offsets.get('folio._folio_dtor')! - structSize : undefined);
    if (dtorOff !== undefined)
      hugetlbMark = { kind: 'dtor', offset: dtorOff, value: vmNumber(vi, 'HUGETLB_PAGE_DTOR')! };
  }
  // LENGTH(node_data) (= MAX_NUMNODES) is in x86_64's VMCOREINFO only; elsewhere the architecture's distribution NODES_SHIFT
  const nodes = vi.lengths.get('node_data');
  const nodesShift = nodes !== undefined ? Math.round(Math.log2(nodes)) : (archFields?.nodesShift ?? 10);
  const zoneWidth = archFields?.zonesWidth ?? 3;
  notes.push(
    `zone field assumed ${zoneWidth} bits below a ${nodesShift}-bit node field (${archName} with ZONE_DEVICE${nodes === undefined ? `; NODES_SHIFT ${nodesShift} of the distribution's ${archName} build, VMCOREINFO has no LENGTH(node_data)` : ''})`,
  );
  const b = (n: string) => flagBit(family!, n);
  const ctx: ClassifyContext = {
    off,
    pageSize,
    structSize,
    types,
    version,
    hugetlbMark,
    is,
    tailForms: is.tailForms,
    zoneShift: 64 - nodesShift - zoneWidth,
    zoneWidth,
    bit: {
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
    },
  };
  notes.push(`page_type encoding ${enc.id} (PAGE_BUDDY_MAPCOUNT_VALUE=${buddy})`);
  return { ctx, family, warnings, notes };
}
