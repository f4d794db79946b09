// What crash or drgn said about one page, as ordered key/value facts plus the raw output, and the
// plain-text report shown to the user. Tool output is untrusted: it only ever becomes plain text.
// Pure: no vscode import.

export interface AnswerField {
  key: string;
  value: string;
}

export interface DebuggerAnswer {
  tool: 'drgn' | 'crash';
  pfn: number;
  fields: AnswerField[];
  /** The tool's output as it came (for the report). */
  raw: string;
  /** A Python traceback or crash error line, when the query failed inside the tool. */
  error?: string;
}

export function field(a: Pick<DebuggerAnswer, 'fields'>, key: string): string | undefined {
  return a.fields.find((f) => f.key === key)?.value;
}

/** Parses kmx_page's `key<TAB>value` lines; anything else (a traceback) becomes the error. */
export function parseDrgnAnswer(text: string): { fields: AnswerField[]; error?: string } {
  const fields: AnswerField[] = [];
  const other: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^([\w.]+)\t(.*)$/.exec(line);
    if (m) fields.push({ key: m[1], value: m[2] });
    else if (line.trim()) other.push(line);
  }
  const tb = other.findIndex((l) => l.startsWith('Traceback'));
  const error = tb >= 0 ? other.slice(tb).slice(-1)[0] : undefined;
  return { fields, error };
}

/** Error lines crash prints for a command it could not do (`kmem: invalid …`). */
export function crashError(text: string): string | undefined {
  return text
    .split('\n')
    .find((l) => /^\w+: (invalid|cannot|no |read error|WARNING)/i.test(l.trim()))
    ?.trim();
}

/** A one-line verdict: the slab cache, the file, or what the page is not. */
export function headline(a: DebuggerAnswer): string {
  const cache = field(a, 'slab_cache');
  if (cache) return `slab page of cache ${cache}`;
  const file = field(a, 'file');
  if (file)
    return `page-cache page of ${file}${field(a, 'file.offset') ? ` at offset ${field(a, 'file.offset')}` : ''}`;
  const kind = field(a, 'mapping.kind');
  if (kind === 'file')
    return `page-cache page of inode ${field(a, 'inode.ino') ?? '?'} (${field(a, 'inode.fs') ?? '?'}; no path known)`;
  if (kind) return `${kind} page`;
  if (a.error) return `the query failed: ${a.error}`;
  return field(a, 'mapping') === '0x0' || field(a, 'mapping') === '0x0000000000000000'
    ? 'not a slab page, no mapping'
    : 'no slab cache or file found';
}

/** The plain-text report: headline, facts, then the raw output. */
export function formatAnswer(a: DebuggerAnswer, dumpPath: string, vmlinux: string): string {
  const width = Math.max(8, ...a.fields.map((f) => f.key.length));
  return [
    `PFN 0x${a.pfn.toString(16)} (${a.pfn}) — ${a.tool}: ${headline(a)}`,
    '',
    `dump:    ${dumpPath}`,
    `vmlinux: ${vmlinux}`,
    '',
    ...a.fields.map((f) => `${f.key.padEnd(width)}  ${f.value}`),
    ...(a.error ? ['', `error: ${a.error}`] : []),
    '',
    `--- ${a.tool} output ---`,
    a.raw,
    '',
  ].join('\n');
}
