// Text for a terminal. What a dump, capture or log controls (kernel release, file names, warnings,
// notes) is printed with its control characters escaped, so an escape sequence in a corrupted
// or hostile input cannot reach the terminal: C0 controls, DEL, C1 controls (8-bit CSI, OSC...),
// Unicode line separators and the bidirectional overrides that can make text read differently.

/** Characters escaped everywhere (\n too, unless the caller keeps its own line breaks). */
/* eslint-disable no-control-regex -- matching control characters is what these are for */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */
const NAMED: Record<string, string> = { '\t': '\\t', '\r': '\\r', '\n': '\\n', '\x1b': '\\x1b' };

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return (
    NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
  );
}

/** One field of dump-controlled text, made safe for a terminal: `"6.1\x1b[31m"` prints as `6.1\x1b[31m`. */
export function escapeControl(s: string): string {
  return s.replace(UNSAFE, escapeOne);
}

/** A block of our own lines: every control character but the line breaks is escaped. */
export function escapeLines(s: string): string {
  return s.replace(UNSAFE_BUT_NEWLINE, escapeOne);
}

/**
 * JSON text with the characters JSON.stringify leaves raw (DEL, C1, separators, bidi overrides)
 * written as \u escapes: the same JSON value, safe on a terminal.
 */
export function escapeJson(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
