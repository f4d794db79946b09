// What a `kmem -p` listing does not print but the rules need, recovered from what it does print:
// - compound tails: kmem -p has no compound_head column, but a head's size is on its page[1] row
//   (compound_nr in `mapping` ≤ 6.2, _folio_nr_pages in `index` 6.3-6.5, the order in the low byte
//   of `flags` 6.6+), so the following rows are marked as its tails;
// - balloon pages (≤ 6.16): page_type is not printed, but `mapping` = &balloon_mops | 2 when the
//   session resolved balloon_mops (`sym balloon_mops`, or a `struct page` print of a balloon page).
// Anything else that needs page_type (page tables, PageOffline of virtio-mem/XEN/Hyper-V) stays
// unknown to these rules and is said so in a warning.
import type { ClassifyContext } from '../../memmap/classifyPage';
import { COVER_PAGE, OFF, PageImage } from './pageImage';

export interface InferenceResult { tails: number; heads: number; balloon: number; badHeads: number }

function compoundNr(image: PageImage, head: number, ctx: ClassifyContext): number | undefined {
  const p1 = image.page(head + 1);
  if (!p1) return undefined;
  const [M, m] = ctx.version;
  const v = M * 100 + m;
  let nr: number;
  if (v >= 606) nr = 2 ** (p1.buf[p1.off + OFF.flags] & 0xff);
  else if (v >= 603) nr = p1.buf.readUInt32LE(p1.off + OFF.index);
  else if (v >= 600) nr = p1.buf.readUInt32LE(p1.off + OFF.mapping + 4);
  else nr = p1.buf.readUInt32LE(p1.off + OFF.mapping);
  if (nr < 2 || nr > 1 << 18 || (nr & (nr - 1)) !== 0 || head % nr !== 0) return undefined;
  return nr;
}

/** Fills compound_head of tails and page_type of balloon pages for PFNs whose struct page came from kmem -p rows only. */
export function inferFromKmemP(image: PageImage, onlyKmemP: (pfn: number) => boolean, ctx: ClassifyContext, vmemmap: bigint | undefined): InferenceResult {
  const r: InferenceResult = { tails: 0, heads: 0, balloon: 0, badHeads: 0 };
  const headBit = ctx.bit.head;
  const offlineValue = ctx.types.encoding.values.offline;
  const balloon = ctx.balloonMops !== undefined && (ctx.version[0] < 6 || (ctx.version[0] === 6 && ctx.version[1] < 17)) ? ctx.balloonMops | 2n : undefined;
  for (const nr of image.sectionNrs()) {
    const base = nr * image.pfnsPerSection;
    const sec = image.section(nr)!;
    for (let pfn = base; pfn < base + image.pfnsPerSection; pfn++) {
      if (sec.cover[pfn - base] !== COVER_PAGE || !onlyKmemP(pfn)) continue;
      const p = { buf: sec.buf, off: (pfn - base) * 64 };
      if (balloon !== undefined && offlineValue !== undefined && p.buf.readBigUInt64LE(p.off + OFF.mapping) === balloon && p.buf.readInt32LE(p.off + OFF.mapcount) === -1) {
        p.buf.writeUInt32LE(offlineValue, p.off + OFF.mapcount);
        r.balloon++;
      }
      if (vmemmap === undefined || !((p.buf.readUInt32LE(p.off + OFF.flags) >>> headBit) & 1) || headBit >= 32) continue;
      const n = compoundNr(image, pfn, ctx);
      if (n === undefined) { r.badHeads++; continue; }
      r.heads++;
      const word = vmemmap + BigInt(pfn) * 64n + 1n;
      for (let t = pfn + 1; t < pfn + n; t++) {
        const q = image.page(t);
        if (!q || !onlyKmemP(t)) continue;
        q.buf.writeBigUInt64LE(word, q.off + OFF.compoundHead);
        r.tails++;
      }
      pfn += n - 1;
    }
  }
  return r;
}
