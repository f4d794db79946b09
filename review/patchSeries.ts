// A patch series as records: one patch file (`git format-patch` output or a plain unified diff), an
// mbox of several mails, or a folder of `git format-patch` files, split into patches → files →
// hunks. The text is untrusted: sizes are bounded, a malformed hunk is an error naming the patch,
// the file and the hunk, never a silent guess. Pure (the folder reader is in readSeries.ts).

export class PatchError extends Error {
  override name = 'PatchError';
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

/** Limits on hostile input: beyond them the series is refused, with the limit named. */
export const PATCH_LIMITS = {
  bytes: 32 * 2 ** 20,
  patches: 1000,
  filesPerPatch: 5000,
  hunksPerFile: 5000,
  lineChars: 64 * 1024,
};

export interface HunkLine {
  kind: '+' | '-' | ' ';
  text: string;
  /** 1-based line of this line in the patch source (for "open at"). */
  at: number;
}

export interface Hunk {
  /** 1-based index within its file. */
  index: number;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Text after the second @@ (the enclosing function git shows), untrusted. */
  section: string;
  lines: HunkLine[];
  /** 1-based line of the @@ header in the source. */
  at: number;
}

export interface FilePatch {
  /** Path before (undefined for a new file) and after (undefined for a deleted file), without a/ b/. */
  oldPath?: string;
  newPath?: string;
  /** Abbreviated blob ids from the `index` line, when present. */
  oldBlob?: string;
  newBlob?: string;
  hunks: Hunk[];
  /** git binary patch: not applied, reported. */
  binary?: boolean;
}

export interface Patch {
  /** "[PATCH v2 1/1] mm/memory_hotplug: …" (untrusted). */
  subject: string;
  from?: string;
  messageId?: string;
  /** Where it came from: file name (and mail number in an mbox). */
  source: string;
  /** Commit message body before the diff (trailers included), bounded. */
  message: string;
  files: FilePatch[];
  /** Position in the series from "[PATCH n/m]", when given. */
  number?: { n: number; of: number };
}

export interface PatchSeries {
  patches: Patch[];
  /** Mails of the input without a diff (a cover letter), by subject. */
  skipped: string[];
  warnings: string[];
}

const MBOX_FROM = /^From \S+ .*(?:\d{4}|\d\d:\d\d:\d\d)\s*$/;

/** Splits an mbox (or one mail / one plain diff) into messages; a text without "From " lines is one message. */
export function splitMessages(text: string): { text: string; firstLine: number }[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++)
    if (MBOX_FROM.test(lines[i]) && (i === 0 || lines[i - 1] === '')) starts.push(i);
  if (!starts.length || starts[0] !== 0) starts.unshift(0);
  return starts.map((s, k) => ({
    text: lines.slice(s, k + 1 < starts.length ? starts[k + 1] : lines.length).join('\n'),
    firstLine: s + 1,
  }));
}

