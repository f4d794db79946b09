// crash `kmem -m member[,member...]`: one row per page with the PAGE address and the chosen members,
// e.g. `kmem -m _mapcount,compound_dtor,compound_head,private`:
//       PAGE        _mapcount  compound_dtor  compound_head  private
//   ffffea0000004800  -129  184  18446612683141804728  5
// It fills in what `kmem -p` does not print (page_type, compound_head, private, compound_dtor).
// Values follow crash's output radix (10 by default; `flags` is always %016lx; 0x or a-f means hex).
// Known quirk (8.0.2): `_refcount` directly followed by `mapping` prints them without a separator;
// such rows have fewer fields than members and are reported, not guessed.
import { OFF, PageImage } from './pageImage';

const MEMBER_AT: Record<string, { off: number; size: 1 | 4 | 8 }> = {
  flags: { off: OFF.flags, size: 8 },
  compound_head: { off: OFF.compoundHead, size: 8 },
  mapping: { off: OFF.mapping, size: 8 },
  index: { off: OFF.index, size: 8 },
  private: { off: OFF.private, size: 8 },
  _mapcount: { off: OFF.mapcount, size: 4 },
  page_type: { off: OFF.mapcount, size: 4 },
  _refcount: { off: OFF.refcount, size: 4 },
  _count: { off: OFF.refcount, size: 4 },
  compound_dtor: { off: OFF.word16, size: 1 },
  compound_order: { off: OFF.word16 + 1, size: 1 },
};

export interface KmemMResult {
  members: string[];
  rows: number;
  filled: number;
  notListed: number;
  badRows: number;
  unknownMembers: string[];
}

function value(s: string, member: string): bigint | undefined {
  if (member === 'flags' || /^0x/i.test(s) || /[a-f]/i.test(s))
    return /^(0x)?[0-9a-f]+$/i.test(s) ? BigInt(s.startsWith('0x') ? s : '0x' + s) : undefined;
  return /^-?\d+$/.test(s) ? BigInt(s) : undefined;
}

/** Fills the listed members into PFNs the image already covers; vmemmap locates each PAGE. */
export function parseKmemM(text: string, image: PageImage, vmemmap: bigint): KmemMResult {
  const r: KmemMResult = { members: [], rows: 0, filled: 0, notListed: 0, badRows: 0, unknownMembers: [] };
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (!line) continue;
    const f = line.split(/\s+/);
    if (f[0] === 'PAGE') {
      r.members = f.slice(1);
      r.unknownMembers = r.members.filter((m) => !MEMBER_AT[m]);
      continue;
    }
    if (!r.members.length || !/^[0-9a-f]{16}$/.test(f[0])) continue;
    r.rows++;
    if (f.length !== r.members.length + 1) {
      r.badRows++;
      continue;
    }
    const d = BigInt('0x' + f[0]) - vmemmap;
    if (d < 0n || d % 64n !== 0n) {
      r.badRows++;
      continue;
    }
    const pfn = Number(d / 64n);
    const p = image.page(pfn);
    if (!p) {
      r.notListed++;
      continue;
    }
    for (let k = 0; k < r.members.length; k++) {
      const at = MEMBER_AT[r.members[k]];
      const v = at && value(f[k + 1], r.members[k]);
      if (!at || v === undefined) continue;
      if (at.size === 8) p.buf.writeBigUInt64LE(BigInt.asUintN(64, v), p.off + at.off);
      else if (at.size === 4) p.buf.writeUInt32LE(Number(BigInt.asUintN(32, v)), p.off + at.off);
      else p.buf[p.off + at.off] = Number(BigInt.asUintN(8, v));
    }
    r.filled++;
  }
  return r;
}
