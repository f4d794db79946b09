// Decoding kdump pages fast: zlib pages inflate through one reused handle straight into the caller's
// buffer (codecs.ts), with exactly inflateSync's results and errors; the memmap pass decodes on two
// threads (kdumpDecodeWorker) with exactly one thread's results.
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CodecError,
  decodePage,
  decodePageInto,
  DUMP_DH_COMPRESSED_ZLIB,
  zlibFastPath,
} from '../../../parsers/dump/codecs';
import { decodeWorkerLocation, liveDecodeWorkers } from '../../../parsers/dump/kdumpParallel';
import { openDump } from '../../../parsers/dump/openDump';
import { X86Paging } from '../../../arch/x86_64/paging';
import { readMemSections } from '../../../parsers/kernelMemory/memSection';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { className } from '../../../kernel/pageClasses';
import type { Snapshot } from '../../../memmap/snapshot';
import { isBigSet, listSets } from '../../lab/sets';

const PS = 4096;

/** What decodePage gave for a zlib page before the fast path: the page, or the CodecError's message. */
function viaInflateSync(data: Buffer): Buffer | string {
  let out: Buffer;
  try {
    out = zlib.inflateSync(data, { maxOutputLength: PS });
  } catch (e) {
    return `page data does not decompress: ${(e as Error).message}`;
  }
  return out.length === PS ? out : `page decompressed to ${out.length} bytes, expected ${PS}`;
}

function outcome(f: () => Buffer): Buffer | string {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof CodecError, `not a CodecError: ${e}`);
    return e.message;
  }
}

describe("zlib pages: the reused-handle fast path gives inflateSync's results", () => {
  const page = Buffer.alloc(PS);
  for (let i = 0; i < PS; i++) page[i] = ((i * 7) & 0x3f) ^ (i >> 9);
  const good = zlib.deflateSync(page);
  const cases: [string, Buffer][] = [
    ['a page', good],
    ['a page, level 1', zlib.deflateSync(page, { level: 1 })],
    ['a zero page', zlib.deflateSync(Buffer.alloc(PS))],
    ['a page with trailing bytes', Buffer.concat([good, Buffer.from('trailing garbage')])],
    ['a page without its checksum', good.subarray(0, good.length - 4)],
    ['a page missing the last checksum byte', good.subarray(0, good.length - 1)],
    ["half a page's stream", good.subarray(0, good.length >> 1)],
    ['a short page', zlib.deflateSync(page.subarray(0, 4000))],
    ['one byte more than a page', zlib.deflateSync(Buffer.concat([page, Buffer.from([1])]))],
    ['two pages', zlib.deflateSync(Buffer.concat([page, page]))],
    ['no zlib header', Buffer.from('not zlib at all, just text')],
    ['a bad block', Buffer.concat([good.subarray(0, 2), Buffer.alloc(40, 0xff)])],
    [
      'a flipped byte',
      (() => {
        const b = Buffer.from(good);
        b[b.length >> 1] ^= 0x55;
        return b;
      })(),
    ],
    ['nothing', Buffer.alloc(0)],
  ];

  it('is in use on this Node', () => assert.ok(zlibFastPath()));

  for (const [name, data] of cases) {
    it(name, () => {
      const want = viaInflateSync(data);
      const got = outcome(() => decodePage(data, DUMP_DH_COMPRESSED_ZLIB, PS));
      assert.deepEqual(got, want);
      // into a buffer at an offset, also in shared memory (the decode worker writes there); neighbours untouched
      for (const mem of [Buffer.alloc(3 * PS, 0xee), Buffer.from(new SharedArrayBuffer(3 * PS)).fill(0xee)]) {
        const r = outcome(() => {
          decodePageInto(data, DUMP_DH_COMPRESSED_ZLIB, PS, mem, PS);
          return mem.subarray(PS, 2 * PS);
        });
        assert.deepEqual(typeof r === 'string' ? r : Buffer.from(r), want);
        assert.ok(
          mem.subarray(0, PS).every((x) => x === 0xee) && mem.subarray(2 * PS).every((x) => x === 0xee),
          'wrote outside its page',
        );
      }
    });
  }

  it('keeps working after errors, and mixed with other pages', () => {
    const out = Buffer.alloc(PS);
    for (let k = 0; k < 50; k++) {
      assert.throws(() => decodePageInto(cases[10][1], DUMP_DH_COMPRESSED_ZLIB, PS, out, 0), CodecError);
      assert.throws(() => decodePageInto(cases[6][1], DUMP_DH_COMPRESSED_ZLIB, PS, out, 0), CodecError);
      decodePageInto(good, DUMP_DH_COMPRESSED_ZLIB, PS, out, 0);
      assert.ok(out.equals(page));
    }
  });
});

