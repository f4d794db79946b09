// Which page-flag layout families agree with flag names seen next to flag values (a crash or drgn
// `kmem -p` listing: docs/kernel/struct-page-and-flags.md). A family agrees when every name the listing
// printed exists in it (as a flag or an alias) and its bit for the name is one of the name's
// candidate bits. A name that exists in no family proves nothing (a config flag, a newer kernel)
// and is reported; a name a family lacks rules that family out (e.g. `slab` after 6.10,
// `owner_2` before 6.12, `error` after 6.12).
import { flagBit, LAYOUT_FAMILIES, LayoutFamily } from './pageflags';

export interface FamilyEvidence {
  /** Families that agree with every name, oldest first. */
  families: LayoutFamily[];
  /** Names no family knows (not used to decide). */
  unknownNames: string[];
}

/**
 * Bits a name can have in a family: its base flag, or the flags it aliases (an alias may move within
 * a family, e.g. has_hwpoisoned on 5.15-6.1); empty when the family lacks the name.
 */
export function familyBitsOf(f: LayoutFamily, name: string): number[] {
  const b = flagBit(f, name);
  if (b !== undefined) return [b];
  return f.aliases
    .filter((x) => x.name === name)
    .map((a) => flagBit(f, a.of))
    .filter((x): x is number => x !== undefined);
}

function known(f: LayoutFamily, name: string): boolean {
  return familyBitsOf(f, name).length > 0 || f.above.includes(name);
}

/** Families consistent with `candidates` (name → mask of the bits that may carry it). */
export function familiesFromNames(candidates: ReadonlyMap<string, number>): FamilyEvidence {
  const unknownNames = [...candidates.keys()].filter((n) => !LAYOUT_FAMILIES.some((f) => known(f, n)));
  const families = LAYOUT_FAMILIES.filter((f) => {
    for (const [n, mask] of candidates) {
      if (unknownNames.includes(n)) continue;
      if (!known(f, n)) return false;
      const bits = familyBitsOf(f, n);
      if (bits.length && !bits.some((b) => (mask >>> b) & 1)) return false;
    }
    return true;
  });
  return { families, unknownNames };
}
