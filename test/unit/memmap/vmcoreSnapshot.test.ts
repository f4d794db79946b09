import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { className } from '../../../kernel/pageClasses';
import { DumpError } from '../../../parsers/dump/errors';
import { detectDumpFormat } from '../../../parsers/dump/detect';
import { CodecError, decodePage, DUMP_DH_COMPRESSED_LZO, lzoStats } from '../../../parsers/dump/codecs';
import type { Snapshot } from '../../../memmap/snapshot';
import { openDump } from '../../../parsers/dump/openDump';
import { PageAvail } from '../../../parsers/dump/physmem';
import {
  buildPhysPages,
  elfPageOffset,
  neededPageLostError,
  EXPECT,
  flatten,
  kdumpDescriptor,
  lzoStored,
  streamPos,
  tmpFile,
  vmcoreinfoText,
  writeElf,
  writeKdump,
} from '../parsers/syntheticDump';

const pages = buildPhysPages();
const vi = vmcoreinfoText();

async function classesOf(paths: string[]) {
  const s = await openVmcoreSnapshot(paths);
  return s;
}

function checkExpect(s: Awaited<ReturnType<typeof classesOf>>) {
  for (const [pfn, cls] of Object.entries(EXPECT))
    assert.equal(className(s.classes[Number(pfn)]), cls, `PFN 0x${Number(pfn).toString(16)}`);
}

