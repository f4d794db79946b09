// Splits a crash session log (or a drgn REPL log) into its commands. A command starts at a prompt
// line ("crash> kmem -p", "crash-8.0.2> ...", ">>> prog[...]"); text before the first prompt is a
// segment without a command (a pasted listing). Prompts glued to the end of an output line
// (interleaved output) are split off with a warning.

export interface LogSegment {
  /** The command typed at the prompt, or undefined for text without a prompt. */
  command?: string;
  prompt?: 'crash' | 'drgn';
  lines: string[];
  /** 0-based line number of the segment's first output line in the log. */
  startLine: number;
}

const PROMPT = /^(?:(crash(?:-[\w.]+)?)> ?|(>>>) ?)(.*)$/;
const GLUED = /(\S.*?)(crash(?:-[\w.]+)?> )(\S.*)$/;

export function splitSessionLog(text: string, warnings: string[] = []): LogSegment[] {
  const lines = text.split(/\r?\n/);
  const out: LogSegment[] = [];
  let cur: LogSegment = { lines: [], startLine: 0 };
  let glued = 0;
  const push = () => { if (cur.command !== undefined || cur.lines.some((l) => l.trim())) out.push(cur); };
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    let m = PROMPT.exec(line);
    if (!m && line.includes('> ')) {
      const g = GLUED.exec(line);
      if (g && !/^\s*[0-9a-f]{16}\s/.test(g[3])) {
        glued++;
        cur.lines.push(g[1]);
        line = g[2] + g[3];
        m = PROMPT.exec(line);
      }
    }
    if (m) {
      if (m[3] !== undefined && m[2] && cur.prompt === 'drgn' && /^\.\.\. /.test(line)) { cur.lines.push(line); continue; }
      push();
      cur = { command: m[3].trim(), prompt: m[1] ? 'crash' : 'drgn', lines: [], startLine: i + 1 };
      continue;
    }
    cur.lines.push(line);
  }
  push();
  if (glued) warnings.push(`${glued} prompt(s) were glued to output lines (interleaved output) and were split off`);
  return out;
}

/** The crash command word and its options, e.g. "kmem -p 1000" → { cmd: 'kmem', args: ['-p', '1000'] }. */
export function commandWords(command: string | undefined): { cmd: string; args: string[] } {
  const w = (command ?? '').replace(/\s*[|>].*$/, '').trim().split(/\s+/).filter(Boolean);
  return { cmd: w[0] ?? '', args: w.slice(1) };
}
