// What a `kmem -p` listing does not print but the rules need, recovered from what it does print:
// - compound tails: kmem -p has no compound_head column, but a head's size is on its page[1] row
//   (compound_nr in `mapping` ≤ 6.2, _folio_nr_pages in `index` 6.3-6.5, the order in the low byte
//   of `flags` 6.6+), so the following rows are marked as its tails;
// - balloon pages (≤ 6.16): page_type is not printed, but `mapping` = &balloon_mops | 2 when the
//   session resolved balloon_mops (`sym balloon_mops`, or a `struct page` print of a balloon page).
// Anything else that needs page_type (page tables, PageOffline of virtio-mem/XEN/Hyper-V) stays
// unknown to these rules and is said so in a warning.
import type { ClassifyContext } from '../classifyPage';
import { kernelVersion as kv, NEWEST_POSSIBLE, rangesOverlap, type VersionRange } from '../../kernel/version';
import { NAMED_BITS_MASK } from '../../parsers/tools/kmemPFlagNames';
import { CHUNK_PFNS, COVER_NONE, COVER_PAGE, OFF, PageImage } from '../../parsers/tools/pageImage';

export interface InferenceResult {
  tails: number;
  heads: number;
  balloon: number;
  badHeads: number;
  orphanTails: number;
  page1?: Page1Layout;
  page1Note?: string;
  /** Kernel versions the chosen page[1] layout belongs to, when the heads chose it. */
  page1Range?: VersionRange;
}

/** Where page[1] of a compound page keeps its size, by kernel version. */
export type Page1Layout = 'order-in-flags' | 'nr-in-index' | 'nr-in-mapping-hi' | 'nr-in-mapping';
const PAGE1_LAYOUTS: { id: Page1Layout; versions: VersionRange; words: string }[] = [
  { id: 'order-in-flags', versions: [kv(6, 6), NEWEST_POSSIBLE], words: 'the order in the low byte of flags (6.6+)' },
  { id: 'nr-in-index', versions: [kv(6, 3), kv(6, 5)], words: '_folio_nr_pages in index (6.3–6.5)' },
  {
    id: 'nr-in-mapping-hi',
    versions: [kv(6, 0), kv(6, 2)],
    words: 'compound_nr in the upper half of mapping (6.0–6.2)',
  },
  { id: 'nr-in-mapping', versions: [0, kv(5, 99)], words: 'compound_nr in mapping (before 6.0)' },
];

function page1Nr(p1: { buf: Buffer; off: number }, layout: Page1Layout): number {
  if (layout === 'order-in-flags') return 2 ** (p1.buf[p1.off + OFF.flags] & 0xff);
  if (layout === 'nr-in-index') return p1.buf.readUInt32LE(p1.off + OFF.index);
  if (layout === 'nr-in-mapping-hi') return p1.buf.readUInt32LE(p1.off + OFF.mapping + 4);
  return p1.buf.readUInt32LE(p1.off + OFF.mapping);
}

function compoundNr(image: PageImage, head: number, layout: Page1Layout): number | undefined {
  const p1 = image.page(head + 1);
  if (!p1) return undefined;
  const nr = page1Nr(p1, layout);
  if (nr < 2 || nr > 1 << 18 || (nr & (nr - 1)) !== 0 || head % nr !== 0) return undefined;
  return nr;
}

/**
 * The page[1] layout: the one of the exact version, or — when only a version range is known — the
 * one layout of that range under which the listed heads read plausible sizes (a power of two that
 * aligns the head); undefined when the heads do not single one out.
 */
export function choosePage1Layout(
  image: PageImage,
  listHeads: () => number[],
  range: VersionRange,
): { layout?: Page1Layout; range?: VersionRange; note?: string } {
  const fits = PAGE1_LAYOUTS.filter((l) => rangesOverlap(l.versions, range));
  if (fits.length === 1) return { layout: fits[0].id };
  const heads = listHeads();
  const score = fits.map((l) => heads.filter((h) => compoundNr(image, h, l.id) !== undefined).length);
  const best = Math.max(0, ...score);
  const winners = fits.filter((_, i) => score[i] === best);
  if (!best || winners.length !== 1)
    return {
      note: `compound sizes not read: the kernel version is not known exactly and the page[1] rows of ${heads.length} head(s) fit ${winners.length ? winners.map((w) => w.id).join(' and ') : 'no layout'}`,
    };
  const w = winners[0];
  return {
    layout: w.id,
    range: [...w.versions],
    note: `compound sizes read from page[1] as ${w.words}: the one layout of the possible kernels under which ${best} of ${heads.length} listed heads read a plausible size`,
  };
}

