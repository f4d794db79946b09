// What a listing's own flag names decide when the kernel release is unknown (no `sys`, no `kmem -g`):
// the bit that carries each name (kmemPFlagNames.ts), and the layout family when exactly one family
// agrees with them (kernel/familyFromNames.ts). Either way the rule table then reads the listing's
// FLAGS values with these bits; a flag whose name the listing never printed is set in none of its
// rows, so its rules cannot fire on them.
import { familiesFromNames } from '../../kernel/familyFromNames';
import { familyVersions, type LayoutFamily } from '../../kernel/pageflags';
import { pageTypeSchemesIn } from '../../kernel/predicates';
import { rangesOverlap, type VersionRange } from '../../kernel/version';
import type { PageTypeEncodingId } from '../../kernel/pagetypes';
import { ListingFlagNames, lowestBit, maskBits, singleBit } from './kmemPFlagNames';

export interface NamesDecision {
  /** The one layout family that agrees with the names, when there is exactly one. */
  family?: LayoutFamily;
  /** Every family that agrees (more than one: the layout is left open). */
  families: LayoutFamily[];
  /** Name → the bit read for it in this listing. */
  bits: Map<string, number>;
  /** page_type encodings possible for the agreeing families. */
  encodings: PageTypeEncodingId[];
  /** Why the names cannot be used, when they cannot. */
  problem?: string;
  notes: string[];
  warnings: string[];
}

/** The names the rule table reads (kernel names without PG_). */
const RULE_NAMES = [
  'head',
  'hwpoison',
  'reserved',
  'lru',
  'dirty',
  'uptodate',
  'owner_priv_1',
  'slab',
  'owner_2',
  'active',
];

/** Kernels a family covers overlap a version range. */
const overlaps = (f: LayoutFamily, range: VersionRange) => rangesOverlap(familyVersions(f), range);

/**
 * hint: other evidence of the listing's kernel versions (page[1] fields of its compound pages, tagged
 * movable_ops mappings); families outside it are ruled out when that leaves at least one.
 */
export function decideFromNames(l: ListingFlagNames, hint?: { range: VersionRange; why: string }): NamesDecision {
  const notes: string[] = [];
  const warnings: string[] = [];
  const bits = new Map<string, number>();
  for (const [n, mask] of l.candidates) bits.set(n, lowestBit(mask));
  const found = familiesFromNames(l.candidates);
  const unknownNames = found.unknownNames;
  let families = found.families;
  if (hint && families.length > 1) {
    const fit = families.filter((f) => overlaps(f, hint.range));
    if (fit.length && fit.length < families.length) {
      notes.push(
        `layouts ${families
          .filter((f) => !fit.includes(f))
          .map((f) => f.id)
          .join(', ')} ruled out by ${hint.why}`,
      );
      families = fit;
    }
  }
  const encodings = [...new Set(families.flatMap((f) => pageTypeSchemesIn(familyVersions(f))))];
  const d: NamesDecision = { families, bits, encodings, notes, warnings };
  const bad = l.inconsistent.filter((n) => RULE_NAMES.includes(n));
  if (l.inconsistent.length)
    warnings.push(
      `flag names that no FLAGS bit explains in every row (damaged or mixed rows?): ${l.inconsistent.join(', ')}`,
    );
  if (bad.length) {
    d.problem = `the listing's flag names are inconsistent with its FLAGS values for ${bad.join(', ')}: page states cannot be decoded from them`;
    return d;
  }
  const shown = RULE_NAMES.filter((n) => bits.has(n)).map((n) => {
    const m = l.candidates.get(n)!;
    return singleBit(m)
      ? `${n}=bit ${bits.get(n)}`
      : `${n}=bit ${maskBits(m).join(' or ')} (printed only together with another name)`;
  });
  notes.push(
    `kernel release unknown: flag names taken from the kmem -p listing itself (${l.namedRows} of ${l.rows} rows print names${shown.length ? `; ${shown.join(', ')}` : ''})`,
  );
  if (unknownNames.length)
    notes.push(
      `flag names no known layout has (not used to identify the layout): ${unknownNames.slice(0, 8).join(', ')}`,
    );
  if (families.length === 1) {
    d.family = families[0];
    notes.push(
      `page-flag layout ${d.family.id} (kernels ${d.family.first}–${d.family.last}) inferred from the listing: the only layout whose bits carry the names it printed`,
    );
  } else if (families.length) {
    notes.push(
      `layouts ${families.map((f) => f.id).join(', ')} all agree with the names the listing printed: layout left open, pages decoded by those names only`,
    );
  } else {
    warnings.push(
      "no known page-flag layout agrees with the listing's names and bits (newer kernel or another architecture?): pages decoded by those names only",
    );
  }
  const never = RULE_NAMES.filter((n) => !bits.has(n));
  if (never.length) notes.push(`never printed in this listing, so set in none of its rows: ${never.join(', ')}`);
  return d;
}