describe('vmcore reader on a synthetic 6.12 machine', () => {
  const elfPath = tmpFile('vmcore.elf', writeElf(pages, vi));
  const kdumpImg = writeKdump(pages, vi)[0];
  const kdumpPath = tmpFile('vmcore.kdump', kdumpImg);

  it('detects formats by magic', () => {
    assert.equal(detectDumpFormat(fs.readFileSync(elfPath).subarray(0, 4096)), 'elf');
    assert.equal(detectDumpFormat(kdumpImg.subarray(0, 4096)), 'kdump');
    assert.equal(detectDumpFormat(flatten(kdumpImg).subarray(0, 4096)), 'flattened');
    assert.equal(detectDumpFormat(Buffer.from('hello world')), undefined);
  });

  it('classifies every rule fixture from the ELF dump (QEMU 7.2 header quirks)', async () => {
    const s = await classesOf([elfPath]);
    checkExpect(s);
    assert.equal(s.kernel.layoutFamily, '6.12-6.13');
    assert.equal(s.sections[0].state, 'online');
    assert.equal(s.sections[1].state, 'offline');
    assert.equal(s.sections[0].flags, 'PMOE');
    assert.ok(s.warnings.some((w) => /128 MiB/.test(w)));
    const d = s.pageDetail!(0x200)!;
    assert.equal(d.rule, 'offline-balloon-mapping');
    assert.ok(d.notes!.some((n) => /assumption/.test(n)));
    assert.equal(d.zone, 'Normal');
    assert.equal(d.node, 0);
    assert.equal(s.pageDetail!(0x101)!.rule, 'buddy-tail');
    assert.equal(s.pageDetail!(0x201)!.rule, 'offline-dirty');
    // no kallsyms, so no virtio-mem ranges: a referenced PageOffline page is never called unmovable
    assert.equal(s.pageDetail!(0x202)!.rule, 'offline-kind-unknown');
    assert.ok(
      s.warnings.some((w) =>
        /1 PageOffline pages .* offline \(kind unknown\): the virtio-mem device ranges could not be read \(kallsyms not usable/.test(
          w,
        ),
      ),
      s.warnings.join('\n'),
    );
    assert.ok(s.pageDetail!(0x400)!.flags!.includes('lru'));
  });

  it('kdump, flattened kdump and a split kdump set give the same class array as ELF', async () => {
    const ref = (await classesOf([elfPath])).classes;
    const k = await classesOf([kdumpPath]);
    assert.deepEqual(k.classes, ref);
    assert.ok(k.provenance.notes.some((n) => /phys_base/.test(n)));
    const f = await classesOf([tmpFile('vmcore.flat', flatten(kdumpImg))]);
    assert.equal(f.provenance.format, 'kdump-flattened (zlib)');
    assert.deepEqual(f.classes, ref);
    const parts = writeKdump(pages, vi, { split: 3 }).map((b, i) => tmpFile(`vmcore.${i}`, b));
    const sp = await classesOf([parts[2], parts[0], parts[1]]);
    assert.deepEqual(sp.classes, ref);
    await assert.rejects(
      classesOf([parts[0], parts[2]]),
      (e: unknown) => e instanceof DumpError && /incomplete/.test(e.message),
    );
    const flatElf = await classesOf([tmpFile('vmcore.elfflat', flatten(fs.readFileSync(elfPath)))]);
    assert.deepEqual(flatElf.classes, ref);
    const raw = await classesOf([tmpFile('vmcore.raw', writeKdump(pages, vi, { compress: 'none' })[0])]);
    assert.deepEqual(raw.classes, ref);
  });

  it('says how to get VMCOREINFO when it is missing', async () => {
    const p = tmpFile('novi.elf', writeElf(pages, undefined));
    await assert.rejects(
      openVmcoreSnapshot([p]),
      (e: unknown) =>
        e instanceof DumpError &&
        e.kind === 'no-vmcoreinfo' &&
        /-device vmcoreinfo/.test(e.message) &&
        e.message.includes(p),
    );
  });

  it('rejects non-x86_64 dumps and random files with specific errors', async () => {
    const arm = tmpFile('arm.elf', writeElf(pages, vi, { machine: 183 }));
    await assert.rejects(
      openVmcoreSnapshot([arm]),
      (e: unknown) => e instanceof DumpError && e.kind === 'wrong-arch' && /aarch64/.test(e.message),
    );
    const armk = tmpFile('arm.kdump', writeKdump(pages, vi, { machine: 'aarch64' })[0]);
    await assert.rejects(openVmcoreSnapshot([armk]), (e: unknown) => e instanceof DumpError && e.kind === 'wrong-arch');
    const rnd = tmpFile('random.bin', Buffer.from(Array.from({ length: 10000 }, (_, i) => (i * 7919) & 0xff)));
    await assert.rejects(
      openVmcoreSnapshot([rnd]),
      (e: unknown) => e instanceof DumpError && /not a dump/.test(e.message),
    );
    await assert.rejects(
      openVmcoreSnapshot(['/nonexistent/vmcore']),
      (e: unknown) => e instanceof DumpError && e.kind === 'io',
    );
  });

  it('unknown layout gives unknown pages, never a guess', async () => {
    const odd = vi.replace('NUMBER(PG_lru)=5', 'NUMBER(PG_lru)=7');
    const s = await openVmcoreSnapshot([tmpFile('odd.elf', writeElf(pages, odd))]);
    assert.equal(className(s.classes[0x400]), 'unknown');
    assert.ok(s.warnings.some((w) => /unrecognised page-flag layout/.test(w)));
  });

  it('truncation at many offsets gives a DumpError or the same answer, never a crash or a wrong class', async function () {
    this.timeout(120000);
    const ref = (await classesOf([elfPath])).classes;
    for (const img of [fs.readFileSync(elfPath), kdumpImg, flatten(kdumpImg)]) {
      const cuts = [0, 1, 8, 63, 64, 200, 464, 4095, 4096, 5000, 8192, 9000, 12288, 20000];
      for (let i = 1; i < 12; i++) cuts.push(Math.floor((img.length * i) / 12));
      cuts.push(img.length - 1);
      for (const cut of cuts) {
        const p = tmpFile('cut', img.subarray(0, cut));
        try {
          const s = await openVmcoreSnapshot([p]);
          for (let pfn = 0; pfn < ref.length; pfn++) {
            const c = s.classes[pfn];
            if (c !== ref[pfn])
              assert.ok(
                ['excluded', 'unknown', 'no-memmap'].includes(className(c)),
                `cut ${cut}: PFN ${pfn} became ${className(c)}`,
              );
          }
        } catch (e) {
          assert.ok(e instanceof DumpError, `cut ${cut} of ${img.length}: ${(e as Error).stack}`);
        }
      }
    }
  });

  it('corrupt kdump header and bitmap give DumpErrors', async () => {
    const bad = Buffer.from(kdumpImg);
    bad.writeInt32LE(12345, 428); // block_size
    await assert.rejects(
      openVmcoreSnapshot([tmpFile('bad.kdump', bad)]),
      (e: unknown) => e instanceof DumpError && /block_size/.test(e.message),
    );
    const bad2 = Buffer.from(kdumpImg);
    bad2.fill(0xff, 3 * 4096 + 4096, 3 * 4096 + 8192); // bitmap2 all ones: ranks past the descriptors
    try {
      const s = await openVmcoreSnapshot([tmpFile('bad2.kdump', bad2)]);
      assert.ok(s);
    } catch (e) {
      assert.ok(e instanceof DumpError, String(e));
    }
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      openVmcoreSnapshot([elfPath], { signal: ac.signal }),
      (e: unknown) => e instanceof DumpError && e.kind === 'aborted',
    );
  });
});

