// Tool output pasted into a mail or a bug report: quoted with `> ` (or `>> `, `> > ` at depth 2 and
// more). The quote marks are removed so the lines read as crash printed them. Only text whose
// quoted lines hold crash output is touched (a drgn `>>> ` prompt alone is not a quote).

const QUOTED_OUTPUT = /^((?:>[ \t]?)+)[ \t]*(?:[0-9a-f]{16}\s+[0-9a-f]+\s|PAGE\s+PHYSICAL\s|crash(?:-[\w.]+)?> )/m;

export interface Unquoted {
  text: string;
  /** Quote depth removed (0: the text was not quoted). */
  depth: number;
  /** Lines the marks were removed from. */
  lines: number;
}

/** Removes mail quote marks (up to the depth of the first quoted crash line) from every line that has them. */
export function unquoteMail(text: string): Unquoted {
  const m = QUOTED_OUTPUT.exec(text);
  if (!m) return { text, depth: 0, lines: 0 };
  const depth = (m[1].match(/>/g) ?? []).length;
  let lines = 0;
  const strip = new RegExp(`^(?:>[ \\t]?){1,${depth}}`, 'gm');
  const out = text.replace(strip, () => {
    lines++;
    return '';
  });
  return { text: out, depth, lines };
}
