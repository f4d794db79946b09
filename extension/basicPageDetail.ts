// The page detail any snapshot can give from its class bytes alone, for readers without pageDetail().

import { CLASS_DESCRIPTION, className } from '../kernel/pageClasses';
import { blockOfPfn, sectionOfPfn, type PageDetail, type Snapshot } from '../memmap/snapshot';

export function basicPageDetail(s: Snapshot, pfn: number): PageDetail | undefined {
  if (!Number.isInteger(pfn) || pfn < s.startPfn || pfn >= s.endPfn) return undefined;
  const cls = className(s.classes[pfn - s.startPfn]);
  return {
    pfn,
    physAddr: BigInt(pfn) * BigInt(s.kernel.pageSize),
    class: cls,
    rule: 'class-byte',
    why: CLASS_DESCRIPTION[cls],
    section: sectionOfPfn(s, pfn),
    block: blockOfPfn(s, pfn),
    raw: {},
    notes: ['this reader keeps only the class of each page; raw flags are not available'],
  };
}
