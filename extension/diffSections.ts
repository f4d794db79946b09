// The per-section digest of a diff that the diff panel draws its first picture from: which sections are
// uniform on each side (filled exactly without asking), how many pages changed, and the display-byte
// counts of the others (a provisional picture until their bytes arrive). One pass over both sides'
// class bytes, in the compare worker. No vscode import.

import { DIM_UNCHANGED, NOT_UNIFORM, type DiffSectionDigest } from '../shared/diffProtocol';

/** One side's class bytes and what it says outside them. */
export interface SideBytes {
  classes: Uint8Array;
  start: number;
  end: number;
  outside: number;
}

/** Class bytes of PFNs [from, to) of a side, outside its range its outside class (a fresh array). */
export function sideBytes(s: SideBytes, from: number, to: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, to - from)).fill(s.outside);
  const a = Math.max(from, s.start),
    b = Math.min(to, s.end);
  if (b > a) out.set(s.classes.subarray(a - s.start, b - s.start), a - from);
  return out;
}

/** The side's bytes of [from, to): a view when it covers them all (no copy), else a filled copy. */
const view = (s: SideBytes, from: number, to: number) =>
  from >= s.start && to <= s.end ? s.classes.subarray(from - s.start, to - s.start) : sideBytes(s, from, to);

function uniformClass(s: SideBytes, from: number, to: number): number {
  const a = Math.max(from, s.start),
    b = Math.min(to, s.end);
  if (b <= a) return s.outside;
  const first = s.classes[a - s.start];
  if ((a > from || b < to) && first !== s.outside) return NOT_UNIFORM;
  for (let i = a - s.start + 1; i < b - s.start; i++) if (s.classes[i] !== first) return NOT_UNIFORM;
  return first;
}

const sparse = (counts: Float64Array): [number, number][] => {
  const out: [number, number][] = [];
  counts.forEach((n, id) => n && out.push([id, n]));
  return out;
};

/** Digest of sections [origin / pps, ...) covering PFNs [start, end) (origin = start rounded down to a section). */
export function diffSections(a: SideBytes, b: SideBytes, start: number, end: number, pps: number): DiffSectionDigest {
  const origin = Math.floor(start / pps) * pps;
  const n = Math.ceil((end - origin) / pps);
  const d: DiffSectionDigest = {
    uniformA: new Uint8Array(n),
    uniformB: new Uint8Array(n),
    changed: new Array(n).fill(0),
    countsNew: new Array(n).fill(null),
    countsOld: new Array(n).fill(null),
  };
  const cNew = new Float64Array(256),
    cOld = new Float64Array(256);
  for (let i = 0; i < n; i++) {
    const from = Math.max(start, origin + i * pps),
      to = Math.min(end, origin + (i + 1) * pps);
    const ua = uniformClass(a, from, to),
      ub = uniformClass(b, from, to);
    d.uniformA[i] = ua;
    d.uniformB[i] = ub;
    if (ua !== NOT_UNIFORM && ub !== NOT_UNIFORM) {
      d.changed[i] = ua === ub ? 0 : to - from;
      continue;
    }
    const xa = view(a, from, to),
      xb = view(b, from, to);
    cNew.fill(0);
    cOld.fill(0);
    let changed = 0;
    for (let k = 0; k < xa.length; k++) {
      const x = xa[k],
        y = xb[k];
      if (x === y) {
        cNew[DIM_UNCHANGED + x]++;
        cOld[DIM_UNCHANGED + x]++;
      } else {
        changed++;
        cNew[y]++;
        cOld[x]++;
      }
    }
    d.changed[i] = changed;
    d.countsNew[i] = sparse(cNew);
    d.countsOld[i] = sparse(cOld);
  }
  return d;
}
