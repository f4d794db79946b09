// The page-flag layout family a text's `kmem -p` rows pin by their flag names (no `sys` needed):
// the same evidence and decision the snapshot reader uses (kmemPFlagNames.ts, namesContext.ts), for
// hovers and other readers of a log that only need the layout. Pure; reads at most `maxLines` lines.
import type { LayoutFamily } from '../../kernel/pageflags';
import { FlagNameEvidence } from './kmemPFlagNames';
import { decideFromNames } from './namesContext';
import { unquoteMail } from './pastedText';

const ROW =
  /^\s*[0-9a-f]{12,16}\s+[0-9a-f]+\s+(?:[0-9a-f]+|-+)\s+(?:[0-9a-f]+|-+)\s+-?[0-9a-f]+\s+([0-9a-f]{1,16})(?:\s+([A-Za-z_0-9,|]+))?\s*$/;

export interface ListingFamily {
  family: LayoutFamily;
  /** Plain words for "from …" in a hover: which rows said so. */
  origin: string;
}

/** The one layout family the kmem -p rows of `text` agree with, or undefined (no rows, no names, or several families). */
export function familyFromListingText(text: string, maxLines = 20000): ListingFamily | undefined {
  const ev = new FlagNameEvidence();
  const lines = unquoteMail(text).text.split('\n', maxLines);
  for (const raw of lines) {
    const m = ROW.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const hex = m[1];
    ev.add(m[2] ?? '', parseInt(hex.slice(Math.max(0, hex.length - 8)), 16) >>> 0);
  }
  if (!ev.namedRows) return undefined;
  const d = decideFromNames(ev.solve());
  if (d.problem) return undefined;
  if (d.family)
    return {
      family: d.family,
      origin: `the flag names of ${ev.rows} kmem -p row(s) in this text (layout ${d.family.id})`,
    };
  // Layouts with the very same bits (5.10 and 5.15-6.1; 6.14-6.18 and 7.2-7.3) decode a flags word alike.
  const [first, ...rest] = d.families;
  if (!first || !rest.every((f) => sameBits(f, first))) return undefined;
  const last = d.families[d.families.length - 1];
  return {
    family: last,
    origin: `the flag names of ${ev.rows} kmem -p row(s) in this text (layouts ${d.families.map((f) => f.id).join(', ')}, which have the same bits)`,
  };
}

const sameBits = (a: LayoutFamily, b: LayoutFamily) =>
  a.bits.join() === b.bits.join() && a.above.join() === b.above.join();
