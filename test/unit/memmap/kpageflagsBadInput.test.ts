// Bad kpageflags input gets a clear error naming the file and the problem, and is never written to.

import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSnapshot } from '../../../memmap/open';
import { openKpageflagsSnapshot } from '../../../memmap/kpageflagsSnapshot';
import { SnapshotError } from '../../../parsers/errors';
import { CLASS_ID } from '../../../kernel/pageClasses';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'kmemmap-test-'));
}

function u64s(words: bigint[]): Buffer {
  const b = Buffer.alloc(words.length * 8);
  words.forEach((w, i) => b.writeBigUInt64LE(w, i * 8));
  return b;
}

async function rejectsWith(p: Promise<unknown>, file: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SnapshotError, `expected SnapshotError, got ${String(e)}`);
    assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

describe('kpageflags: bad input', () => {
  it('an empty kpageflags says it is empty', async () => {
    const d = tmp();
    writeFileSync(join(d, 'kpageflags'), '');
    await rejectsWith(openKpageflagsSnapshot(d), 'kpageflags', /empty/);
  });

  it('a size that is not a multiple of 8 says truncated', async () => {
    const d = tmp();
    writeFileSync(join(d, 'kpageflags'), Buffer.alloc(8 * 10 + 3));
    await rejectsWith(openKpageflagsSnapshot(d), 'kpageflags', /not a multiple of 8/);
  });

  it('a folder without kpageflags says what it expected', async () => {
    const d = tmp();
    writeFileSync(join(d, 'meminfo'), 'MemTotal: 1 kB\n');
    await rejectsWith(openKpageflagsSnapshot(d), d, /no kpageflags file/);
  });

  it('a random file is not a snapshot', async () => {
    const d = tmp();
    const f = join(d, 'notes.bin');
    writeFileSync(f, Buffer.from('this is not a kernel dump at all, just some text\n'.repeat(100)));
    await rejectsWith(openSnapshot(f), f, /not a snapshot this tool can read/);
  });

  it('a missing path says so', async () => {
    const f = join(tmp(), 'nope');
    await rejectsWith(openSnapshot(f), f, /cannot open|no such/);
  });

  it('a truncated .tar.gz bundle gives an archive error, not a crash', async () => {
    const { create } = await import('tar');
    const d = tmp();
    mkdirSync(join(d, 'cap'));
    writeFileSync(join(d, 'cap', 'kpageflags'), u64s(Array.from({ length: 4096 }, (_, i) => BigInt(i))));
    const archive = join(d, 'cap.tar.gz');
    await create({ gzip: true, file: archive, cwd: d }, ['cap']);
    const whole = readFileSync(archive);
    const cut = join(d, 'cut.tar.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await rejectsWith(openSnapshot(cut), cut, /archive|kpageflags/);
  });

  it('never writes to the input', async () => {
    const d = tmp();
    const f = join(d, 'kpageflags');
    writeFileSync(f, u64s([1n << 10n, 1n << 5n, 0n, 1n << 32n]));
    const before = statSync(f).mtimeMs;
    const s = await openKpageflagsSnapshot(d);
    s.pageDetail?.(1);
    assert.equal(statSync(f).mtimeMs, before);
    assert.deepEqual(readFileSync(f), u64s([1n << 10n, 1n << 5n, 0n, 1n << 32n]));
  });
});

describe('kpageflags: classification edge cases', () => {
  it('a bare kpageflags file without side files classifies and warns about what is missing', async () => {
    const d = tmp();
    // buddy, lru file, lru anon, reserved, NOPAGE, offline, slab, compound tail of hugetlb
    const words = [
      1n << 10n,
      1n << 5n,
      (1n << 5n) | (1n << 12n),
      1n << 32n,
      1n << 20n,
      1n << 23n,
      1n << 7n,
      (1n << 16n) | (1n << 17n),
    ];
    writeFileSync(join(d, 'kpageflags'), u64s(words));
    const s = await openKpageflagsSnapshot(join(d, 'kpageflags'));
    assert.deepEqual(
      Array.from(s.classes),
      ['free', 'lru-file', 'lru-anon', 'reserved', 'no-memmap', 'offline-movable', 'slab', 'hugetlb'].map(
        (c) => CLASS_ID[c as keyof typeof CLASS_ID],
      ),
    );
    assert.ok(s.warnings.some((w) => /release unknown/.test(w)));
    assert.ok(s.warnings.some((w) => /iomem/.test(w)));
    assert.ok(
      s.provenance.notes.some((n) => /assumption/.test(n)),
      'the balloon assumption is stated',
    );
  });

  it('on 6.16+ a zero word in an offline block is section-offline, outside RAM no-memmap', async () => {
    const d = tmp();
    const pfns = 4 * 32768; // four 128 MiB blocks
    const words = new Array<bigint>(pfns).fill(1n << 10n);
    for (let i = 2 * 32768; i < 3 * 32768; i++) words[i] = 0n; // offline block 2
    for (let i = 3 * 32768; i < pfns; i++) words[i] = 0n; // not RAM
    writeFileSync(join(d, 'kpageflags'), u64s(words));
    writeFileSync(join(d, 'uname'), 'Linux t 6.17.1 #1 SMP x86_64 GNU/Linux\n');
    writeFileSync(join(d, 'iomem'), '00000000-17ffffff : System RAM\n');
    mkdirSync(join(d, 'memory'));
    writeFileSync(join(d, 'memory', 'block_size_bytes'), '8000000\n');
    for (const [n, st] of [
      [0, 'online'],
      [1, 'online'],
      [2, 'offline'],
    ] as const) {
      mkdirSync(join(d, 'memory', `memory${n}`));
      writeFileSync(join(d, 'memory', `memory${n}`, 'state'), st + '\n');
      writeFileSync(join(d, 'memory', `memory${n}`, 'valid_zones'), n === 2 ? 'Normal Movable\n' : 'Normal\n');
    }
    const s = await openKpageflagsSnapshot(d);
    assert.equal(s.counts[CLASS_ID['section-offline']], 32768);
    assert.equal(s.counts[CLASS_ID['no-memmap']], 32768);
    assert.deepEqual(
      s.sections.map((x) => x.state),
      ['online', 'online', 'offline', 'absent'],
    );
    assert.equal(s.blocks[0].verdict?.mainline.ok, true);
    assert.equal(s.blocks[2].verdict?.mainline.ok, undefined, 'an offline block has no verdict');
  });
});

describe('offline verdict: zones', () => {
  it('an online block whose pages lie in two zones cannot be offlined (multizone range), however the zones are given', async () => {
    const { offlineVerdict } = await import('../../../memmap/offlineVerdict');
    const classes = new Uint8Array(1024).fill(CLASS_ID.free);
    for (const zones of [['none'], ['DMA', 'DMA32']]) {
      const v = offlineVerdict(
        { block: { id: 0, startPfn: 0, nrPfns: 1024, state: 'online', zones }, classes, classesStartPfn: 0 },
        'mainline',
      );
      assert.equal(v.ok, false);
      assert.equal(v.reason, 'multizone range');
      assert.equal(v.errno, 'EINVAL');
    }
    const one = offlineVerdict(
      { block: { id: 0, startPfn: 0, nrPfns: 1024, state: 'online', zones: ['DMA32'] }, classes, classesStartPfn: 0 },
      'mainline',
    );
    assert.equal(one.ok, true);
  });
});
