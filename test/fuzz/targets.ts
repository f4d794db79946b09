// The fuzz targets: every reader of untrusted input, with real seeds and what counts as a crash.
// A crash is any exception other than the project's typed input error (SnapshotError and its
// subclasses, which the CLI reports with exit code 2 and the panel as "problem + what to try").
// Seeds: the hand-made synthetic machine of test/unit/parsers/syntheticDump.ts with its memmap cut short
// (ELF, kdump with every codec, flattened), the bundled sample capture, and the real crash/drgn/patch
// files of test/fixtures.

import { PatchError, parsePatchText } from '../../review/patchSeries';
import { seriesSymbols } from '../../review/patchSymbols';
import { patchRules } from '../../review/declaredRules';
import { applySeries } from '../../review/applyPatch';
import { layoutTriggers } from '../../review/layoutDelta';
import { reviewMarkdown } from '../../review/reportMarkdown';
import { RuleSetError } from '../../memmap/offlineRules';
import { mkdirSync, mkdtempSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import fc from 'fast-check';
import { SnapshotError } from '../../parsers/errors';
import { openVmcoreSnapshot } from '../../memmap/vmcoreSnapshot';
import { openKpageflagsSnapshot } from '../../memmap/kpageflagsSnapshot';
import { looksLikeVmcoreInfo, parseVmcoreInfo } from '../../parsers/vmcoreinfo';
import { isSystemRam, parseIomem, pfnRangesNamed } from '../../parsers/capture/iomem';
import { inRanges } from '../../kernel/pfnRange';
import { parseMeminfo, releaseFromUname } from '../../parsers/capture/meminfo';
import { toolMemmapFromText } from '../../parsers/tools/crashSession';
import { completeKmemPListing } from '../../memmap/tools/kmemPListing';
import { looksLikeDrgnExport, parseDrgnExport } from '../../parsers/tools/drgnExport';
import { toolMemmapFromDrgn } from '../../parsers/tools/toolMemmap';
import { openCaptureBundle } from '../../parsers/capture/bundle';
import { computeHover, DocumentKind } from '../../extension/hovers/hoverContent';
import { resolveKernel } from '../../kernel/decode';
import {
  buildPhysPages,
  flatten,
  vmcoreinfoText,
  writeElf,
  writeKdump,
  KdumpCompression,
} from '../unit/parsers/syntheticDump';
import { memoryDump } from './memorySource';
import { openDump } from '../../parsers/dump/openDump';
import { mutatedBytes, mutatedText } from './mutate';

export interface FuzzTarget<T = unknown> {
  name: string;
  /** What the reader reads, for the README. */
  what: string;
  input: () => Promise<fc.Arbitrary<T>>;
  run: (input: T) => unknown;
  /** The input as bytes, to save a crashing one... */
  bytes: (input: T) => Buffer;
  /** ...and back, to replay a saved one (test/fixtures/fuzz/<name>/). */
  fromBytes: (b: Buffer) => T;
  /** The binary seeds, so a saved input can be kept as a few edits of one (`*.edits.json`). */
  seeds?: () => Buffer[];
}

/** A saved input kept small: which seed, and the bytes that differ from it ([offset, hex]). */
interface SeedEdits {
  seed: number;
  edits: [number, string][];
}

/** The bytes of a saved input: the file itself, or for `*.edits.json` the target's seed with those edits. */
export function savedInput(t: FuzzTarget<unknown>, path: string): Buffer {
  const raw = readFileSync(path);
  if (!path.endsWith('.edits.json')) return raw;
  const e = JSON.parse(raw.toString('utf8')) as SeedEdits;
  const b = Buffer.from(t.seeds!()[e.seed]);
  for (const [at, hex] of e.edits) Buffer.from(hex, 'hex').copy(b, at);
  return b;
}

/** An input as edits of a seed of the same length, when few bytes differ (else undefined: save the bytes). */
export function asSeedEdits(t: FuzzTarget<unknown>, input: Buffer, maxBytes = 256): SeedEdits | undefined {
  const seeds = t.seeds?.() ?? [];
  for (let k = 0; k < seeds.length; k++) {
    if (seeds[k].length !== input.length) continue;
    const edits: [number, string][] = [];
    let n = 0;
    for (let i = 0; i < input.length && n <= maxBytes; i++) {
      if (input[i] === seeds[k][i]) continue;
      n++;
      const last = edits[edits.length - 1];
      if (last && last[0] + last[1].length / 2 === i) last[1] += input.subarray(i, i + 1).toString('hex');
      else edits.push([i, input.subarray(i, i + 1).toString('hex')]);
    }
    if (n <= maxBytes) return { seed: k, edits };
  }
  return undefined;
}

export function isTypedInputError(e: unknown): boolean {
  return e instanceof SnapshotError || e instanceof PatchError || e instanceof RuleSetError;
}

/** Patch review's readers: the series parser, symbols, declared rules, the in-memory apply (against the fixture's own page-flags.h hunk context) and the report. */
function reviewPatchTarget(): FuzzTarget<string> {
  const seeds = () =>
    readdirSync(join(ROOT, 'test/fixtures/patches'))
      .filter((f) => f.endsWith('.patch'))
      .map((f) => fixtureText(`patches/${f}`));
  const context = Buffer.from(
    seeds()[0]
      .split('\n')
      .filter((l) => l.startsWith(' ') || l.startsWith('-'))
      .map((l) => l.slice(1))
      .join('\n'),
  );
  return {
    name: 'review-patch',
    what: 'patch review: series parser, symbols per hunk, Offline-Rules trailers, in-memory apply, layout triggers, Markdown report',
    input: textInput(seeds),
    run: (t: string) => {
      const s = parsePatchText(t, 'fuzz.patch');
      const symbols = seriesSymbols(s);
      const rules = patchRules(s);
      const applied = applySeries(s, () => context);
      const layout = { triggers: layoutTriggers(s, context.toString()), changedMask: 0n, apply: [] };
      return reviewMarkdown({ series: s, symbols, rules, applied, layout, snapshots: [], logs: [], treeNote: 'fuzz' });
    },
    bytes: textBytes,
    fromBytes: fromText,
  };
}

/** The repository root (tests and the bench bundle run from it, as npm does). */
const ROOT = process.cwd();
const fixtureText = (rel: string) => readFileSync(join(ROOT, 'test/fixtures', rel), 'utf8');

let physPages: ReturnType<typeof buildPhysPages> | undefined;
const pages = () => (physPages ??= buildPhysPages());

let smallPages: ReturnType<typeof buildPhysPages> | undefined;
/**
 * The synthetic machine the whole-snapshot readers are fuzzed on: its memmap cut to the struct pages
 * of PFNs 0-0x13ff (every page test/unit/parsers/syntheticDump.ts makes interesting; the rest of
 * section 0 reads as not dumped), plus the last page of section 1 so that the dump's own range covers
 * that section. A quarter of the bytes (0.6 MB against 2.3 MB for the ELF) and of the time per input
 * (a kdump-zstd snapshot 25 ms against 207 ms), so a long run reads several times more inputs.
 */
const fuzzPages = () => {
  if (smallPages) return smallPages;
  smallPages = new Map([...pages()].filter(([pfn]) => pfn < 0x2000 + 80 || pfn >= 0x2200));
  smallPages.set(0xffff, Buffer.alloc(4096));
  return smallPages;
};

/**
 * A reader of whole dumps: mutations of `fuzzSeeds`; `seeds` (the full machine, first, then the fuzz
 * seeds) are what saved inputs (`*.edits.json`) name by index.
 */
function dumpTarget(name: string, what: string, seeds: () => Buffer[], fuzzSeeds: () => Buffer[]): FuzzTarget<Buffer> {
  let n = 0;
  let made: Buffer[] | undefined;
  let small: Buffer[] | undefined;
  return {
    name,
    what,
    seeds: () => (made ??= [...seeds(), ...(small ??= fuzzSeeds())]),
    input: async () => mutatedBytes((small ??= fuzzSeeds())),
    run: (b) => openVmcoreSnapshot([memoryDump(`${name}-${n++ % 4}`, b)], { decodeWorker: 'never' }),
    bytes: (b) => b,
    fromBytes: (b) => b,
  };
}

/** A split kdump set of two files, one of them mutated; saved as [u64 length of the first][first][second]. */
function splitTarget(): FuzzTarget<Buffer[]> {
  let n = 0;
  return {
    name: 'kdump-split',
    what: 'split kdump sets (two files, one damaged)',
    input: async () => {
      const [a, b] = writeKdump(fuzzPages(), vmcoreinfoText(), { split: 2 });
      return fc.oneof(
        mutatedBytes([a]).map((x) => [x, b]),
        mutatedBytes([b]).map((x) => [a, x]),
      );
    },
    run: ([a, b]) =>
      openVmcoreSnapshot([memoryDump(`split-a-${n % 4}`, a), memoryDump(`split-b-${n++ % 4}`, b)], {
        decodeWorker: 'never',
      }),
    bytes: ([a, b]) => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(a.length));
      return Buffer.concat([len, a, b]);
    },
    fromBytes: (x) => {
      const n1 = Number(x.readBigUInt64LE(0));
      return [x.subarray(8, 8 + n1), x.subarray(8 + n1)];
    },
  };
}

