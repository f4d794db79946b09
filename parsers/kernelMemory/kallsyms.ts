// Resolve kernel symbols from the in-memory kallsyms tables, whose addresses VMCOREINFO exports
// from 6.0 on (SYMBOL(kallsyms_names/num_syms/token_table/token_index/offsets/relative_base)).
// Format (kernel/kallsyms.c, scripts/kallsyms.c): names are a byte stream of
// [len (1 byte, or 2 when bit 7 is set: (b0 & 0x7f) | b1 << 7)] [len token indices]; a token expands
// through token_index (u16[256]) into NUL-terminated strings in token_table; the first expanded
// character is the symbol type. Addresses: relative_base + (u32)offset, or with
// KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP up to ~6.14) non-negative offsets are absolute and negative
// ones mean relative_base - 1 - offset. 7.x drops kallsyms_relative_base: each offset is relative to its
// own address, &kallsyms_offsets[i] + (s32)offset (docs/kernel/vmcoreinfo.md, "kallsyms").
import { VmcoreInfo } from '../vmcoreinfo';
import type { KernelTranslator } from './translator';

export interface KallsymsResult {
  /** Requested names that were found, name → address. */
  found: Map<string, bigint>;
  notes: string[];
}

/**
 * Results of earlier lookups in this process (re-opening a dump, its ELF and kdump forms, the same
 * kernel in several dumps), keyed by everything the lookup depends on: the table addresses, symbol
 * count, relative base, the wanted names, and the bytes of the token tables and the first names.
 */
const cache = new Map<string, KallsymsResult>();
const CACHE_MAX = 16;

const KEYS = [
  'kallsyms_names',
  'kallsyms_num_syms',
  'kallsyms_token_table',
  'kallsyms_token_index',
  'kallsyms_offsets',
];
const BASE_KEY = 'kallsyms_relative_base';

/** The kallsyms tables read from the dump: the addresses VMCOREINFO gives and the small tables' bytes. */
interface KallsymsTables {
  sym: (k: string) => bigint | undefined;
  /** 7.x: no relative base, offsets relative to their own address. */
  selfRelative: boolean;
  num: number;
  base: bigint;
  tokIdx: Buffer;
  tokTab: Buffer;
  offs: Buffer;
}

/** Locates the tables through VMCOREINFO and reads the symbol count, base, token tables and offsets. */
function readKallsymsTables(vi: VmcoreInfo, vm: KernelTranslator): KallsymsTables | { error: string } {
  const sym = (k: string) => vi.symbols.get(k);
  const missing = KEYS.filter((k) => sym(k) === undefined);
  if (missing.length)
    return { error: `VMCOREINFO lacks ${missing.join(', ')} (kernels before 6.0 export no kallsyms keys)` };
  // 7.x: no relative base, offsets relative to their own address
  const selfRelative = sym(BASE_KEY) === undefined;
  const numB = vm.read(sym('kallsyms_num_syms')!, 4);
  const baseB = selfRelative ? 0n : vm.readU64(sym(BASE_KEY)!);
  const tokIdxB = vm.read(sym('kallsyms_token_index')!, 512);
  if (!numB || baseB === undefined || !tokIdxB) return { error: 'kallsyms tables are not readable in the dump' };
  const num = numB.readUInt32LE(0);
  if (num === 0 || num > 5_000_000) return { error: `implausible kallsyms_num_syms ${num}` };
  const offsB = vm.read(sym('kallsyms_offsets')!, num * 4);
  const tokTabAddr = sym('kallsyms_token_table')!;
  const maxTokOff = Math.max(...Array.from({ length: 256 }, (_, i) => tokIdxB.readUInt16LE(i * 2)));
  const tokTab = vm.read(tokTabAddr, maxTokOff + 64);
  if (!offsB || !tokTab) return { error: 'kallsyms tables are not readable in the dump' };
  return { sym, selfRelative, num, base: baseB, tokIdx: tokIdxB, tokTab, offs: offsB };
}

/** The key of a lookup in `cache`, or undefined when the start of the names is unreadable. */
function kallsymsCacheKey(t: KallsymsTables, vm: KernelTranslator, wanted: string[]): string | undefined {
  const namesHead = vm.read(t.sym('kallsyms_names')!, 256);
  return (
    namesHead &&
    [
      ...KEYS.map((k) => t.sym(k)!.toString(16)),
      t.selfRelative,
      t.num,
      t.base.toString(16),
      wanted.join(','),
      t.tokIdx.toString('hex'),
      t.tokTab.toString('latin1'),
      namesHead.toString('hex'),
      t.offs.subarray(0, 64).toString('hex'),
      t.offs.subarray(-64).toString('hex'),
    ].join('|')
  );
}

