// Kernel-version differences the readers act on, as named predicates computed once per snapshot.
// Each cites the change; summaries in docs/kernel/ (offline-pages.md, compound-pages.md, kpageflags.md,
// page-types.md, sections-and-blocks.md). Rules read these, never the version.
import type { TailWordForms } from './compound';
import { LayoutFamily, releaseCoverage } from './pageflags';
import type { PageTypeEncodingId } from './pagetypes';
import { kernelVersion as kv, parseRelease, type KernelVersion, type VersionRange } from './version';

// ---- One predicate per kernel change, each defined once. ----

/** 6.17 "mm: convert "movable" flag in page->mapping to a page flag": PG_movable_ops (= PG_uptodate) marks movable balloon pages. */
export const hasMovableOpsFlag = (v: KernelVersion): boolean => v >= kv(6, 17);

/**
 * 7.x "mm: rework compound_head() for power-of-2 sizeof(struct page)": a tail's compound_info holds a mask
 * or head | 1 (a dump says so by OFFSET(page.compound_info); a tool output only by its version).
 */
export const hasCompoundInfo = (v: KernelVersion): boolean => v >= kv(7, 0);

/** 6.16 "fs/proc/page: refactor to reduce code duplication": kpageflags reads 0, not KPF_NOPAGE, without an online memmap. */
export const kpfZeroForNoPage = (v: KernelVersion): boolean => v >= kv(6, 16);

/** 6.15 CONFIG_SPARSEMEM_VMEMMAP_PREINIT (hugetlb/CMA series, MM updates for 6.15-rc1): a sixth mem_section flag bit. */
export const hasSectionPreinitFlag = (v: KernelVersion): boolean => v >= kv(6, 15);

/** 6.12 "mm: rename PG_mappedtodisk to PG_owner_2": kpageflags bit 34 (KPF_MAPPEDTODISK) is PG_owner_2. */
export const hasOwner2Flag = (v: KernelVersion): boolean => v >= kv(6, 12);

/** 6.10 46df8e73a4a3 "mm: free up PG_slab": slab pages carry the slab page type instead of PG_slab. */
export const hasSlabFlag = (v: KernelVersion): boolean => v < kv(6, 10);

/**
 * 5.19 "mm: make alloc_contig_range work at pageblock granularity": start_isolate_page_range() isolates
 * the range's first and last pageblocks (isolate_single_pageblock) before the rest; earlier kernels
 * isolate every pageblock in address order.
 */
export const isolatesPageblocksInAddressOrder = (v: KernelVersion): boolean => v < kv(5, 19);

/** 6.12 "mm: remove PG_error": KPF_ERROR can no longer be set. */
export const hasErrorFlag = (v: KernelVersion): boolean => v < kv(6, 12);

/** 6.12 "x86: remove PG_uncached": KPF_UNCACHED can no longer be set. */
export const hasUncachedFlag = (v: KernelVersion): boolean => v < kv(6, 12);

/**
 * How page->page_type encodes a type (kernel/pagetypes.ts): 5.10's combinable bits; one cleared bit per
 * type up to 6.10; 6.11 "mm: allow reuse of the lower 16 bit of the page type with an actual type";
 * 6.12 an enum pagetype in the top byte (MM updates for 6.12-rc1).
 */
export function pageTypeScheme(v: KernelVersion): PageTypeEncodingId {
  if (v === kv(5, 10)) return '5.10';
  if (v >= kv(6, 12)) return '>=6.12';
  if (v === kv(6, 11)) return '6.11';
  return '<=6.10';
}

/** The page-type schemes kernels in a range use (5.10's bits aside: only families beyond 5.10 are ranged). */
export function pageTypeSchemesIn(r: VersionRange): PageTypeEncodingId[] {
  const out: PageTypeEncodingId[] = [];
  if (r[0] <= kv(6, 10)) out.push('<=6.10');
  if (r[0] <= kv(6, 11) && kv(6, 11) <= r[1]) out.push('6.11');
  if (kv(6, 12) <= r[1]) out.push('>=6.12');
  return out;
}

