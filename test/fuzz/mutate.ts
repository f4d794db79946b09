// Mutations of real seed inputs, as fast-check arbitraries: a seed with a few byte-level edits
// (flips, interesting values in 8/16/32/64-bit fields, cuts, repeats, inserts) biased towards the
// headers, or for text a few line-level edits (numbers replaced by edge values, lines dropped,
// repeated, swapped, cut). Deterministic for a given fast-check seed.

import fc from 'fast-check';

const INTERESTING_U8 = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x1000, 0xfffff000];
const INTERESTING_U64 = [
  0n,
  1n,
  0x7fffffffffffffffn,
  0xffffffffffffffffn,
  0x100000000n,
  0x80400000n,
  0xffffea0000000000n,
];

type ByteOp = (b: Buffer) => Buffer;

/** A position in the buffer: half of the time in the first 64 KiB, where the headers are. */
const position = fc.tuple(fc.boolean(), fc.nat()).map(
  ([head, n]) =>
    (len: number) =>
      len === 0 ? 0 : head ? n % Math.min(len, 65536) : n % len,
);

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.tuple(position, fc.integer({ min: 0, max: 7 })).map(([p, bit]) => (b: Buffer) => {
    if (b.length) b[p(b.length)] ^= 1 << bit;
    return b;
  }),
  fc.tuple(position, fc.constantFrom(...INTERESTING_U8)).map(([p, v]) => (b: Buffer) => {
    if (b.length) b[p(b.length)] = v;
    return b;
  }),
  fc.tuple(position, fc.constantFrom(...INTERESTING_U32)).map(([p, v]) => (b: Buffer) => {
    if (b.length >= 4) b.writeUInt32LE(v, Math.min(p(b.length) & ~3, b.length - 4));
    return b;
  }),
  fc.tuple(position, fc.constantFrom(...INTERESTING_U64)).map(([p, v]) => (b: Buffer) => {
    if (b.length >= 8) b.writeBigUInt64LE(v, Math.min(p(b.length) & ~7, b.length - 8));
    return b;
  }),
  fc.tuple(position, fc.integer({ min: 1, max: 16 })).map(([p, n]) => (b: Buffer) => {
    const at = p(b.length);
    return Buffer.concat([b.subarray(0, at), Buffer.alloc(n, 0xa5), b.subarray(at)]);
  }),
  position.map((p) => (b: Buffer) => b.subarray(0, p(b.length))),
  fc.tuple(position, fc.integer({ min: 1, max: 4096 })).map(([p, n]) => (b: Buffer) => {
    const at = p(b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(at, at + n), b.subarray(at)]);
  }),
);

/** One of the seeds (a copy) with 1 to 8 byte-level edits. */
export function mutatedBytes(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(byteOp, { minLength: 1, maxLength: 8 }))
    .map(([i, ops]) => ops.reduce<Buffer>((b, op) => op(b), Buffer.from(seeds[i])));
}

const EDGE_NUMBERS = [
  '0',
  '-1',
  '0x0',
  '0xffffffffffffffff',
  '18446744073709551616',
  '4294967296',
  '99999999999999999999',
  '1e309',
  'NaN',
  '-0',
  '0x',
  '',
];
type LineOp = (lines: string[]) => string[];

const lineOp: fc.Arbitrary<LineOp> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...EDGE_NUMBERS)).map(([l, k, v]) => (ls: string[]) => {
    if (!ls.length) return ls;
    const i = l % ls.length;
    let n = 0;
    const want = k % 8;
    ls[i] = ls[i].replace(/0x[0-9a-fA-F]+|\d+/g, (m) => (n++ === want ? v : m));
    return ls;
  }),
  fc.nat().map((l) => (ls: string[]) => (ls.length ? ls.filter((_, i) => i !== l % ls.length) : ls)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 50 })).map(
    ([l, times]) =>
      (ls: string[]) =>
        ls.length
          ? [...ls.slice(0, l % ls.length), ...Array(times).fill(ls[l % ls.length]), ...ls.slice(l % ls.length)]
          : ls,
  ),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (ls: string[]) => {
    if (ls.length) [ls[a % ls.length], ls[b % ls.length]] = [ls[b % ls.length], ls[a % ls.length]];
    return ls;
  }),
  fc.nat().map((l) => (ls: string[]) => ls.slice(0, ls.length ? l % ls.length : 0)),
  fc.tuple(fc.nat(), fc.nat(), fc.string({ unit: 'binary', maxLength: 12 })).map(([l, c, s]) => (ls: string[]) => {
    if (!ls.length) return [s];
    const i = l % ls.length;
    const at = ls[i].length ? c % ls[i].length : 0;
    ls[i] = ls[i].slice(0, at) + s + ls[i].slice(at);
    return ls;
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([l, c]) => (ls: string[]) => {
    if (!ls.length) return ls;
    const i = l % ls.length;
    ls[i] = ls[i].slice(0, ls[i].length ? c % ls[i].length : 0);
    return ls;
  }),
);

/** One of the seeds with 1 to 6 line-level edits. */
export function mutatedText(seeds: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(lineOp, { minLength: 1, maxLength: 6 }))
    .map(([i, ops]) => ops.reduce((ls, op) => op(ls), seeds[i].split('\n')).join('\n'));
}
