// The flag names a `kmem -p` listing printed beside each FLAGS value, as evidence of which bit
// carries which name. crash (7.x, 8.x, 9.x) prints the dumped kernel's own `pageflag_names[]` (or
// its `enum pageflags` members without PG_) for every set bit it knows; drgn's crash mode prints
// decode_page_flags_value() (enum names, aliases included). So for every listed row:
//   bit b carries name n  ⇒  b is set in every row that prints n, and in no row that does not.
// The candidates of a name are the bits that pass this test over the whole listing. Any candidate
// tells, for every listed row, whether the row has the flag — which is all the rule table needs —
// even when two names always occur together and the kernel's exact bit stays open.

/** Page-flag bits sit below bit 27 in every layout this reader knows (docs/kernel/struct-page-and-flags.md). */
export const NAMED_BITS_MASK = (1 << 27) - 1;

interface NamesRecord {
  and: number;
  or: number;
  rows: number;
}

export class FlagNameEvidence {
  private readonly byNames = new Map<string, NamesRecord>();
  /** Rows whose name list was cut (ends with a separator): they prove presence, never absence. */
  private cut = 0;

  /** Adds one row: its name list as printed ('' when none) and the low 32 bits of its FLAGS value. */
  add(names: string, flagsLo: number): void {
    let r = this.byNames.get(names);
    if (!r) this.byNames.set(names, (r = { and: -1, or: 0, rows: 0 }));
    r.and &= flagsLo;
    r.or |= flagsLo;
    r.rows++;
  }

  get rows(): number {
    let n = 0;
    for (const r of this.byNames.values()) n += r.rows;
    return n;
  }

  /** Rows that printed at least one name. */
  get namedRows(): number {
    let n = 0;
    for (const [k, r] of this.byNames) if (k) n += r.rows;
    return n;
  }

  /** Solves the evidence: candidate bit masks per name (PG_ prefix stripped). */
  solve(): ListingFlagNames {
    const present = new Map<string, number>(); // name → AND of the rows that print it
    const lists: { names: Set<string>; r: NamesRecord; cut: boolean }[] = [];
    for (const [k, r] of this.byNames) {
      const cut = /[,|]\s*$/.test(k);
      const names = new Set(splitNames(k));
      if (cut) this.cut += r.rows;
      lists.push({ names, r, cut });
      for (const n of names) present.set(n, (present.get(n) ?? -1) & r.and);
    }
    const candidates = new Map<string, number>();
    const inconsistent: string[] = [];
    for (const [n, and] of present) {
      let absent = 0;
      for (const l of lists) if (!l.cut && !l.names.has(n)) absent |= l.r.or;
      const c = and & ~absent & NAMED_BITS_MASK;
      if (c === 0) inconsistent.push(n);
      else candidates.set(n, c >>> 0);
    }
    return { candidates, inconsistent, rows: this.rows, namedRows: this.namedRows, cutRows: this.cut };
  }
}

/** What the names in a listing say. */
export interface ListingFlagNames {
  /** Name (without PG_) → bit mask of its candidate bits (one bit when the listing pins it). */
  candidates: Map<string, number>;
  /** Names no bit explains (damaged rows, or names and values from different kernels). */
  inconsistent: string[];
  rows: number;
  namedRows: number;
  cutRows: number;
}

/** "referenced,uptodate,lru" (crash) or "PG_uptodate|PG_lru" (drgn) → ['referenced', …]. */
export function splitNames(list: string): string[] {
  return list
    .split(/[,|]/)
    .map((s) => s.trim().replace(/^PG_/, ''))
    .filter((s) => /^[a-z][a-z0-9_]*$/.test(s));
}

/** The lowest candidate bit of a name: exact for every listed row (see the file comment). */
export function lowestBit(mask: number): number {
  return 31 - Math.clz32(mask & -mask);
}

/** True when the mask holds exactly one bit. */
export function singleBit(mask: number): boolean {
  return mask !== 0 && (mask & (mask - 1)) === 0;
}

/** The bit numbers set in a mask, ascending. */
export function maskBits(mask: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < 32; b++) if ((mask >>> b) & 1) out.push(b);
  return out;
}
