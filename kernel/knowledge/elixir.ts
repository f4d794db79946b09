// Links to https://elixir.bootlin.com when no kernel tree is open.

import type { SourceRef } from './types';
import { formatVersion, parseRelease } from '../version';

/** Exact stable versions the reference line numbers were read from (docs/kernel/README.md, "Source line numbers"). */
const LINE_VERSIONS: Record<'6.1' | '6.12' | '6.18', string> = {
  '6.1': '6.1.192',
  '6.12': '6.12.117',
  '6.18': '6.18.2',
};

/** Elixir tag for a release string: "6.12.117+deb12-amd64" → "v6.12.117", "6.12" → "v6.12". */
export function elixirTag(release: string): string | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim().replace(/^v/, ''));
  if (!m) return undefined;
  return m[3] && m[3] !== '0' ? `v${m[1]}.${m[2]}.${m[3]}` : `v${m[1]}.${m[2]}`;
}

/**
 * URL of a definition: source#Lnn when we know the line for exactly that tag, otherwise the identifier
 * search page of that version (always correct, one click more).
 */
export function elixirUrl(ref: SourceRef, release = '6.18'): string {
  const tag = elixirTag(release) ?? 'v6.18';
  const mm = parseRelease(release);
  const key = mm !== undefined ? (formatVersion(mm) as keyof typeof LINE_VERSIONS) : undefined;
  if (key && ref.lines?.[key] !== undefined && `v${LINE_VERSIONS[key]}` === tag) {
    return `https://elixir.bootlin.com/linux/${tag}/source/${ref.file}#L${ref.lines[key]}`;
  }
  const ident = ref.symbol.replace(/^(struct|enum)\s+/, '');
  return `https://elixir.bootlin.com/linux/${tag}/A/ident/${encodeURIComponent(ident)}`;
}