/** Fills compound_head of tails and page_type of balloon pages for PFNs whose struct page came from kmem -p rows only. */
export function inferFromKmemP(
  image: PageImage,
  onlyKmemP: (pfn: number) => boolean,
  ctx: ClassifyContext,
  vmemmap: bigint | undefined,
  versionRange?: VersionRange,
): InferenceResult {
  const r: InferenceResult = { tails: 0, heads: 0, balloon: 0, badHeads: 0, orphanTails: 0 };
  const page1 = choosePage1Layout(
    image,
    () => listedHeads(image, onlyKmemP, ctx.bit.head),
    versionRange ?? [ctx.version, ctx.version],
  );
  r.page1 = page1.layout;
  r.page1Note = page1.note;
  r.page1Range = page1.range;
  const headBit = ctx.bit.head;
  const offlineValue = ctx.types.encoding.values.offline;
  const balloon = ctx.balloonMops !== undefined && !ctx.is.balloonByMovableOps ? ctx.balloonMops | 2n : undefined;
  let skipBelow = -1; // tails of the last head are not heads themselves
  for (const c of image.chunks()) {
    for (let i = 0; i < CHUNK_PFNS; i++) {
      const pfn = c.base + i;
      if (pfn < skipBelow || c.cover[i] !== COVER_PAGE || !onlyKmemP(pfn)) continue;
      const p = { buf: c.buf, off: i * 64 };
      if (
        balloon !== undefined &&
        offlineValue !== undefined &&
        p.buf.readBigUInt64LE(p.off + OFF.mapping) === balloon &&
        p.buf.readInt32LE(p.off + OFF.mapcount) === -1
      ) {
        p.buf.writeUInt32LE(offlineValue, p.off + OFF.mapcount);
        r.balloon++;
      }
      if (vmemmap === undefined || headBit >= 32 || !((p.buf.readUInt32LE(p.off + OFF.flags) >>> headBit) & 1))
        continue;
      const n = page1.layout ? compoundNr(image, pfn, page1.layout) : undefined;
      if (n === undefined) {
        r.badHeads++;
        continue;
      }
      r.heads++;
      const word = vmemmap + BigInt(pfn) * 64n + 1n;
      for (let t = pfn + 1; t < pfn + n; t++) {
        const q = image.page(t);
        if (!q || !onlyKmemP(t)) continue;
        q.buf.writeBigUInt64LE(word, q.off + OFF.compoundHead);
        r.tails++;
      }
      skipBelow = pfn + n;
    }
  }
  if (vmemmap !== undefined) r.orphanTails = markOrphanTails(image, onlyKmemP, vmemmap, page1.layout);
  return r;
}

/** page->mapping of a compound tail page before the head's fields overwrite it (x86_64 POISON_POINTER_DELTA + 0x400). */
export const TAIL_MAPPING = 0xdead000000000400n;

/**
 * Tail pages of a compound page whose head is not in the listing (a slice that starts inside one):
 * refcount 0 like a free page, but a free page's mapping is always NULL, while a tail's is
 * TAIL_MAPPING or, for page[1] on 6.0–6.2, the compound fields (compound_nr in the upper half).
 * They get a compound_head pointing below the listing, so the rules call them compound tails
 * whose head cannot be read instead of free pages.
 */
function markOrphanTails(
  image: PageImage,
  onlyKmemP: (pfn: number) => boolean,
  vmemmap: bigint,
  page1?: Page1Layout,
): number {
  let n = 0;
  for (const sec of image.chunks()) {
    const base = sec.base;
    for (let i = 0; i < CHUNK_PFNS; i++) {
      const off = i * 64;
      if (
        sec.cover[i] !== COVER_PAGE ||
        sec.buf.readUInt32LE(off + OFF.compoundHead) & 1 ||
        sec.buf.readInt32LE(off + OFF.refcount) !== 0
      )
        continue;
      if (
        (sec.buf.readUInt32LE(off + OFF.flags) & NAMED_BITS_MASK) !== 0 ||
        sec.buf.readInt32LE(off + OFF.mapcount) !== -1
      )
        continue;
      const mapping = sec.buf.readBigUInt64LE(off + OFF.mapping);
      const hi = Number(mapping >> 32n);
      const page1Fields =
        page1 === 'nr-in-mapping-hi' &&
        (mapping & 0xffffffffn) === 0n &&
        hi >= 2 &&
        hi <= 1 << 18 &&
        (hi & (hi - 1)) === 0;
      if (mapping !== TAIL_MAPPING && !page1Fields) continue;
      if (!onlyKmemP(base + i)) continue;
      let head = base + i - 1;
      while (head >= 0 && base + i - head <= 1 << 18 && image.coverage(head) !== COVER_NONE) head--;
      if (head < 0 || base + i - head > 1 << 18) continue;
      sec.buf.writeBigUInt64LE(vmemmap + BigInt(head) * 64n + 1n, off + OFF.compoundHead);
      n++;
    }
  }
  return n;
}

/** PFNs of listed (kmem -p only) pages with PG_head. */
function listedHeads(image: PageImage, onlyKmemP: (pfn: number) => boolean, headBit: number): number[] {
  const out: number[] = [];
  if (headBit >= 32) return out;
  for (const c of image.chunks())
    for (let i = 0; i < CHUNK_PFNS; i++)
      if (
        c.cover[i] === COVER_PAGE &&
        (c.buf.readUInt32LE(i * 64 + OFF.flags) >>> headBit) & 1 &&
        onlyKmemP(c.base + i)
      )
        out.push(c.base + i);
  return out;
}