/**
 * How a hugetlb folio is marked: page[1].compound_dtor (≤6.2) or folio._folio_dtor (6.3-6.5), PG_hugetlb on
 * page[1] (6.6-6.8, 9c5ccf2db04b), the hugetlb page type from 6.9 (d99e3140a4d3 "mm: turn folio_test_hugetlb
 * into a PageType"). Backports to 6.6.y/6.8.y are why a dump's VMCOREINFO decides when it can.
 */
export type HugetlbScheme = 'page1-dtor' | 'folio-dtor' | 'page1-flag' | 'type';
export function hugetlbScheme(v: KernelVersion): HugetlbScheme {
  if (v >= kv(6, 9)) return 'type';
  if (v >= kv(6, 6)) return 'page1-flag';
  if (v >= kv(6, 3)) return 'folio-dtor';
  return 'page1-dtor';
}

/** The scheme every kernel of a range shares, or undefined when they differ (the schemes change monotonically). */
export function hugetlbSchemeIn(r: VersionRange): HugetlbScheme | undefined {
  const a = hugetlbScheme(r[0]);
  return a === hugetlbScheme(r[1]) ? a : undefined;
}

// ---- The predicates of one snapshot. ----

export interface KernelPredicates {
  /**
   * A movable balloon page is PageOffline + PG_movable_ops (bit 3, aliasing PG_uptodate) from 6.17
   * ("mm: convert "movable" flag in page->mapping to a page flag", 6.17; 7.x adds private = balloon_dev_info); before, page->mapping
   * is &balloon_mops | PAGE_MAPPING_MOVABLE (5.10: the balloon inode's i_mapping | 2).
   */
  balloonByMovableOps: boolean;
  /** 7.x VMCOREINFO names OFFSET(page.compound_info): tails hold a mask (HVO built in) or head | 1. */
  tailForms: TailWordForms;
  /**
   * The release lies inside a family of the tables, so the PageOffline kinds (balloon marking,
   * virtio-mem protocol) are the verified ones. False for a release newer than (or between) the
   * families: the offline kinds are then not told apart.
   */
  offlineKindsVerified: boolean;
  /** Why offlineKindsVerified is false (for warnings and the page's notes). */
  unverifiedWhy?: string;
}

/**
 * Predicates for a release (OSRELEASE) read with `family`; compoundInfo: VMCOREINFO names page.compound_info.
 * The version the rules assume is the release's, else `assumed` (what other evidence allows), else the family's last.
 */
export function kernelPredicates(
  release: string,
  family: LayoutFamily,
  compoundInfo: boolean,
  assumed?: KernelVersion,
): KernelPredicates {
  const v = parseRelease(release) ?? assumed ?? parseRelease(family.last)!;
  const cov = releaseCoverage(release);
  const verified = cov.kind === 'family' && cov.family.id === family.id;
  return {
    balloonByMovableOps: hasMovableOpsFlag(v),
    tailForms: compoundInfo ? 'pointer-or-mask' : 'pointer',
    offlineKindsVerified: verified,
    unverifiedWhy: verified
      ? undefined
      : cov.kind === 'family'
        ? `release ${release} belongs to layout ${cov.family.id}, but the dump's numbers say ${family.id}`
        : `release ${release || '(none)'} is ${cov.kind === 'newer' ? 'newer than' : cov.kind === 'older' ? 'older than' : 'outside'} the kernels the tables were checked against`,
  };
}

/**
 * What a /proc/kpageflags word means on this kernel. With the release unknown the words are read as on
 * current kernels for NOPAGE (0 may be a missing memmap) and as on older ones for owner_2 and movable_ops.
 */
export interface KpfPredicates {
  /** kpfZeroForNoPage, or the release is unknown. */
  zeroMayBeNoPage: boolean;
  /** hasOwner2Flag: KPF_MAPPEDTODISK on an offline page is PG_offline_skippable (unmerged series). */
  owner2OnOffline: boolean;
  /** hasMovableOpsFlag: KPF_UPTODATE on an offline page tells a movable balloon page. */
  movableOpsFlag: boolean;
}

export function kpfPredicates(v: KernelVersion | undefined): KpfPredicates {
  return {
    zeroMayBeNoPage: v === undefined || kpfZeroForNoPage(v),
    owner2OnOffline: v !== undefined && hasOwner2Flag(v),
    movableOpsFlag: v !== undefined && hasMovableOpsFlag(v),
  };
}