/** RFC 5322 headers of a message (continuation lines unfolded), and the line where the body starts. */
function mailHeaders(lines: string[]): { headers: Map<string, string>; bodyStart: number } {
  const headers = new Map<string, string>();
  let i = MBOX_FROM.test(lines[0] ?? '') ? 1 : 0;
  // Only a block of "Name: value" lines right at the start is a header block.
  if (!/^[A-Za-z][\w-]*:/.test(lines[i] ?? '')) return { headers, bodyStart: 0 };
  let last = '';
  for (; i < lines.length; i++) {
    const l = lines[i].replace(/\r$/, '');
    if (l === '') return { headers, bodyStart: i + 1 };
    if (/^[ \t]/.test(l) && last) {
      headers.set(last, `${headers.get(last)} ${l.trim()}`);
      continue;
    }
    const m = /^([A-Za-z][\w-]*):\s?(.*)$/.exec(l);
    if (!m) return { headers: new Map(), bodyStart: 0 };
    last = m[1].toLowerCase();
    if (!headers.has(last)) headers.set(last, m[2]);
  }
  return { headers, bodyStart: lines.length };
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

/** Where a message sits, for errors: its source and the line number of its first line. */
interface MessageAt {
  source: string;
  firstLine: number;
}

const lineAt = (at: MessageAt, i: number) => `${at.source} line ${at.firstLine + i}`;

/** A per-file header line (index, binary, ---, +++) before the file's first hunk; true when it was one. */
function fileHeaderLine(file: FilePatch, l: string): boolean {
  let m: RegExpExecArray | null;
  if ((m = /^index ([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})/.exec(l)) && !file.hunks.length) {
    file.oldBlob = m[1];
    file.newBlob = m[2];
    return true;
  }
  if (/^(?:GIT binary patch|Binary files )/.test(l)) {
    file.binary = true;
    return true;
  }
  if (l.startsWith('--- ') && !file.hunks.length) {
    const p = l.slice(4).split('\t')[0].trim();
    file.oldPath = p === '/dev/null' ? undefined : p.replace(/^a\//, '');
    return true;
  }
  if (l.startsWith('+++ ') && !file.hunks.length) {
    const p = l.slice(4).split('\t')[0].trim();
    file.newPath = p === '/dev/null' ? undefined : p.replace(/^b\//, '');
    return true;
  }
  return false;
}

/** Reads the hunk whose @@ header (matched as m) is lines[i] into file; returns the index of the line after it. */
function readHunk(lines: string[], i: number, m: RegExpExecArray, file: FilePatch, at: MessageAt): number {
  const { source, firstLine } = at;
  const h: Hunk = {
    index: file.hunks.length + 1,
    oldStart: Number(m[1]),
    oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newLines: m[4] === undefined ? 1 : Number(m[4]),
    section: m[5].slice(0, 200),
    lines: [],
    at: firstLine + i,
  };
  if (file.hunks.length >= PATCH_LIMITS.hunksPerFile)
    throw new PatchError(source, `more than ${PATCH_LIMITS.hunksPerFile} hunks in ${file.newPath ?? file.oldPath}`);
  let old = 0,
    neu = 0,
    j = i + 1;
  for (; j < lines.length && (old < h.oldLines || neu < h.newLines); j++) {
    const t = lines[j];
    const kind = t[0];
    if (kind === '\\') continue; // "\ No newline at end of file"
    if (kind === ' ' || t === '') {
      old++;
      neu++;
      h.lines.push({ kind: ' ', text: t.slice(1), at: firstLine + j });
    } else if (kind === '-') {
      old++;
      h.lines.push({ kind: '-', text: t.slice(1), at: firstLine + j });
    } else if (kind === '+') {
      neu++;
      h.lines.push({ kind: '+', text: t.slice(1), at: firstLine + j });
    } else break;
  }
  if (old !== h.oldLines || neu !== h.newLines)
    throw new PatchError(
      lineAt(at, i),
      `hunk ${h.index} of ${file.newPath ?? file.oldPath ?? '?'}: its @@ header promises ${h.oldLines} old and ${h.newLines} new lines, the hunk has ${old} and ${neu} (a truncated or hand-edited patch?)`,
    );
  while (j < lines.length && lines[j].startsWith('\\')) j++;
  file.hunks.push(h);
  return j;
}

/** The files and hunks of a message body from bodyStart; diffStart is the first diff line (-1 when none). */
function parseDiff(lines: string[], bodyStart: number, at: MessageAt): { files: FilePatch[]; diffStart: number } {
  const { source } = at;
  const files: FilePatch[] = [];
  let file: FilePatch | undefined;
  let diffStart = -1;
  for (let i = bodyStart; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > PATCH_LIMITS.lineChars)
      throw new PatchError(
        lineAt(at, i),
        `a line of ${l.length} characters (the limit is ${PATCH_LIMITS.lineChars}): not a patch a reviewer can read`,
      );
    const git = /^diff --git a\/(\S+) b\/(\S+)$/.exec(l);
    if (
      git ||
      (l.startsWith('--- ') &&
        lines[i + 1]?.startsWith('+++ ') &&
        (!file || file.hunks.length || (file.oldPath === undefined && file.newPath === undefined)))
    ) {
      if (diffStart < 0) diffStart = i;
      file = git ? { oldPath: git[1], newPath: git[2], hunks: [] } : { hunks: [] };
      if (files.length >= PATCH_LIMITS.filesPerPatch)
        throw new PatchError(source, `more than ${PATCH_LIMITS.filesPerPatch} files in one patch`);
      files.push(file);
      if (git) continue;
    }
    if (!file) continue;
    if (fileHeaderLine(file, l)) continue;
    const m = HUNK.exec(l);
    if (m) i = readHunk(lines, i, m, file, at) - 1;
  }
  return { files, diffStart };
}

/** Parses one message (mail or plain diff) into a patch; undefined when it holds no diff. */
export function parsePatchMessage(text: string, source: string, firstLine = 1): Patch | undefined {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const { headers, bodyStart } = mailHeaders(lines);
  const cte = headers.get('content-transfer-encoding')?.toLowerCase();
  const subject = (headers.get('subject') ?? '').slice(0, 500);
  const { files, diffStart } = parseDiff(lines, bodyStart, { source, firstLine });
  const usable = files.filter((f) => f.hunks.length || f.binary || f.oldPath !== f.newPath);
  if (!usable.length) {
    if (cte === 'base64' || cte === 'quoted-printable')
      throw new PatchError(
        source,
        `the mail body is ${cte}-encoded: save the raw patch (e.g. \`git format-patch\`, or \`b4 am\`) and open that`,
      );
    return undefined;
  }
  const message = lines
    .slice(bodyStart, diffStart < 0 ? bodyStart : diffStart)
    .join('\n')
    .slice(0, 16 * 1024);
  const num = /\[[^\]]*?\b(\d+)\/(\d+)\]/.exec(subject);
  return {
    subject: subject || (lines.slice(bodyStart).find((l) => l.trim()) ?? '').slice(0, 200),
    from: headers.get('from')?.slice(0, 200),
    messageId: headers.get('message-id')?.slice(0, 300),
    source,
    message,
    files: usable,
    number: num ? { n: Number(num[1]), of: Number(num[2]) } : undefined,
  };
}

/** Parses the text of a patch, a mail or an mbox series. Throws PatchError when it holds no diff. */
export function parsePatchText(text: string, source: string): PatchSeries {
  if (text.length > PATCH_LIMITS.bytes)
    throw new PatchError(
      source,
      `${text.length} bytes: larger than the ${PATCH_LIMITS.bytes / 2 ** 20} MiB a patch series may be here`,
    );
  if (text.includes('\0')) throw new PatchError(source, 'binary data (a NUL byte): not a patch, a mail or an mbox');
  return seriesOf(
    splitMessages(text).map((m, k, all) => ({
      text: m.text,
      source: all.length > 1 ? `${source} (mail ${k + 1})` : source,
      firstLine: m.firstLine,
    })),
    source,
  );
}

/** Series of several sources (the files of a `git format-patch` folder, in name order). */
export function seriesOf(messages: { text: string; source: string; firstLine?: number }[], what: string): PatchSeries {
  const patches: Patch[] = [];
  const skipped: string[] = [];
  const warnings: string[] = [];
  for (const m of messages) {
    const p = parsePatchMessage(m.text, m.source, m.firstLine ?? 1);
    if (p) patches.push(p);
    else {
      const subj = /^Subject:\s*(.*)$/m.exec(m.text)?.[1];
      if (subj || m.text.trim()) skipped.push(subj ? subj.slice(0, 200) : m.source);
    }
    if (patches.length > PATCH_LIMITS.patches) throw new PatchError(what, `more than ${PATCH_LIMITS.patches} patches`);
  }
  if (!patches.length)
    throw new PatchError(
      what,
      'no unified diff found: expected a patch (`diff --git`, or `---`/`+++` lines followed by `@@` hunks), an mbox of patch mails or a `git format-patch` folder',
    );
  // A numbered series is applied in its numbering; an unnumbered one in input order.
  if (patches.every((p) => p.number)) {
    patches.sort((a, b) => a.number!.n - b.number!.n);
    const of = patches[0].number!.of;
    const have = new Set(patches.map((p) => p.number!.n));
    // a subject's "N/M" is the sender's claim: a count beyond what any series here can hold is named, not enumerated
    const missing =
      of <= PATCH_LIMITS.patches ? [...Array(of).keys()].map((k) => k + 1).filter((n) => !have.has(n)) : [];
    if (of > PATCH_LIMITS.patches)
      warnings.push(
        `the subjects number this series as ${of} patches, more than ${PATCH_LIMITS.patches}; ${patches.length} ${patches.length === 1 ? 'is' : 'are'} here`,
      );
    else if (missing.length)
      warnings.push(
        `the series names ${of} patches; ${missing.length === 1 ? 'patch' : 'patches'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing here`,
      );
  }
  return { patches, skipped, warnings };
}

/** "include/linux/page-flags.h" of a file patch (the new path, or the old one for a deletion). */
export const filePath = (f: FilePatch): string => f.newPath ?? f.oldPath ?? '?';