/** Only the container: headers, notes, bitmaps, descriptor table, VMCOREINFO (many more inputs per second). */
function headersTarget(): FuzzTarget<Buffer> {
  let n = 0;
  return {
    name: 'dump-headers',
    what: 'ELF, kdump and flattened headers and VMCOREINFO note, without the memmap pass',
    input: async () =>
      mutatedBytes([
        writeElf(fuzzPages(), vmcoreinfoText()),
        writeKdump(fuzzPages(), vmcoreinfoText())[0],
        flatten(writeKdump(fuzzPages(), vmcoreinfoText())[0]),
      ]),
    run: (b) => {
      const d = openDump([memoryDump(`headers-${n++ % 4}`, b)]);
      try {
        // a few pages through the format's page reader and codecs (the kernel image, the memmap, the last)
        for (const pfn of [0, 0x1000, 0x2000, d.mem.maxPfn - 1]) d.mem.readPage(pfn);
      } finally {
        d.mem.close();
      }
    },
    bytes: (b) => b,
    fromBytes: (b) => b,
  };
}

const elfOf = (p: Map<number, Buffer>) => writeElf(p, vmcoreinfoText());
const kdumpOf = (p: Map<number, Buffer>, compress: KdumpCompression) =>
  writeKdump(p, vmcoreinfoText(), { compress })[0];
