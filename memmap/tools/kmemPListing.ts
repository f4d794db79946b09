// A crash `kmem -p` listing prints flags, mapping, index and refcount but not compound_head or
// page_type: what the classification rules need from those is recovered here, once the listing's
// kernel (and so its rule context) is known. Runs on the parser's ToolMemmap before classifying.
import type { ToolFacts, ToolMemmap } from '../../parsers/tools/toolMemmap';
import { inferFromKmemP } from './kmemPInference';
import { buildToolContext } from './toolContext';
import { intersectRanges, rangesOverlap, type VersionRange } from '../../kernel/version';

/** Fills the tails, heads and balloon pages a kmem -p listing implies, with notes and warnings saying what it could not. */
export function completeKmemPListing(tm: ToolMemmap): void {
  const kmemP = tm.kmemP;
  if (!kmemP) return;
  const tc = buildToolContext(tm.facts);
  if (tc.ctx) {
    const inf = inferFromKmemP(
      tm.image,
      (pfn) => !kmemP.structPagePfns.has(pfn),
      tc.ctx,
      tm.knownFields.has('compound_head') ? undefined : tm.vmemmap,
      tc.versionRange,
    );
    if (inf.page1Note) tm.notes.push(inf.page1Note);
    if (inf.page1Range)
      tm.facts.versionHint = narrowHint(tm.facts.versionHint, inf.page1Range, 'the page[1] rows of its compound pages');
    if (inf.orphanTails)
      tm.notes.push(
        `kmem -p: ${inf.orphanTails} tail page(s) of compound pages whose head is not listed (refcount 0 with TAIL_MAPPING or page[1] fields in mapping, never a free page's NULL): compound-tail, head unreadable`,
      );
    tm.notes.push(
      `kmem -p: ${kmemP.rows} rows; ${inf.heads} compound heads with ${inf.tails} tails recovered from their page[1] rows${inf.balloon ? `; ${inf.balloon} balloon pages from mapping = balloon_mops|2` : ''}`,
    );
    const missing = ['_mapcount', 'compound_head', 'private'].filter((f) => !tm.knownFields.has(f));
    const dtorMissing = tc.ctx.hugetlbMark.kind === 'dtor' && !tm.knownFields.has('compound_dtor');
    if (missing.length || dtorMissing)
      tm.warnings.push(
        `kmem -p does not print ${[...missing, ...(dtorMissing ? ['compound_dtor'] : [])].join(', ')}` +
          (!tm.knownFields.has('_mapcount')
            ? ': page tables and PageOffline pages other than balloon pages show as kernel-other, free pages are recognised by refcount 0'
            : '') +
          (dtorMissing
            ? (tm.knownFields.has('_mapcount') ? ': ' : ', ') + 'hugetlb pages show as compound pages'
            : '') +
          (!tm.knownFields.has('_mapcount') && tm.facts.balloonMops === undefined
            ? '; balloon_mops is unknown (add `sym balloon_mops` to the session)'
            : '') +
          ` (add \`kmem -m _mapcount,compound_dtor,compound_head,private\` to the session)`,
      );
  }
}

/** Two pieces of version evidence together: the kernels both allow, and both reasons (the newest bound's first). */
function narrowHint(hint: ToolFacts['versionHint'], range: VersionRange, why: string): ToolFacts['versionHint'] {
  if (!hint || !rangesOverlap(hint.range, range)) return { range, why };
  const both = intersectRanges(hint.range, range);
  return { range: both, why: hint.range[1] < range[1] ? `${hint.why} and ${why}` : `${why} and ${hint.why}` };
}