/** The 256 tokens as bytes: names are compared byte-wise and only decoded to strings when their length fits. */
function decodeTokens(tokIdx: Buffer, tokTab: Buffer): Buffer[] {
  const tokens: Buffer[] = [];
  for (let i = 0; i < 256; i++) {
    const o = tokIdx.readUInt16LE(i * 2);
    const z = tokTab.indexOf(0, o);
    tokens.push(tokTab.subarray(o, z < 0 ? tokTab.length : z));
  }
  return tokens;
}

/** Decodes symbol i's address from kallsyms_offsets: self-relative (7.x), base-relative or absolute-percpu. */
function offsetDecoder(t: KallsymsTables): { absPercpu: boolean; addrOf: (i: number) => bigint } {
  const { selfRelative, num, base: baseB, offs: offsB } = t;
  let absPercpu = false;
  if (!selfRelative)
    for (let i = 0; i < num; i++)
      if (offsB.readInt32LE(i * 4) < 0) {
        absPercpu = true;
        break;
      }
  const offsAddr = t.sym('kallsyms_offsets')!;
  const addrOf = (i: number): bigint => {
    const o = offsB.readInt32LE(i * 4);
    if (selfRelative) return BigInt.asUintN(64, offsAddr + BigInt(i * 4) + BigInt(o));
    if (!absPercpu) return baseB + BigInt(o >>> 0);
    return o >= 0 ? BigInt(o) : baseB - 1n - BigInt(o);
  };
  return { absPercpu, addrOf };
}

/** Self-check names (their addresses are also in VMCOREINFO), added to `want`. */
function selfCheckNames(t: KallsymsTables, want: Set<string>): Map<string, bigint> {
  const checks = new Map<string, bigint>();
  for (const k of ['_stext', 'init_uts_ns']) {
    const v = t.sym(k);
    if (v !== undefined) {
      checks.set(k, v);
      want.add(k);
    }
  }
  return checks;
}

/** The token table flattened for matching names against the wanted ones without expanding them. */
interface NameMatcher {
  tokLen: Uint8Array;
  tokOff: Uint32Array;
  tokBytes: Uint8Array;
  /** Wanted names by expanded length (type character + name). */
  byLen: { name: string; bytes: Uint8Array }[][];
  /** Tokens that can start a wanted name. */
  firstOk: Uint8Array;
}

/**
 * Tokens flattened into one byte array: names are matched byte by byte against the wanted names of
 * the same expanded length, token by token, without expanding (most names differ in the first token).
 */
function buildNameMatcher(tokens: Buffer[], want: Set<string>): NameMatcher {
  const tokLen = Uint8Array.from(tokens, (t) => Math.min(255, t.length));
  const tokOff = new Uint32Array(256);
  const tokBytes = new Uint8Array(tokens.reduce((a, t) => a + t.length, 0));
  for (let i = 0, o = 0; i < 256; i++) {
    tokOff[i] = o;
    tokBytes.set(tokens[i], o);
    o += tokens[i].length;
  }
  const byLen: { name: string; bytes: Uint8Array }[][] = Array.from({ length: 256 }, () => []);
  for (const w of want) if (w.length + 1 < 256) byLen[w.length + 1].push({ name: w, bytes: Buffer.from(w, 'latin1') });
  // First-token filter: the first token expands to the type character plus the start of the name, so a
  // name can only be wanted if that start is a prefix of a wanted name (most names fail on this byte).
  const firstOk = new Uint8Array(256);
  for (let t = 0; t < 256; t++) {
    const rest = tokens[t].subarray(1);
    for (const w of want)
      if (rest.length <= w.length && Buffer.from(w, 'latin1').subarray(0, rest.length).equals(rest)) {
        firstOk[t] = 1;
        break;
      }
  }
  return { tokLen, tokOff, tokBytes, byLen, firstOk };
}

/**
 * Streams kallsyms_names in 1 MiB chunks (64 KiB or 4 KiB near an unmapped end). Lazy decoding: names
 * whose first token cannot start a wanted name are skipped; for the rest the expanded length is summed
 * from token lengths first; only names as long as a wanted one (plus the type character) are compared.
 * Stops once every wanted name is found.
 */
