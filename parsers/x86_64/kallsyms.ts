// Resolve kernel symbols from the in-memory kallsyms tables, whose addresses VMCOREINFO exports
// from 6.0 on (SYMBOL(kallsyms_names/num_syms/token_table/token_index/offsets/relative_base)).
// Format (kernel/kallsyms.c, scripts/kallsyms.c): names are a byte stream of
// [len (1 byte, or 2 when bit 7 is set: (b0 & 0x7f) | b1 << 7)] [len token indices]; a token expands
// through token_index (u16[256]) into NUL-terminated strings in token_table; the first expanded
// character is the symbol type. Addresses: relative_base + (u32)offset, or with
// KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP up to ~6.14) non-negative offsets are absolute and negative
// ones mean relative_base - 1 - offset.
import { VmcoreInfo } from '../vmcoreinfo';
import { X86Paging } from './paging';

export interface KallsymsResult {
  /** Requested names that were found, name → address. */
  found: Map<string, bigint>;
  notes: string[];
}

const KEYS = ['kallsyms_names', 'kallsyms_num_syms', 'kallsyms_token_table', 'kallsyms_token_index', 'kallsyms_offsets', 'kallsyms_relative_base'];

/** Looks up `wanted` names; returns undefined (with a reason) when kallsyms is not usable. */
export function lookupKallsyms(vi: VmcoreInfo, vm: X86Paging, wanted: string[]): KallsymsResult | { error: string } {
  const sym = (k: string) => vi.symbols.get(k);
  const missing = KEYS.filter((k) => sym(k) === undefined);
  if (missing.length) return { error: `VMCOREINFO lacks ${missing.join(', ')} (kernel older than 6.0?)` };
  const numB = vm.read(sym('kallsyms_num_syms')!, 4);
  const baseB = vm.readU64(sym('kallsyms_relative_base')!);
  const tokIdxB = vm.read(sym('kallsyms_token_index')!, 512);
  if (!numB || baseB === undefined || !tokIdxB) return { error: 'kallsyms tables are not readable in the dump' };
  const num = numB.readUInt32LE(0);
  if (num === 0 || num > 5_000_000) return { error: `implausible kallsyms_num_syms ${num}` };
  const offsB = vm.read(sym('kallsyms_offsets')!, num * 4);
  const tokTabAddr = sym('kallsyms_token_table')!;
  const maxTokOff = Math.max(...Array.from({ length: 256 }, (_, i) => tokIdxB.readUInt16LE(i * 2)));
  const tokTab = vm.read(tokTabAddr, maxTokOff + 64);
  if (!offsB || !tokTab) return { error: 'kallsyms tables are not readable in the dump' };
  const tokens: string[] = [];
  for (let i = 0; i < 256; i++) {
    const o = tokIdxB.readUInt16LE(i * 2);
    const z = tokTab.indexOf(0, o);
    tokens.push(tokTab.subarray(o, z < 0 ? tokTab.length : z).toString('latin1'));
  }
  let absPercpu = false;
  for (let i = 0; i < num; i++) if (offsB.readInt32LE(i * 4) < 0) { absPercpu = true; break; }
  const addrOf = (i: number): bigint => {
    const o = offsB.readInt32LE(i * 4);
    if (!absPercpu) return baseB + BigInt(o >>> 0);
    return o >= 0 ? BigInt(o) : baseB - 1n - BigInt(o);
  };
  const want = new Set(wanted);
  // self-check names: their addresses are also in VMCOREINFO
  const checks = new Map<string, bigint>();
  for (const k of ['_stext', 'init_uts_ns']) { const v = sym(k); if (v !== undefined) { checks.set(k, v); want.add(k); } }
  const found = new Map<string, bigint>();
  // Stream the names in 64 KiB chunks.
  const namesAddr = sym('kallsyms_names')!;
  let chunk: Buffer = Buffer.alloc(0), chunkStart = 0, pos = 0;
  const byteAt = (p: number): number | undefined => {
    if (p < chunkStart || p >= chunkStart + chunk.length) {
      const b = vm.read(namesAddr + BigInt(p), 65536) ?? vm.read(namesAddr + BigInt(p), 4096);
      if (!b) return undefined;
      chunk = b; chunkStart = p;
    }
    return chunk[p - chunkStart];
  };
  for (let i = 0; i < num; i++) {
    let len = byteAt(pos++);
    if (len === undefined) return { error: `kallsyms_names unreadable at symbol ${i}` };
    if (len & 0x80) { const b1 = byteAt(pos++); if (b1 === undefined) return { error: 'kallsyms_names unreadable' }; len = (len & 0x7f) | (b1 << 7); }
    let name = '';
    for (let j = 0; j < len; j++) { const t = byteAt(pos + j); if (t === undefined) return { error: 'kallsyms_names unreadable' }; name += tokens[t]; }
    pos += len;
    const bare = name.slice(1);
    if (want.has(bare) && !found.has(bare)) found.set(bare, addrOf(i));
  }
  const notes: string[] = [];
  for (const [k, v] of checks) {
    const got = found.get(k);
    if (got !== v) return { error: `kallsyms self-check failed: ${k} resolves to ${got === undefined ? 'nothing' : '0x' + got.toString(16)}, VMCOREINFO says 0x${v.toString(16)}` };
    found.delete(k);
  }
  notes.push(`kallsyms: ${num} symbols, ${absPercpu ? 'absolute-percpu' : 'base-relative'} offsets, self-check against VMCOREINFO passed`);
  return { found, notes };
}