// ---- kdump pages decoded on two threads (kdumpDecodeWorker) ----
//
// The memmap pass of a kdump decodes its pages on the reading thread and a decode worker (when it pays;
// 'always' here, since the lab's 1 GiB dumps are below the threshold). Everything must be exactly what
// one thread gives: classes, block verdicts, warnings (damage found by either thread), the bytes and
// availability of every page; no worker may be left running, also when it dies or is missing.

/** The lab's kdump files: each set's QEMU flattened kdump and its makedumpfile-derived dumps. */
function labKdumps(): { name: string; files: string[]; big: boolean }[] {
  const out: { name: string; files: string[]; big?: boolean }[] = [];
  for (const set of listSets()) {
    out.push({ name: `${set.name} vmcore.kdump`, files: [set.kdump], big: isBigSet(set) });
    const d = join(set.dir, 'derived');
    if (!existsSync(d)) continue;
    for (const f of [
      'vmcore.kdump.raw',
      'dump-c-d0.kdump',
      'dump-c-d31.kdump',
      'dump-l-d0.kdump',
      'dump-l-d31.kdump',
    ]) {
      if (existsSync(join(d, f))) out.push({ name: `${set.name} ${f}`, files: [join(d, f)] });
    }
    const split = [3, 1, 2].map((k) => join(d, `dump-split3.${k}`));
    if (split.every((f) => existsSync(f)))
      out.push({ name: `${set.name} dump-split3 (3 files, out of order)`, files: split });
  }
  return out
    .map((k) => ({ ...k, big: k.big === true }))
    .filter(
      (k) => existsSync(k.files[0]) && (!process.env.KMEMMAP_SET || k.name.startsWith(`${process.env.KMEMMAP_SET} `)),
    );
}