/** A dump target's seeds from the full machine and from the fuzz machine. */
const machineSeeds = (of: (p: Map<number, Buffer>) => Buffer[]): [() => Buffer[], () => Buffer[]] => [
  () => of(pages()),
  () => of(fuzzPages()),
];

const textInput = (seeds: () => string[]) => async () => mutatedText(seeds());
const textBytes = (s: string) => Buffer.from(s, 'utf8');
const fromText = (b: Buffer) => b.toString('utf8');

/** The bundled sample capture's files, read once. */
let sample: Promise<{ kpageflags: Buffer; texts: Record<string, string>; memory: Map<string, string> }> | undefined;
function sampleCapture() {
  sample ??= (async () => {
    const b = await openCaptureBundle(join(ROOT, 'samples/sample-6.12-virtio-mem.tar.gz'));
    // The first 4 sections' words (1 MiB): DMA32 with reserved, free, slab and LRU pages.
    const kpageflags = Buffer.alloc(Math.min(b.kpageflags.size, 4 * 32768 * 8));
    readSync(b.kpageflags.fd, kpageflags, 0, kpageflags.length, 0);
    b.close();
    const texts: Record<string, string> = {};
    for (const [k, v] of Object.entries(b.texts))
      if (v !== undefined && k !== 'manifest') texts[k] = v.slice(0, 64 << 10);
    const memory = new Map<string, string>();
    for (const blk of b.sysfs?.blocks ?? []) memory.set(`memory${blk.id}/state`, blk.state);
    if (b.sysfs?.blockSizeBytes) memory.set('block_size_bytes', b.sysfs.blockSizeBytes.toString(16));
    return { kpageflags, texts, memory };
  })();
  return sample;
}

