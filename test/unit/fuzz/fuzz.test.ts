// Every reader of untrusted input, fed mutations of its real seeds (test/fuzz/targets.ts) with a
// fixed fast-check seed: the same inputs on every run, a few seconds per reader. No input may end in
// anything but a result or the typed input error. The inputs the long runs (`npm run fuzz`) found
// are replayed from test/fixtures/fuzz/<reader>/.

import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGETS, isTypedInputError, savedInput } from '../../fuzz/targets';
import { fuzzTarget } from '../../fuzz/runner';
import { toolOutputSnapshot } from '../../../memmap/toolOutputSnapshot';
import type { Snapshot } from '../../../memmap/snapshot';
import { lookupSymbol } from '../../../kernel/knowledge/index';
import { computeHover } from '../../../extension/hovers/hoverContent';
import { readSysfsMemory } from '../../../parsers/capture/sysfsMemory';
import { parsePatchText } from '../../../review/patchSeries';

/** Inputs per reader: a few seconds each on a busy 2-core machine. */
const INPUTS: Record<string, number> = {
  vmcoreinfo: 3000,
  elf: 120,
  kdump: 60,
  flattened: 120,
  'kdump-split': 60,
  'dump-headers': 500,
  capture: 20,
  archive: 40,
  'capture-texts': 3000,
  'crash-session': 120,
  'drgn-export': 100,
  'hover-log': 300,
  'hover-patch': 300,
  'hover-c': 300,
  'review-patch': 300,
};
const SEED = 20261203;
const FOUND = 'test/fixtures/fuzz';

describe('fuzz: every reader, fixed seed', function () {
  this.timeout(120_000);

  it('every reader has an input budget here', () => {
    assert.deepEqual(TARGETS.map((t) => t.name).sort(), Object.keys(INPUTS).sort());
  });

  for (const t of TARGETS) {
    it(`${t.name}: ${INPUTS[t.name]} mutated inputs give a result or a typed input error, never a crash`, async () => {
      // hangMs is out of reach here: hangs are the long run's business, not a timing assertion
      const r = await fuzzTarget(t, { seed: SEED, maxInputs: INPUTS[t.name], hangMs: Infinity });
      assert.equal(r.inputs, INPUTS[t.name]);
      assert.deepEqual(
        r.crashes.map((c) => c.what),
        [],
      );
    });
  }
});