const TWO_THREADS = /kdump pages decoded on two threads: the decode worker decoded (\d+) of (\d+) pages \((\d+) jobs/;

/** Snapshots must agree on everything but the timing and decoding notes. */
function assertSameSnapshot(a: Snapshot, b: Snapshot, what: string): void {
  assert.equal(a.endPfn, b.endPfn);
  if (!Buffer.from(a.classes).equals(Buffer.from(b.classes))) {
    const pfn = a.classes.findIndex((c, i) => c !== b.classes[i]);
    assert.fail(
      `${what}: classes differ from PFN 0x${pfn.toString(16)} (${className(a.classes[pfn])} vs ${className(b.classes[pfn])})`,
    );
  }
  assert.deepEqual(a.counts, b.counts);
  assert.deepEqual(a.warnings, b.warnings, `${what}: warnings differ`);
  assert.deepEqual(
    a.blocks.map((x) => x.verdict),
    b.blocks.map((x) => x.verdict),
    `${what}: block verdicts differ`,
  );
  const notes = (s: Snapshot) =>
    s.provenance.notes.filter(
      (n) => !/^timings:|^kdump pages decoded on|^dump pages decoded:|^kallsyms: names resolved earlier/.test(n),
    );
  assert.deepEqual(notes(a), notes(b));
}

/** Waits until the worker threads of this process are gone (exit events are asynchronous). */
async function noWorkerLeft(): Promise<void> {
  for (let t = 0; t < 100 && liveDecodeWorkers() > 0; t++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(liveDecodeWorkers(), 0, 'a decode worker is still running');
}

/**
 * Reads every PFN of a kdump through readPagesIntoAsync with the worker (8 requests of 512 PFNs at a
 * time, into shared memory and into ordinary buffers) and through readPagesInto on a second opening:
 * same bytes, same availability, same damage reports. Returns how many pages the worker decoded.
 */
async function comparePageByPage(
  files: string[],
  opts: { killWorkerAfter?: number } = {},
): Promise<{ workerPages: number; notes: string[] }> {
  const a = openDump(files),
    b = openDump(files);
  const ka = a.kdump!,
    kb = b.kdump!;
  try {
    const N = 512,
      BATCH = 8,
      maxPfn = ka.maxPfn;
    ka.beginBulkReads(maxPfn, 'always');
    // the worker decodes every chunk, so it is tested whatever the machine's scheduling
    ka.readingThreadShares = false;
    const bufs = Array.from({ length: BATCH }, (_, k) =>
      k % 2 ? Buffer.alloc(N * PS) : Buffer.from(new SharedArrayBuffer(N * PS)),
    );
    const avs = Array.from({ length: BATCH }, () => new Uint8Array(N));
    const ref = Buffer.alloc(N * PS),
      refAv = new Uint8Array(N);
    let batches = 0;
    for (let start = 0; start < maxPfn; start += N * BATCH) {
      const reqs: Promise<void>[] = [];
      for (let k = 0; k < BATCH && start + k * N < maxPfn; k++) {
        const pfn = start + k * N,
          n = Math.min(N, maxPfn - pfn);
        bufs[k].fill(0xa5);
        reqs.push(ka.readPagesIntoAsync(pfn, n, bufs[k], 0, avs[k], 0));
      }
      // a crash, as the reader sees it: the thread exits without being told to, while requests are in
      // flight. Awaited, so the reader has seen the exit before this pass ends however the two threads
      // were scheduled (a busy machine may not have run the worker at all by then).
      if (opts.killWorkerAfter !== undefined && ++batches === opts.killWorkerAfter)
        await (ka as unknown as { worker: { worker: { terminate(): Promise<number> } } }).worker.worker.terminate();
      await Promise.all(reqs);
      for (let k = 0; k < reqs.length; k++) {
        const pfn = start + k * N,
          n = Math.min(N, maxPfn - pfn);
        kb.readPagesInto(pfn, n, ref, 0, refAv, 0);
        assert.deepEqual(
          avs[k].subarray(0, n),
          refAv.subarray(0, n),
          `availability differs in PFNs 0x${pfn.toString(16)}+${n}`,
        );
        if (!bufs[k].subarray(0, n * PS).equals(ref.subarray(0, n * PS))) {
          const i = [...Array(n).keys()].find(
            (x) => !bufs[k].subarray(x * PS, (x + 1) * PS).equals(ref.subarray(x * PS, (x + 1) * PS)),
          )!;
          assert.fail(`page 0x${(pfn + i).toString(16)} differs between two threads and one`);
        }
      }
    }
    const notes = await ka.endBulkReads();
    assert.deepEqual(ka.dataWarnings(), kb.dataWarnings(), 'damage reports differ');
    const m = TWO_THREADS.exec(notes.join('\n'));
    assert.ok(m, notes.join('\n'));
    return { workerPages: Number(m[1]), notes };
  } finally {
    a.mem.close();
    b.mem.close();
  }
}

describe('kdump pages decoded on two threads', function () {
  this.timeout(600000);
  const dumps = labKdumps();
  if (dumps.length === 0) it.skip('no lab sets under ~/.cache/kmemmap-lab/sets (npm run lab)', () => undefined);
  afterEach(noWorkerLeft);

  for (const d of dumps) {
    it(`${d.name}: the same snapshot with and without the decode worker`, async () => {
      const one = await openVmcoreSnapshot(d.files, { decodeWorker: 'never' });
      const two = await openVmcoreSnapshot(d.files, { decodeWorker: 'always' });
      assertSameSnapshot(two, one, d.name);
      const m = TWO_THREADS.exec(two.provenance.notes.join('\n'));
      assert.ok(m && Number(m[3]) > 0, `no jobs posted to the worker: ${two.provenance.notes.join('\n')}`);
      assert.ok(one.provenance.notes.some((n) => /decoded on one thread: decode worker turned off/.test(n)));
      // 'auto': one thread below the threshold (the 1 GiB sets), two above it (the 16 GiB sets)
      const auto = await openVmcoreSnapshot(d.files);
      assertSameSnapshot(auto, one, d.name);
      if (d.big) assert.match(auto.provenance.notes.join('\n'), TWO_THREADS);
      else
        assert.ok(
          auto.provenance.notes.some((n) =>
            /decoded on one thread: ~\d+ memmap pages \(\w+, ~\d+ ms to decode\) do not pay/.test(n),
          ),
          auto.provenance.notes.join('\n'),
        );
    });
  }

  // page by page only on the 1 GiB sets (a 16 GiB dump holds millions of raw pages)
  const first = dumps.find((d) => /vmcore\.kdump$/.test(d.name) && !d.big);
  const lzo = dumps.find((d) => /dump-l-d0/.test(d.name));
  const split = dumps.find((d) => /split3/.test(d.name));
  for (const d of [first, lzo, split]) {
    (d ? it : it.skip)(
      `${d?.name ?? 'a lab kdump'}: every page's bytes and availability equal one thread's; the worker decoded some`,
      async () => {
        const r = await comparePageByPage(d!.files);
        console.log(`      ${r.notes.join('; ')}`);
        assert.ok(r.workerPages > 0, r.notes.join('\n'));
      },
    );
  }

  (first ? it : it.skip)(
    'a worker that dies mid-pass: the reading thread decodes what it left, the same pages',
    async () => {
      const r = await comparePageByPage(first!.files, { killWorkerAfter: 3 });
      assert.match(r.notes.join('\n'), /; the decode worker exited \(code \d+\), this thread decoded the rest/);
    },
  );

  (first ? it : it.skip)('a pass cancelled (or failing) after the worker started stops it', async () => {
    const ac = new AbortController();
    await assert.rejects(
      openVmcoreSnapshot(first!.files, {
        decodeWorker: 'always',
        signal: ac.signal,
        onPhase: (name) => {
          if (name === 'vmemmap backing') ac.abort();
        },
      }),
      (e: Error) => /cancelled/.test(e.message),
    );
    await noWorkerLeft();
  });

  (first ? it : it.skip)('no worker script: one thread, a note says why, the same snapshot', async () => {
    const saved = decodeWorkerLocation.find;
    decodeWorkerLocation.find = () => undefined;
    try {
      const s = await openVmcoreSnapshot(first!.files, { decodeWorker: 'always' });
      assert.ok(
        s.provenance.notes.some((n) =>
          /decoded on one thread: the decode worker kdumpDecodeWorker\.js is missing/.test(n),
        ),
        s.provenance.notes.join('\n'),
      );
      assertSameSnapshot(s, await openVmcoreSnapshot(first!.files, { decodeWorker: 'never' }), first!.name);
    } finally {
      decodeWorkerLocation.find = saved;
    }
  });

  const raw = dumps.find((d) => /vmcore\.kdump\.raw/.test(d.name));
  (raw ? it : it.skip)(
    'damaged page data (a descriptor past the end, data that does not decompress): the same losses and warnings, whichever thread found them',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kmemmap-par-'));
      try {
        const p = join(dir, 'damaged.kdump');
        execFileSync('cp', ['--sparse=always', raw!.files[0], p]);
        // the physical pages holding struct pages of a few PFNs, and where their descriptors are
        const d = openDump([p]);
        let damage: { pos: number; bytes: Buffer }[];
        try {
          const vm = new X86Paging(d.mem, d.vmcoreinfo);
          const table = readMemSections(d.vmcoreinfo, vm, 4096);
          const k = d.kdump as unknown as {
            rank(pfn: number): number;
            parts: { descOffset: number; src: { readInto(b: Buffer, o: number, l: number, p: number): number } }[];
          };
          const desc = (pfn: number) => {
            const b = Buffer.alloc(24);
            k.parts[0].src.readInto(b, 0, 24, k.parts[0].descOffset + k.rank(pfn) * 24);
            return {
              pos: k.parts[0].descOffset + k.rank(pfn) * 24,
              off: Number(b.readBigInt64LE(0)),
              flags: b.readUInt32LE(12),
            };
          };
          // memmap pages whose data is zlib-compressed (flag 1) and their own: a page the dump stored raw
          // (compression did not pay) reads garbage without a decompress error, so it cannot be a victim
          const offs = new Set<number>();
          const victims = [0x1000, 0x8000, 0x20000, 0x30000, 0x10000, 0x18000, 0x28000, 0x38000, 0x4000, 0xc000]
            .map((pfn) => Math.floor(vm.translate(table.vmemmapBase + BigInt(pfn) * 64n)!.pa / 4096))
            .filter((mp) => {
              const { off, flags } = desc(mp);
              if ((flags & 1) === 0 || offs.has(off)) return false;
              offs.add(off);
              return true;
            })
            .slice(0, 4);
          assert.equal(victims.length, 4, 'four zlib-compressed memmap pages to damage');
          const past = Buffer.alloc(8);
          past.writeBigInt64LE(BigInt(statSync(p).size + 8192));
          damage = [
            { pos: desc(victims[0]).pos, bytes: past },
            { pos: desc(victims[1]).off, bytes: Buffer.alloc(32, 0xff) },
            { pos: desc(victims[2]).off + 2, bytes: Buffer.alloc(16, 0x00) },
            { pos: desc(victims[3]).off, bytes: Buffer.alloc(24, 0x33) },
          ];
        } finally {
          d.mem.close();
        }
        const fd = openSync(p, 'r+');
        try {
          for (const x of damage) writeSync(fd, x.bytes, 0, x.bytes.length, x.pos);
        } finally {
          closeSync(fd);
        }
        const one = await openVmcoreSnapshot([p], { decodeWorker: 'never' });
        const two = await openVmcoreSnapshot([p], { decodeWorker: 'always' });
        assert.match(one.warnings.join('\n'), /lies beyond the end of the file/);
        // up to three damaged pages fail to decompress: how many of them the pass reads, and so reports,
        // depends on the guest's memory (a fresh lab reported 2 of the 3); both threads must report the same
        const broken = /(\d+) pages?' data does not decompress/.exec(one.warnings.join('\n'));
        assert.ok(broken && Number(broken[1]) >= 1 && Number(broken[1]) <= 3, one.warnings.join('\n'));
        assertSameSnapshot(two, one, 'damaged dump');
        const r = await comparePageByPage([p]);
        assert.ok(r.workerPages > 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  (first ? it : it.skip)('kmemmap summary with the worker exits promptly and says it used two threads', () => {
    const cli = join(__dirname, '..', '..', '..', 'cli', 'kmemmap.js');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'summary', ...first!.files], {
      encoding: 'utf8',
      timeout: 60000,
      env: { ...process.env, KMEMMAP_DECODE_WORKER: 'always' },
    });
    const ms = performance.now() - t0;
    assert.equal(r.status, 0, `${r.signal ?? ''} ${r.stderr}`);
    assert.match(r.stdout, TWO_THREADS);
    console.log(`      kmemmap summary: ${ms.toFixed(0)} ms`);
  });
});