/** PFNs whose class differs from ref; each must be excluded by the rule memmap-excluded. Returns them. */
function lostStructPages(ref: Uint8Array, s: Snapshot): number[] {
  const diff: number[] = [];
  for (let pfn = 0; pfn < ref.length; pfn++) {
    if (s.classes[pfn] === ref[pfn]) continue;
    assert.equal(
      className(s.classes[pfn]),
      'excluded',
      `PFN 0x${pfn.toString(16)}: ${className(s.classes[pfn])} instead of ${className(ref[pfn])}`,
    );
    diff.push(pfn);
  }
  for (const pfn of [diff[0], diff[diff.length - 1]].filter((p) => p !== undefined))
    assert.equal(s.pageDetail!(pfn)!.rule, 'memmap-excluded');
  return diff;
}

/** [start, end) runs of sorted PFNs, hex, for messages. */
const runsOf = (pfns: number[]) => {
  const out: string[] = [];
  for (let i = 0; i < pfns.length;) {
    let j = i;
    while (j + 1 < pfns.length && pfns[j + 1] === pfns[j] + 1) j++;
    out.push(`0x${pfns[i].toString(16)}-0x${(pfns[j] + 1).toString(16)}`);
    i = j + 1;
  }
  return out.join(' ');
};

describe('kdump page data: codecs, damage and truncation (synthetic machine)', () => {
  let ref: Uint8Array;
  before(async () => {
    ref = (await openVmcoreSnapshot([tmpFile('vmcore.elf', writeElf(pages, vi))])).classes;
  });
  // struct pages live in PFNs 0x2000-0x21ff (64 per page): memmap page 0x2000 + k holds PFNs 64k..64k+63
  const memmapPage = (pfn: number) => 0x2000 + Math.floor(pfn / 64);

  for (const c of ['lzo', 'snappy', 'zstd', 'none'] as const) {
    it(`hand-made ${c} pages give the ELF dump's classes`, async () => {
      const s = await openVmcoreSnapshot([tmpFile(`vmcore-${c}.kdump`, writeKdump(pages, vi, { compress: c })[0])]);
      assert.equal(s.provenance.format, `kdump (${c})`);
      assert.deepEqual(s.classes, ref);
      assert.deepEqual(
        s.warnings.filter((w) => /lost|decompress|beyond/.test(w)),
        [],
      );
    });
  }

  it('LZO: a bad page is a CodecError, never a crash; the decoder survives many of them', () => {
    const page = Buffer.alloc(4096, 0x5a);
    assert.ok(decodePage(lzoStored(page), DUMP_DH_COMPRESSED_LZO, 4096).equals(page));
    const before = lzoStats();
    const bads: [string, Buffer][] = [
      ['garbage', Buffer.alloc(100, 0xff)],
      ['empty', Buffer.alloc(0)],
      ['cut', lzoStored(page).subarray(0, 2000)],
      ['end marker only (a clean but short stream)', Buffer.from([0x11, 0, 0])],
      ['short page', lzoStored(Buffer.alloc(4000, 0xa5))],
    ];
    for (const [what, bad] of bads)
      assert.throws(() => decodePage(bad, DUMP_DH_COMPRESSED_LZO, 4096), CodecError, what);
    // a page that really ends with the sentinel byte is not mistaken for a short one
    const endsA5 = Buffer.alloc(4096, 0xa5);
    assert.ok(decodePage(lzoStored(endsA5), DUMP_DH_COMPRESSED_LZO, 4096).equals(endsA5));
    // each failure leaks its output buffer inside the wasm: after 256 the decoder starts a fresh instance
    for (let i = 0; i < 600; i++)
      assert.throws(() => decodePage(Buffer.alloc(64, (i & 0xff) | 0x80), DUMP_DH_COMPRESSED_LZO, 4096), CodecError);
    const after = lzoStats();
    assert.ok(after.instances >= before.instances + 2, `restarted ${after.instances - before.instances} times`);
    assert.ok(decodePage(lzoStored(page), DUMP_DH_COMPRESSED_LZO, 4096).equals(page));
    assert.equal(lzoStats().unprobed, 0, 'the short-output check ran on every decode');
  });

  it('a corrupt LZO page, a descriptor past the end and a corrupt descriptor: the dump opens, those struct pages read as excluded, warnings count them', async () => {
    const img = Buffer.from(writeKdump(pages, vi, { compress: 'lzo' })[0]);
    const bad = kdumpDescriptor(img, memmapPage(0x100));
    img.fill(0xff, bad.offset, bad.offset + 40); // garbage LZO
    const past = kdumpDescriptor(img, memmapPage(0x200));
    img.writeBigInt64LE(BigInt(img.length + 4096), past.descPos);
    const corrupt = kdumpDescriptor(img, memmapPage(0x300));
    img.writeUInt32LE(0, corrupt.descPos + 8); // size 0
    const s = await openVmcoreSnapshot([tmpFile('damaged.kdump', img)]);
    const lost = lostStructPages(ref, s);
    assert.equal(runsOf(lost), '0x100-0x140 0x200-0x240 0x300-0x340');
    const w = s.warnings.join('\n');
    assert.match(
      w,
      /1 page's data does not decompress \(first PFN 0x2004: LZO data does not decompress\), shown as excluded/,
    );
    assert.match(
      w,
      /1 page's data lies beyond the end of the file \(\d+ bytes\) \(first PFN 0x2008: data at offset \d+\), shown as excluded/,
    );
    assert.match(
      w,
      /1 page's data is lost: its page descriptor is corrupt \(first PFN 0x200c: offset \d+, size 0\), shown as excluded/,
    );
  });

  it('a kdump truncated inside its page data opens: pages whose data is lost read as excluded, a warning says how many and from where', async () => {
    const img = writeKdump(pages, vi)[0];
    const cut = kdumpDescriptor(img, 0x2100).offset; // data of memmap page 0x2100 (struct pages of PFNs 0x4000-0x403f) and after
    const s = await openVmcoreSnapshot([tmpFile('cut.kdump', img.subarray(0, cut))]);
    assert.equal(runsOf(lostStructPages(ref, s)), '0x4000-0x8000');
    const w = s.warnings.find((x) => /truncated/.test(x)) ?? '';
    const m =
      /dump truncated at byte (\d+) of (\d+) expected: (\d+) of (\d+) pages' data lost, from PFN 0x2100, shown as excluded/.exec(
        w,
      );
    assert.ok(m, s.warnings.join('\n'));
    assert.equal(Number(m[1]), cut);
    assert.equal(Number(m[2]), img.length);
    assert.equal(Number(m[3]), 0x100, 'memmap pages 0x2100-0x21ff');
    // inside the descriptor table: an error, not a guess
    const descCut = kdumpDescriptor(img, 0x2000).descPos + 10;
    await assert.rejects(
      openVmcoreSnapshot([tmpFile('cut2.kdump', img.subarray(0, descCut))]),
      (e: unknown) =>
        e instanceof DumpError && e.kind === 'truncated' && /inside the page descriptor table/.test(e.message),
    );
    // before any page data: an error
    const dataStart = kdumpDescriptor(img, 0x1000).tableEnd;
    await assert.rejects(
      openVmcoreSnapshot([tmpFile('cut3.kdump', img.subarray(0, dataStart))]),
      (e: unknown) => e instanceof DumpError && e.kind === 'truncated',
    );
    // a page the reader needs (here the page tables) is lost: an error that says the dump is truncated
    const ptCut = kdumpDescriptor(img, 0x1010).offset;
    await assert.rejects(
      openVmcoreSnapshot([tmpFile('cut4.kdump', img.subarray(0, ptCut))]),
      (e: unknown) => e instanceof DumpError && e.kind === 'truncated' && /dump truncated at byte/.test(e.message),
    );
  });

  it('a flattened stream cut short inside the page data opens the same way', async () => {
    const img = writeKdump(pages, vi)[0];
    const flat = flatten(img, 16384, { headerFirst: true });
    const cut = streamPos(kdumpDescriptor(img, 0x2100).offset, 16384);
    const s = await openVmcoreSnapshot([tmpFile('cut.flat', flat.subarray(0, cut))]);
    assert.equal(s.provenance.format, 'kdump-flattened (zlib)');
    assert.equal(runsOf(lostStructPages(ref, s)), '0x4000-0x8000');
    assert.match(
      s.warnings.join('\n'),
      new RegExp(
        `flattened stream cut short at byte ${cut} \\(record \\d+ at stream offset \\d+ needs 16384 bytes, the file ends \\d+ bytes later\\): 256 of \\d+ pages' data lost, from PFN 0x2100, shown as excluded`,
      ),
    );
    // the bitmaps were never written: an error
    await assert.rejects(
      openVmcoreSnapshot([tmpFile('cut2.flat', flat.subarray(0, streamPos(3 * 4096 + 100, 16384)))]),
      (e: unknown) => e instanceof DumpError && e.kind === 'truncated' && /cut short/.test(e.message),
    );
  });
});

