// Splits a crash session log (or a drgn REPL log) into its commands. A command starts at a prompt
// ("crash> kmem -p", "crash-8.0.2> ...", ">>> prog[...]"); text before the first prompt is a
// segment without a command (a pasted listing). Prompts glued to the end of an output line
// (interleaved output) are split off with a warning. Segments keep their text as one string (a
// million-row listing is not split into lines here); `lines` splits on demand.

export class LogSegment {
  private cached?: string[];
  constructor(
    /** The command typed at the prompt, or undefined for text without a prompt. */
    readonly command: string | undefined,
    readonly prompt: 'crash' | 'drgn' | undefined,
    /** The output text (without the prompt line). */
    readonly text: string,
    /** 0-based line number of the first output line in the log. */
    readonly startLine: number,
  ) {}

  get lines(): string[] {
    this.cached ??= this.text.length ? this.text.replace(/\r?\n$/, '').split(/\r?\n/) : [];
    return this.cached;
  }
}

const PROMPT_WORD = /(?:crash(?:-[\w.]+)?|>>)$/;

/** Positions of prompts: [promptStart, commandStart, lineEnd, glued, kind]. */
function findPrompts(
  text: string,
): { at: number; cmdAt: number; end: number; glued: boolean; kind: 'crash' | 'drgn' }[] {
  const out: { at: number; cmdAt: number; end: number; glued: boolean; kind: 'crash' | 'drgn' }[] = [];
  let pos = 0;
  for (;;) {
    const gt = text.indexOf('>', pos);
    if (gt < 0) break;
    pos = gt + 1;
    const lineStart = text.lastIndexOf('\n', gt) + 1;
    const before = text.slice(Math.max(lineStart, gt - 24), gt);
    const m = PROMPT_WORD.exec(before);
    if (!m) continue;
    const at = gt - m[0].length;
    const next = text.charCodeAt(gt + 1);
    if (!(next === 32 || next === 10 || next === 13 || Number.isNaN(next))) continue;
    const kind = m[0] === '>>' ? 'drgn' : 'crash';
    let end = text.indexOf('\n', gt);
    if (end < 0) end = text.length;
    const glued = at > lineStart;
    if (glued) {
      // A glued prompt must follow output (a row of a listing whose last line had no newline), not a drgn print.
      if (kind === 'drgn') continue;
    }
    out.push({ at, cmdAt: next === 32 ? gt + 2 : gt + 1, end, glued, kind });
    pos = end;
  }
  return out;
}

export function splitSessionLog(text: string, warnings: string[] = []): LogSegment[] {
  const prompts = findPrompts(text);
  const out: LogSegment[] = [];
  let line = 0;
  let counted = 0;
  const lineOf = (pos: number) => {
    for (let i = text.indexOf('\n', counted); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
    counted = Math.max(counted, pos);
    return line;
  };
  let outStart = 0;
  let cur: { command?: string; prompt?: 'crash' | 'drgn' } = {};
  let glued = 0;
  const push = (end: number) => {
    const body = text.slice(outStart, end);
    if (cur.command !== undefined || body.trim())
      out.push(new LogSegment(cur.command, cur.prompt, body, lineOf(outStart)));
  };
  for (const p of prompts) {
    if (p.glued) glued++;
    push(p.glued ? p.at : p.at);
    cur = { command: text.slice(p.cmdAt, p.end).replace(/\r$/, '').trim(), prompt: p.kind };
    outStart = Math.min(text.length, p.end + 1);
  }
  push(text.length);
  if (glued) warnings.push(`${glued} prompt(s) were glued to output lines (interleaved output) and were split off`);
  return out;
}

/** The crash command word and its options, e.g. "kmem -p 1000" → { cmd: 'kmem', args: ['-p', '1000'] }. */
export function commandWords(command: string | undefined): { cmd: string; args: string[] } {
  const w = (command ?? '')
    .replace(/\s*[|>].*$/, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  return { cmd: w[0] ?? '', args: w.slice(1) };
}