function scanNames(
  vm: KernelTranslator,
  namesAddr: bigint,
  num: number,
  m: NameMatcher,
  wantCount: number,
  addrOf: (i: number) => bigint,
): Map<string, bigint> | { error: string } {
  const { tokLen, tokOff, tokBytes, byLen, firstOk } = m;
  const found = new Map<string, bigint>();
  let chunk: Buffer = Buffer.alloc(0),
    chunkStart = 0,
    chunkEnd = 0,
    pos = 0;
  const refill = (p: number): boolean => {
    const b =
      vm.read(namesAddr + BigInt(p), 1 << 20) ??
      vm.read(namesAddr + BigInt(p), 65536) ??
      vm.read(namesAddr + BigInt(p), 4096 - Number((namesAddr + BigInt(p)) & 0xfffn));
    if (!b) return false;
    chunk = b;
    chunkStart = p;
    chunkEnd = p + b.length;
    return true;
  };
  const matches = (at: number, len: number, bytes: Uint8Array): boolean => {
    let k = -1; // position in bytes; -1 is the type character, not compared
    for (let j = 0; j < len; j++) {
      const t = chunk[at + j],
        o = tokOff[t],
        n = tokLen[t];
      for (let x = 0; x < n; x++, k++) if (k >= 0 && tokBytes[o + x] !== bytes[k]) return false;
    }
    return true;
  };
  for (let i = 0; i < num && found.size < wantCount; i++) {
    if (pos + 2 >= chunkEnd && !refill(pos)) return { error: `kallsyms_names unreadable at symbol ${i}` };
    let len = chunk[pos - chunkStart];
    pos++;
    if (len & 0x80) {
      len = (len & 0x7f) | (chunk[pos - chunkStart] << 7);
      pos++;
    }
    if (pos + len > chunkEnd && !refill(pos)) return { error: `kallsyms_names unreadable at symbol ${i}` };
    if (pos + len > chunkEnd) return { error: `kallsyms_names unreadable at symbol ${i}` };
    const at = pos - chunkStart;
    if (len === 0 || firstOk[chunk[at]] === 0) {
      pos += len;
      continue;
    }
    let n = 0;
    for (let j = 0; j < len; j++) n += tokLen[chunk[at + j]];
    pos += len;
    if (n >= 256) continue;
    const cands = byLen[n];
    for (let c = 0; c < cands.length; c++) {
      if (!found.has(cands[c].name) && matches(at, len, cands[c].bytes)) {
        found.set(cands[c].name, addrOf(i));
        break;
      }
    }
  }
  return found;
}

/** Looks up `wanted` names; returns undefined (with a reason) when kallsyms is not usable. */
export function lookupKallsyms(
  vi: VmcoreInfo,
  vm: KernelTranslator,
  wanted: string[],
): KallsymsResult | { error: string } {
  const t = readKallsymsTables(vi, vm);
  if ('error' in t) return t;
  const cacheKey = kallsymsCacheKey(t, vm, wanted);
  const hit = cacheKey ? cache.get(cacheKey) : undefined;
  if (hit)
    return {
      found: new Map(hit.found),
      notes: [...hit.notes, 'kallsyms: names resolved earlier in this process for the same tables (cached)'],
    };
  const tokens = decodeTokens(t.tokIdx, t.tokTab);
  const { absPercpu, addrOf } = offsetDecoder(t);
  const want = new Set(wanted);
  const checks = selfCheckNames(t, want);
  const found = scanNames(vm, t.sym('kallsyms_names')!, t.num, buildNameMatcher(tokens, want), want.size, addrOf);
  if (!(found instanceof Map)) return found;
  const notes: string[] = [];
  for (const [k, v] of checks) {
    const got = found.get(k);
    if (got !== v)
      return {
        error: `kallsyms self-check failed: ${k} resolves to ${got === undefined ? 'nothing' : '0x' + got.toString(16)}, VMCOREINFO says 0x${v.toString(16)}`,
      };
    found.delete(k);
  }
  notes.push(
    `kallsyms: ${t.num} symbols, ${t.selfRelative ? 'self-relative (no kallsyms_relative_base, 7.x)' : absPercpu ? 'absolute-percpu' : 'base-relative'} offsets, self-check against VMCOREINFO passed`,
  );
  if (cacheKey) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(cacheKey, { found: new Map(found), notes: [...notes] });
  }
  return { found, notes };
}