describe('ELF page data: truncation (synthetic machine)', () => {
  const img = writeElf(pages, vi);
  let ref: Uint8Array;
  before(async () => {
    ref = (await openVmcoreSnapshot([tmpFile('vmcore.elf', img)])).classes;
  });
  // PT_LOADs: the kernel image (PFNs 0x1000-0x103f, page tables at 0x1010-0x1012) and the memmap (0x2000-0x21ff)
  const dataPages = 0x40 + 0x200;

  it('an ELF truncated inside its page data opens: pages whose data is (partly) cut off read as excluded, a warning says how many and which PFNs', async () => {
    const at = elfPageOffset(img, 0x2100).offset;
    // [cut, first lost memmap page, PFNs whose struct pages it held]
    const cases: [number, number, string][] = [
      [at, 0x2100, '0x4000-0x8000'],
      [at + 100, 0x2100, '0x4000-0x8000'],
      [at - 1, 0x20ff, '0x3fc0-0x8000'],
      [img.length - 1, 0x21ff, '0x7fc0-0x8000'],
    ];
    for (const [cut, from, lostPfns] of cases) {
      const p = tmpFile('cut.elf', img.subarray(0, cut));
      const s = await openVmcoreSnapshot([p]);
      assert.equal(s.provenance.format, 'elf-vmcore');
      assert.equal(runsOf(lostStructPages(ref, s)), lostPfns, `cut at ${cut}`);
      const range = from === 0x21ff ? '0x21ff' : `0x${from.toString(16)}-0x21ff`;
      assert.ok(
        s.warnings.includes(
          `${p}: dump truncated at byte ${cut} of ${img.length} expected: ${0x2200 - from} of ${dataPages} pages' data lost (PFNs ${range}), shown as excluded`,
        ),
        s.warnings.join('\n'),
      );
    }
    // the lost pages are Excluded, never zeros posing as data; the page before the cut is whole
    const d = openDump([tmpFile('cut.elf', img.subarray(0, at + 100))]);
    try {
      assert.equal(d.mem.avail(0x2100), PageAvail.Excluded);
      assert.equal(d.mem.readPage(0x2100), undefined);
      assert.equal(d.mem.avail(0x20ff), PageAvail.Data);
      assert.ok(d.mem.readPage(0x20ff)!.equals(pages.get(0x20ff)!));
      const out = Buffer.alloc(4 * 4096, 0x77),
        av = new Uint8Array(4);
      d.mem.readPagesInto(0x20fe, 4, out, 0, av, 0);
      assert.deepEqual([...av], [PageAvail.Data, PageAvail.Data, PageAvail.Excluded, PageAvail.Excluded]);
      assert.ok(out.subarray(0, 8192).equals(Buffer.concat([pages.get(0x20fe)!, pages.get(0x20ff)!])));
      assert.ok(out.subarray(8192).equals(Buffer.alloc(8192)));
      assert.match(
        d.elf!.dataLoss()!.text,
        /^dump truncated at byte \d+ of \d+ expected: 256 of 576 pages' data lost \(PFNs 0x2100-0x21ff\)$/,
      );
    } finally {
      d.mem.close();
    }
  });

  it('cuts in the ELF header, program headers or notes are errors; so are a cut before any page data and one that takes a page the reader needs', async () => {
    const lay = elfPageOffset(img, 0x1010);
    const cases: [number, RegExp][] = [
      [40, /ELF header is truncated/],
      [lay.phEnd - 1, /program headers/],
      [lay.noteOffset + 20, /PT_NOTE segment/],
      [
        lay.dataStart + 10,
        /no page data is left: dump truncated at byte \d+ of \d+ expected: 576 of 576 pages' data lost/,
      ],
    ];
    for (const [cut, why] of cases) {
      const p = tmpFile('cut.elf', img.subarray(0, cut));
      await assert.rejects(
        openVmcoreSnapshot([p]),
        (e: unknown) => e instanceof DumpError && e.kind === 'truncated' && e.file === p && why.test(e.message),
        `cut at ${cut}`,
      );
    }
    // the page tables (PFN 0x1010-0x1012) are lost
    const p = tmpFile('cut.elf', img.subarray(0, lay.offset + 10));
    const e = await openVmcoreSnapshot([p]).then(
      () => undefined,
      (x: unknown) => x,
    );
    neededPageLostError(
      e,
      p,
      /dump truncated at byte \d+ of \d+ expected: 560 of 576 pages' data lost \(PFNs 0x1010-0x103f, 0x2000-0x21ff\)/,
    );
  });

  it('an ELF in a flattened stream cut short opens the same way: pages no record wrote read as excluded', async () => {
    const at = elfPageOffset(img, 0x2100).offset;
    const flat = flatten(img, 16384, { headerFirst: true });
    const cut = streamPos(at, 16384);
    const p = tmpFile('cut.elfflat', flat.subarray(0, cut));
    const s = await openVmcoreSnapshot([p]);
    assert.equal(s.provenance.format, 'elf-flattened');
    assert.equal(runsOf(lostStructPages(ref, s)), '0x4000-0x8000');
    assert.match(
      s.warnings.join('\n'),
      new RegExp(
        `${p}: flattened stream cut short at byte ${cut} \\(record \\d+ at stream offset \\d+ needs 16384 bytes, the file ends \\d+ bytes later\\): 256 of ${dataPages} pages' data lost \\(PFNs 0x2100-0x21ff\\), shown as excluded`,
      ),
    );
    // a record missing in the middle of a stream without its end marker: those pages, and only those, are lost
    const holeAt = elfPageOffset(img, 0x2080).offset;
    const rec = 4096 + Math.floor((holeAt - 4096) / 16384) * 16384;
    const holey = flatten(img, 16384, { headerFirst: true, omit: (o) => o === rec });
    const p2 = tmpFile('hole.elfflat', holey.subarray(0, holey.length - 16));
    const s2 = await openVmcoreSnapshot([p2]);
    const firstLost = Math.floor((rec - elfPageOffset(img, 0x2000).offset) / 4096) + 0x2000;
    const lastLost = Math.floor((rec + 16384 - 1 - elfPageOffset(img, 0x2000).offset) / 4096) + 0x2000;
    assert.match(
      s2.warnings.join('\n'),
      new RegExp(
        `flattened stream cut short at byte ${holey.length - 16} \\(no end marker after \\d+ records\\): ${lastLost - firstLost + 1} of ${dataPages} pages' data lost \\(PFNs 0x${firstLost.toString(16)}-0x${lastLost.toString(16)}\\), shown as excluded`,
      ),
    );
    assert.equal(
      runsOf(lostStructPages(ref, s2)),
      `0x${((firstLost - 0x2000) * 64).toString(16)}-0x${((lastLost + 1 - 0x2000) * 64).toString(16)}`,
    );
    // the header block comes last (makedumpfile may write it after the data) and the stream is cut short: an error
    const late = flatten(img, 16384);
    const p3 = tmpFile('late.elfflat', late.subarray(0, Math.floor(late.length * 0.6)));
    await assert.rejects(
      openVmcoreSnapshot([p3]),
      (e: unknown) =>
        e instanceof DumpError &&
        e.kind === 'truncated' &&
        /cut short .* neither an ELF nor a kdump header/.test(e.message),
    );
    // like makedumpfile -E -F: blank program headers first, the real ones in a record after the page data
    const ph = elfPageOffset(img, 0x2000);
    const phoff = Number(img.readBigUInt64LE(32));
    const blank = Buffer.from(img).fill(0, phoff, ph.phEnd);
    const body = flatten(blank, 16384, { headerFirst: true });
    const phRec = Buffer.alloc(16);
    phRec.writeBigInt64BE(BigInt(phoff), 0);
    phRec.writeBigInt64BE(BigInt(ph.phEnd - phoff), 8);
    const mdf = Buffer.concat([
      body.subarray(0, body.length - 16),
      phRec,
      img.subarray(phoff, ph.phEnd),
      body.subarray(body.length - 16),
    ]);
    assert.deepEqual((await openVmcoreSnapshot([tmpFile('mdf.elfflat', mdf)])).classes, ref);
    for (const cut of [Math.floor(mdf.length * 0.5), body.length - 16, body.length + 20]) {
      await assert.rejects(
        openVmcoreSnapshot([tmpFile('mdf-cut.elfflat', mdf.subarray(0, cut))]),
        (e: unknown) =>
          e instanceof DumpError &&
          e.kind === 'truncated' &&
          /flattened stream is cut short at byte \d+ \(.*\): (the 3 program headers are blank \(all zero\): makedumpfile writes them after the page data|none of the 3 program headers is a PT_LOAD)/.test(
            e.message,
          ),
        `cut at ${cut}`,
      );
    }
    // the ELF header never written: an error
    const noHdr = flatten(img, 16384, { headerFirst: true, omit: () => false });
    const p4 = tmpFile(
      'nohdr.elfflat',
      Buffer.concat([noHdr.subarray(0, 4096), noHdr.subarray(4096 + 16 + 4096, Math.floor(noHdr.length * 0.5))]),
    );
    await assert.rejects(
      openVmcoreSnapshot([p4]),
      (e: unknown) => e instanceof DumpError && e.kind === 'truncated' && /never written/.test(e.message),
    );
  });
});
