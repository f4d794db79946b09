// Kernel-version differences the readers act on, as named predicates computed once per snapshot.
// Each cites the change; summaries in docs/kernel/ (offline-pages.md, compound-pages.md).
import type { TailWordForms } from './compound';
import { LayoutFamily, parseRelease, releaseCoverage } from './pageflags';

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

const atLeast = (v: [number, number], M: number, m: number) => v[0] > M || (v[0] === M && v[1] >= m);

/** Predicates for a release (OSRELEASE) read with `family`; compoundInfo: VMCOREINFO names page.compound_info. */
export function kernelPredicates(release: string, family: LayoutFamily, compoundInfo: boolean): KernelPredicates {
  const v = parseRelease(release) ?? (family.last.split('.').map(Number) as [number, number]);
  const cov = releaseCoverage(release);
  const verified = cov.kind === 'family' && cov.family.id === family.id;
  return {
    balloonByMovableOps: atLeast(v, 6, 17),
    tailForms: compoundInfo ? 'pointer-or-mask' : 'pointer',
    offlineKindsVerified: verified,
    unverifiedWhy: verified ? undefined : cov.kind === 'family'
      ? `release ${release} belongs to layout ${cov.family.id}, but the dump's numbers say ${family.id}`
      : `release ${release || '(none)'} is ${cov.kind === 'newer' ? 'newer than' : cov.kind === 'older' ? 'older than' : 'outside'} the kernels the tables were checked against`,
  };
}