describe('fuzz: inputs the long runs found', function () {
  this.timeout(60_000);
  const readers = existsSync(FOUND) ? readdirSync(FOUND) : [];

  it('each saved input belongs to a reader and has a test below', () => {
    assert.ok(readers.length > 0, `${FOUND} holds the inputs found so far`);
    for (const r of readers)
      assert.ok(
        TARGETS.some((t) => t.name === r),
        `${r} is a reader`,
      );
  });

  for (const reader of readers)
    for (const file of readdirSync(join(FOUND, reader))) {
      it(`${reader}/${file} ends in a result or a typed input error`, async () => {
        const t = TARGETS.find((x) => x.name === reader)!;
        try {
          await t.run(t.fromBytes(savedInput(t, join(FOUND, reader, file))));
        } catch (e) {
          assert.ok(isTypedInputError(e), `not a crash: ${(e as Error).stack}`);
        }
      });
    }

  it('an ELF PT_NOTE whose size is past 2^56 is a DumpError naming it, before any allocation (was: RangeError from Buffer.allocUnsafe)', async () => {
    const t = TARGETS.find((x) => x.name === 'elf')!;
    await assert.rejects(
      async () => t.run(t.fromBytes(readFileSync(join(FOUND, 'elf', 'pt-note-size-2e59.bin')))),
      /PT_NOTE segment 0 at offset 360 \(\+576460752303424900 bytes\) lies beyond the end of the file \(522 bytes\)/,
    );
  });

  it('words that are Object.prototype keys (__proto__, valueOf, constructor) are not kernel symbols (was: a TypeError in every hover over them)', () => {
    for (const w of ['__proto__', 'valueOf', 'constructor', 'toString', 'hasOwnProperty']) {
      assert.deepEqual(lookupSymbol(w), [], w);
      assert.equal(computeHover({ lineText: `x = ${w};`, character: 5, kind: 'c' }), undefined, w);
    }
    assert.ok(lookupSymbol('PageOffline').length > 0, 'real symbols still found');
  });

  it('a sysfs memory block whose state is "constructor" is unknown, with a problem (not a function shown as a state)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'kmemmap-fuzz-sysfs-'));
    try {
      mkdirSync(join(d, 'memory0'));
      writeFileSync(join(d, 'memory0', 'state'), 'constructor\n');
      const m = await readSysfsMemory(d);
      assert.equal(m.blocks[0].state, 'unknown');
      assert.match(m.problems.join('\n'), /memory0\/state has an unknown value "constructor"/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('a page-table pointer that is not 8-byte aligned fails that translation instead of reading past a page (was: RangeError in readBigUInt64LE)', async () => {
    const t = TARGETS.find((x) => x.name === 'elf')!;
    try {
      await t.run(t.fromBytes(savedInput(t, join(FOUND, 'elf', 'unaligned-page-table-entry.edits.json'))));
    } catch (e) {
      assert.ok(isTypedInputError(e), `not a crash: ${(e as Error).stack}`);
    }
  });

  it('PT_LOADs reaching 255 TiB of zero-fill end where the file data ends, with a warning naming the claim (was: RangeError from new Uint8Array)', async () => {
    const t = TARGETS.find((x) => x.name === 'elf')!;
    const s = (await t.run(
      t.fromBytes(savedInput(t, join(FOUND, 'elf', 'pt-load-of-255-tib.edits.json'))),
    )) as Snapshot;
    assert.equal(s.endPfn, 0x10000, 'the two sections mem_section registers');
    assert.match(
      s.warnings.join('\n'),
      /PT_LOAD segments describe memory up to PFN 0xff0002200 \(255\.0 TiB\), but from PFN 0x10000 \(256 MiB\) on no byte of the file holds it/,
    );
  });

  for (const [file, up] of [
    ['one-page-segment-512-gib-up.edits.json', '512 GiB'],
    ['one-page-segment-2-tib-up.edits.json', '2 TiB'],
  ])
    it(`a one-page PT_LOAD that one flipped p_paddr bit moves ${up} up is left out, with a warning, and the snapshot ends at the kernel's sections (was: 0.5-2 s and 250-800 MB drawing the hole)`, async () => {
      const t = TARGETS.find((x) => x.name === 'elf')!;
      const s = (await t.run(t.fromBytes(savedInput(t, join(FOUND, 'elf', file))))) as Snapshot;
      assert.equal(s.endPfn, 0x10000, 'the two sections mem_section registers');
      assert.ok(s.classes.length <= 0x10000, 'one class byte per PFN of the sections, none for the hole');
      assert.match(
        s.warnings.join('\n'),
        /PT_LOAD segments describe memory up to PFN 0x[0-9a-f]+ \([0-9.]+ (GiB|TiB)\) and hold page data up to PFN 0x[0-9a-f]+ .*; mem_section registers no section from PFN 0x10000 \(256 MiB\) on.* the snapshot ends at PFN 0x10000/,
      );
    });

  it('overlapping PT_LOADs claiming a TiB of pages are counted by runs, not page by page (was: 16-70 s for a 2 KiB file)', async () => {
    const t = TARGETS.find((x) => x.name === 'dump-headers')!;
    const input = readFileSync(join(FOUND, 'dump-headers', 'overlapping-pt-loads-of-a-tib.bin'));
    // every one of the 2^28 pages the headers claim is lost: the file ends after the headers
    await assert.rejects(
      async () => t.run(t.fromBytes(input)),
      (e: unknown) => isTypedInputError(e) && /268435456 of 268435456 pages' data lost/.test((e as Error).message),
    );
  });

  it('a series whose subjects number it 1/4294967296 is read with a warning naming the claim (was: RangeError listing the missing patches)', () => {
    const text = readFileSync(join(FOUND, 'review-patch', 'numbered-as-of-4294967296.patch'), 'utf8');
    const s = parsePatchText(text, 'series.patch');
    assert.equal(s.patches.length, 1);
    assert.match(s.warnings.join('\n'), /number this series as 4294967296 patches, more than 1000; 1 is here/);
    const fine = parsePatchText(text.replace('1/4294967296', '1/3'), 'series.patch');
    assert.match(fine.warnings.join('\n'), /names 3 patches; patches 2, 3 are missing here/);
  });

  it('a kmem -p row whose PHYSICAL is past 52 bits is a bad row with a warning, the rest is read (was: an endless loop)', () => {
    const text = readFileSync(join(FOUND, 'crash-session', 'kmem-p-physical-beyond-52-bits.txt'), 'utf8');
    const s = toolOutputSnapshot(text, 'session.txt');
    assert.ok(
      s.warnings.some((w) => /kmem -p.*2 row\(s\) could not be read.*18446744073709551616/.test(w)),
      s.warnings.join('\n'),
    );
    assert.deepEqual(
      [s.startPfn, s.endPfn],
      [0x1000, 0x1009],
      'the PFNs the good rows list (no kmem -n: no machine around them)',
    );
  });
});