/** Which file of the capture an input changes, and how. */
type CaptureInput = { file: string; data: Buffer };

async function captureInput(): Promise<fc.Arbitrary<CaptureInput>> {
  const s = await sampleCapture();
  const textNames = Object.keys(s.texts);
  return fc.oneof(
    mutatedBytes([s.kpageflags]).map((data) => ({ file: 'kpageflags', data })),
    ...textNames.map((name) => mutatedText([s.texts[name]]).map((t) => ({ file: name, data: Buffer.from(t) }))),
    fc
      .tuple(fc.constantFrom(...s.memory.keys()), mutatedText([...s.memory.values()]))
      .map(([file, t]) => ({ file: `memory/${file}`, data: Buffer.from(t) })),
  );
}

/**
 * The capture folder inputs are read from (one temp folder of the fuzzer's own): the sample's files,
 * written once; each input replaces one file, which the next input puts back. Rewriting the whole
 * folder per input was half of this reader's time.
 */
let captureDir: string | undefined;
let changed: string | undefined;
let files: Map<string, Buffer> | undefined;
async function captureFiles(): Promise<Map<string, Buffer>> {
  if (files) return files;
  const s = await sampleCapture();
  files = new Map<string, Buffer>([['kpageflags', s.kpageflags]]);
  for (const [k, v] of Object.entries(s.texts)) files.set(k, Buffer.from(v));
  for (const [k, v] of s.memory) files.set(`memory/${k}`, Buffer.from(v));
  return files;
}
async function captureWith(input: CaptureInput): Promise<string> {
  const original = await captureFiles();
  if (!captureDir) {
    captureDir = mkdtempSync(join(tmpdir(), 'kmemmap-fuzz-capture-'));
    mkdirSync(join(captureDir, 'memory'), { recursive: true });
    for (const [name, data] of original) writeCapturedFile(name, data);
  } else if (changed) writeCapturedFile(changed, original.get(changed)!);
  changed = input.file;
  writeCapturedFile(input.file, input.data);
  return captureDir;
}
function writeCapturedFile(name: string, data: Buffer): void {
  const p = join(captureDir!, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
}
process.once('exit', () => captureDir && rmSync(captureDir, { recursive: true, force: true }));

async function runCapture(input: CaptureInput): Promise<void> {
  const snap = await openKpageflagsSnapshot(await captureWith(input));
  try {
    snap.pageDetail?.(snap.endPfn - 1);
  } finally {
    snap.close?.();
  }
}

/** A capture as an uncompressed tar (the input), built from the sample's files under `cap/`. */
async function captureTar(): Promise<Buffer> {
  const { Header } = await import('tar');
  const s = await sampleCapture();
  const files: [string, Buffer][] = [
    ['cap/kpageflags', s.kpageflags.subarray(0, 32768 * 8)],
    ...Object.entries(s.texts).map(([k, v]) => [`cap/${k}`, Buffer.from(v)] as [string, Buffer]),
  ];
  for (const [k, v] of s.memory) files.push([`cap/memory/${k}`, Buffer.from(v)]);
  const blocks: Buffer[] = [];
  for (const [path, body] of files) {
    const h = Buffer.alloc(512);
    new Header({ path, type: 'File', size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }).encode(h, 0);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

let archivePath: string | undefined;
/** Gzips the tar into the fuzzer's own temp file and opens it as a capture archive. */
async function runArchive(tarBytes: Buffer): Promise<void> {
  archivePath ??= join(mkdtempSync(join(tmpdir(), 'kmemmap-fuzz-archive-')), 'capture.tar.gz');
  writeFileSync(archivePath, gzipSync(tarBytes, { level: 1 }));
  const snap = await openKpageflagsSnapshot(archivePath);
  try {
    snap.pageDetail?.(0);
  } finally {
    snap.close?.();
  }
}
process.once('exit', () => archivePath && rmSync(join(archivePath, '..'), { recursive: true, force: true }));

const LOG_SEEDS = () => [
  fixtureText('tools/crash-8.0.2-6.1-balloon-session.txt').slice(0, 40_000),
  fixtureText('tools/drgn-0.0.22-6.1-balloon-repl.txt').slice(0, 40_000),
  fixtureText('tools/crash-8.0.2-6.1-virtio-mem-dev-i.txt'),
];

/** The first `max` characters of a text, ending at a line end. */
const headLines = (t: string, max: number) => (t.length <= max ? t : t.slice(0, t.lastIndexOf('\n', max) + 1));

/**
 * The crash sessions in pieces of a few KiB: `sys` followed by one command and its output (the
 * listings cut at 8 KiB), plus the whole balloon session now and then. Small inputs read in a
 * fraction of a millisecond, so a long run reaches every listing reader many times.
 */
function sessionSeeds(): string[] {
  const session = fixtureText('tools/crash-8.0.2-6.1-balloon-session.txt');
  const parts = session.split(/^(?=crash> )/m);
  const sys = parts.find((p) => p.startsWith('crash> sys')) ?? '';
  const drgn = fixtureText('tools/drgn-0.0.22-6.1-balloon-repl.txt').split(/^(?=>>> )/m);
  return [
    session,
    fixtureText('tools/crash-8.0.2-6.1-virtio-mem-dev-i.txt'),
    ...parts.map((p) => (p === sys ? p : sys + headLines(p, 8192))),
    ...drgn.map((p) => headLines(p, 8192)),
  ];
}

/** The drgn export's header and structure lines with windows of 150 page rows from four places. */
function drgnExportSeeds(): string[] {
  const lines = fixtureText('tools/drgn-0.0.22-6.12-load-export-cut.tsv').split('\n');
  const isRow = (l: string) => /^[0-9a-f]+\s/.test(l);
  const head = lines.filter((l) => !isRow(l));
  const rows = lines.filter(isRow);
  return [0, 0.25, 0.5, 0.9].map((f) => {
    const at = Math.floor(rows.length * f);
    return [...head, ...rows.slice(at, at + 150)].join('\n');
  });
}
const K612 = resolveKernel('6.12');

function hoverTarget(
  name: string,
  kind: DocumentKind,
  what: string,
  seeds: () => string[],
): FuzzTarget<{ text: string; at: number }> {
  return {
    name,
    what,
    input: async () => fc.tuple(mutatedText(seeds()), fc.nat()).map(([text, at]) => ({ text, at })),
    run: ({ text, at }) => {
      // The chosen line and the two after it, at every 5th column: an input is a document and a place in it.
      const lines = text.split('\n');
      const first = lines.length ? at % lines.length : 0;
      for (const line of lines.slice(first, first + 3))
        for (let c = 0; c <= line.length; c += 5)
          computeHover({ lineText: line, character: c, kind, kernel: K612, documentText: () => text });
    },
    // saved as "<at>\n<text>", so a replay looks at the same lines
    bytes: ({ text, at }) => Buffer.from(`${at}\n${text}`, 'utf8'),
    fromBytes: (b) => {
      const s = b.toString('utf8');
      const nl = s.indexOf('\n');
      return { at: Number(s.slice(0, nl)) || 0, text: s.slice(nl + 1) };
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one list of targets whose inputs differ in type
export const TARGETS: FuzzTarget<any>[] = [
  {
    name: 'vmcoreinfo',
    what: 'VMCOREINFO text',
    input: textInput(() => [vmcoreinfoText()]),
    run: (t: string) => looksLikeVmcoreInfo(parseVmcoreInfo(t)),
    bytes: textBytes,
    fromBytes: fromText,
  },
  dumpTarget('elf', 'ELF vmcore (headers, notes, PT_LOADs, page data)', ...machineSeeds((p) => [elfOf(p)])),
  dumpTarget(
    'kdump',
    'kdump-compressed (header, sub-header, bitmaps, descriptors, pages: zlib, LZO, snappy, zstd, raw)',
    ...machineSeeds((p) => (['zlib', 'lzo', 'snappy', 'zstd', 'none'] as KdumpCompression[]).map((c) => kdumpOf(p, c))),
  ),
  dumpTarget(
    'flattened',
    'makedumpfile flattened stream of a kdump and of an ELF',
    ...machineSeeds((p) => [flatten(kdumpOf(p, 'zlib')), flatten(elfOf(p))]),
  ),
  splitTarget(),
  headersTarget(),
  {
    name: 'capture',
    what: 'kpageflags capture folder (kpageflags, iomem, meminfo, uname, dmesg, zoneinfo, buddyinfo, memory/)',
    input: captureInput,
    run: runCapture,
    bytes: (i: CaptureInput) => Buffer.concat([Buffer.from(`${i.file}\n`), i.data]),
    fromBytes: (b: Buffer) => ({ file: b.subarray(0, b.indexOf(10)).toString(), data: b.subarray(b.indexOf(10) + 1) }),
  },
  {
    name: 'archive',
    what: 'capture .tar.gz (tar headers: types, paths, sizes; the files inside)',
    input: async () => mutatedBytes([await captureTar()]),
    run: runArchive,
    bytes: (b: Buffer) => b,
    fromBytes: (b: Buffer) => b,
  },
  {
    name: 'capture-texts',
    what: '/proc/iomem, meminfo and uname parsers',
    input: async () => {
      const s = await sampleCapture();
      return mutatedText([s.texts.iomem ?? '', s.texts.meminfo ?? '', s.texts.uname ?? '']);
    },
    run: (t: string) => {
      const r = pfnRangesNamed(parseIomem(t), isSystemRam, 4096);
      inRanges(r, 0x1000);
      parseMeminfo(t);
      releaseFromUname(t);
    },
    bytes: textBytes,
    fromBytes: fromText,
  },
  {
    name: 'crash-session',
    what: 'crash session logs and their listings (sys, kmem -p/-n/-m/-g/-i/-f, dev -i, struct page)',
    input: textInput(sessionSeeds),
    run: (t: string) => completeKmemPListing(toolMemmapFromText(t)),
    bytes: textBytes,
    fromBytes: fromText,
  },
  {
    name: 'drgn-export',
    what: 'drgn export (tools/drgn/memmap_export.py)',
    input: textInput(drgnExportSeeds),
    run: (t: string) => (looksLikeDrgnExport(t.slice(0, 64)) ? toolMemmapFromDrgn(parseDrgnExport(t)) : undefined),
    bytes: textBytes,
    fromBytes: fromText,
  },
  reviewPatchTarget(),
  hoverTarget('hover-log', 'log', 'hover tokenisers of crash/drgn/dmesg text', LOG_SEEDS),
  hoverTarget('hover-patch', 'patch', 'hover tokenisers of patches and mails', () =>
    readdirSync(join(ROOT, 'test/fixtures/patches'))
      .filter((f) => f.endsWith('.patch'))
      .map((f) => fixtureText(`patches/${f}`)),
  ),
  hoverTarget('hover-c', 'c', 'hover tokenisers of C sources', () => [
    fixtureText('patches/v2-1-1-mm-memory_hotplug-PG_offline_skippable.patch')
      .split('\n')
      .filter((l) => /^[+ -]/.test(l))
      .map((l) => l.slice(1))
      .join('\n'),
  ]),
];
