// The word a compound tail page holds at offset 8, and how to find its head from it.
// ≤ 6.18 (and 7.x without HVO): `compound_head` = head struct page address | 1.
// 7.x with CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP and a power-of-two struct page (Debian amd64 7.2+):
// `compound_info` = GENMASK(63, order + 6) | 1, the same for every tail of an order, and the head is
// tail struct page address & compound_info (include/linux/page-flags.h compound_info_has_mask(),
// _compound_head(); 7.3.4). Summary: docs/kernel/compound-pages.md.

/** Kernels whose VMCOREINFO names OFFSET(page.compound_info) may store tails in either form. */
export type TailWordForms = 'pointer' | 'pointer-or-mask';

export type TailWord = { form: 'pointer'; headVa: bigint } | { form: 'mask'; order: number; mask: bigint };

const U64 = (1n << 64n) - 1n;
/** A mask leaves at least 2^(order + 6) bytes below it; the largest folios (order ≤ 18 on x86_64) stay well under 2^28. */
const MASK_FLOOR = (1n << 64n) - (1n << 28n);

/**
 * Decodes a tail word (bit 0 set). In the mask form the word is odd, (w & ~1) ≥ 2^64 - 2^28 and
 * -(w & ~1) is a power of two; no struct page address lies that high, so the forms cannot be confused.
 */
export function decodeTailWord(word: bigint, forms: TailWordForms): TailWord {
  const w = word & ~1n & U64;
  if (forms === 'pointer-or-mask' && w >= MASK_FLOOR) {
    const span = ((1n << 64n) - w) & U64; // 2^(order + 6)
    if (span !== 0n && (span & (span - 1n)) === 0n) {
      const shift = span.toString(2).length - 1;
      if (shift >= 7) return { form: 'mask', order: shift - 6, mask: word & U64 };
    }
  }
  return { form: 'pointer', headVa: w };
}

/** Head struct page address of a tail at struct page address tailVa. */
export function headVaOfTail(word: bigint, tailVa: bigint, forms: TailWordForms): bigint {
  const t = decodeTailWord(word, forms);
  return t.form === 'mask' ? tailVa & t.mask & ~1n : t.headVa;
}
