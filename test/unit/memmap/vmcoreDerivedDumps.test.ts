// makedumpfile-derived dumps (npm run lab:derive → <set>/derived/): every variant opens with our reader
// and gives the QEMU ELF dump's class on every PFN whose struct page survived the filtering; PFNs whose
// struct page was filtered out are `excluded` (checked against the dump's own bitmap); a split set in
// any order equals the whole; the LZO dumps (-l) give the zlib (-c) dumps' classes on every PFN and the
// same bytes on every page. Skipped, saying how to make them, when no set has derived dumps (they are
// not made in every CI run).
import * as assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { CI_DERIVE_SETS, listSets, LabSet, missingCiSets } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { CLASS_ID, className } from '../../../kernel/pageClasses';
import { DumpError } from '../../../parsers/dump/errors';
import { lzoStats } from '../../../parsers/dump/codecs';
import { openDump } from '../../../parsers/dump/openDump';
import { PageAvail } from '../../../parsers/dump/physmem';
import { X86Paging } from '../../../arch/x86_64/paging';
import { readMemSections } from '../../../parsers/kernelMemory/memSection';
import { VmcoreMemmap } from '../../../memmap/vmcoreMemmap';
import type { Snapshot } from '../../../memmap/snapshot';

const sets = listSets().filter(
  (s) => existsSync(join(s.dir, 'derived')) && (!process.env.KMEMMAP_SET || s.name === process.env.KMEMMAP_SET),
);

/** Variants that must read (file name → whether makedumpfile filtered it). */
const READABLE: [string, boolean][] = [
  ['vmcore.kdump.raw', false],
  ['dump-c-d0.kdump', false],
  ['dump-c-d31.kdump', true],
  ['dump-p-d31.kdump', true],
  ['dump-z-d31.kdump', true],
  ['dump-E-d31.elf', true],
];
/** LZO dump → the zlib dump makedumpfile made from the same input with the same dump level. */
const LZO: [string, string][] = [
  ['dump-l-d0.kdump', 'dump-c-d0.kdump'],
  ['dump-l-d31.kdump', 'dump-c-d31.kdump'],
];
const SPLIT = ['dump-split3.1', 'dump-split3.2', 'dump-split3.3'];

const OFFLINE_KINDS = new Set([
  CLASS_ID['offline-movable'],
  CLASS_ID['offline-unmovable'],
  CLASS_ID['offline-skippable'],
]);

/**
 * Compares classes; returns the number of PFNs shown excluded (each checked to be a filtered struct page).
 * A filtered dump may lose what tells the PageOffline kinds apart (the iomem_resource nodes of the
 * virtio-mem device live in slab pages -d 31 drops): such pages may be `offline` (kind unknown) when the
 * dump warns why — never another kind.
 */
function compareToQemu(base: Snapshot, d: Snapshot, files: string[]): number {
  const wrong: string[] = [];
  const excluded: number[] = [];
  const n = Math.min(base.endPfn, d.endPfn);
  const kindUnknownWarned = d.warnings.some((w) => w.includes('offline (kind unknown)'));
  for (let pfn = 0; pfn < n; pfn++) {
    if (d.classes[pfn] === base.classes[pfn]) continue;
    if (d.classes[pfn] === CLASS_ID.excluded) {
      excluded.push(pfn);
      continue;
    }
    if (kindUnknownWarned && d.classes[pfn] === CLASS_ID.offline && OFFLINE_KINDS.has(base.classes[pfn])) continue;
    if (wrong.length < 5)
      wrong.push(`0x${pfn.toString(16)}: ${className(d.classes[pfn])}, QEMU dump ${className(base.classes[pfn])}`);
  }
  assert.deepEqual(wrong, [], `${files.join(' ')}: classes differ from the QEMU dump`);
  // the QEMU ELF also describes the PCI hole up to 4 GiB; beyond the derived dump's max_mapnr nothing has a memmap
  for (let pfn = n; pfn < base.endPfn; pfn++)
    assert.equal(
      base.classes[pfn],
      CLASS_ID['no-memmap'],
      `PFN 0x${pfn.toString(16)} beyond ${files[0]}'s max_mapnr has a memmap in the QEMU dump`,
    );
  if (excluded.length) {
    // excluded must mean: the page holding the struct page is not in the derived dump
    const dump = openDump(files);
    try {
      const vm = new X86Paging(dump.mem, dump.vmcoreinfo);
      const mm = new VmcoreMemmap(dump.mem, vm, readMemSections(dump.vmcoreinfo, vm, 4096), 64);
      for (const pfn of excluded.slice(0, 2000))
        assert.equal(
          mm.structPageView(pfn),
          'excluded',
          `PFN 0x${pfn.toString(16)} shown excluded but its struct page is in the dump`,
        );
    } finally {
      dump.mem.close();
    }
  }
  return excluded.length;
}

/** A plain kdump file's header status and the set of its page descriptors' flags (read from the file). */
function compressionFlags(file: string): { status: number; flags: Set<number> } {
  const fd = openSync(file, 'r');
  try {
    const rd = (pos: number, len: number) => {
      const b = Buffer.alloc(len);
      readSync(fd, b, 0, len, pos);
      return b;
    };
    const h = rd(0, 464);
    const bs = h.readInt32LE(428),
      sub = h.readInt32LE(432),
      bm = h.readUInt32LE(436);
    const bm2 = rd((1 + sub) * bs + (bm / 2) * bs, (bm / 2) * bs);
    let n = 0;
    for (const v of bm2) for (let x = v; x; x &= x - 1) n++;
    const d = rd((1 + sub + bm) * bs, n * 24);
    const flags = new Set<number>();
    for (let i = 0; i < n; i++) flags.add(d.readUInt32LE(i * 24 + 12));
    return { status: h.readUInt32LE(424), flags };
  } finally {
    closeSync(fd);
  }
}

const COMPRESSION_BITS: Record<string, number> = { zlib: 0x1, lzo: 0x2, snappy: 0x4, zstd: 0x20, none: 0 };

function filteredPages(file: string): number {
  const dump = openDump([file]);
  try {
    let n = 0;
    for (let pfn = 0; pfn < dump.mem.maxPfn; pfn++) {
      const a = dump.mem.avail(pfn);
      if (a === PageAvail.Excluded || a === PageAvail.ZeroFill) n++;
    }
    return n;
  } finally {
    dump.mem.close();
  }
}

describe('makedumpfile-derived dumps of lab sets', function () {
  this.timeout(600000);
  // the sets CI derives dumps of (scripts/test-all.sh DERIVE_SETS) must have them
  for (const m of missingCiSets(CI_DERIVE_SETS)) it(`${m.name}: present`, () => assert.fail(m.reason));
  if (!process.env.KMEMMAP_SET)
    for (const name of CI_DERIVE_SETS.filter(
      (n) => listSets().some((s) => s.name === n) && !sets.some((s) => s.name === n),
    ))
      it(`${name}: derived dumps present`, () =>
        assert.fail(`no derived/ in the CI set ${name}: node out/lab/derive-dumps.js --sets ${name}`));
  if (sets.length === 0) {
    it.skip('no derived dumps: run `npm run lab:derive` (needs makedumpfile and lab sets) to make <set>/derived/', () =>
      undefined);
    return;
  }
  for (const set of sets as LabSet[]) {
    const dir = join(set.dir, 'derived');
    const f = (name: string) => join(dir, name);
    let base: Snapshot;
    before(async () => {
      base = await openVmcoreSnapshot([set.elf]);
    });

    for (const [name, filtered] of READABLE) {
      const test = existsSync(f(name)) ? it : it.skip;
      test(`${set.name} ${name}: classes equal the QEMU dump's${filtered ? ' where struct pages survived' : ''}`, async () => {
        const d = await openVmcoreSnapshot([f(name)]);
        const excluded = compareToQemu(base, d, [f(name)]);
        const dropped = filteredPages(f(name));
        console.log(
          `      ${name}: ${d.provenance.format}, ${dropped} pages filtered by makedumpfile, ${excluded} PFNs excluded (struct page filtered)`,
        );
        if (filtered) assert.ok(dropped > 0, 'makedumpfile -d 31 filtered pages');
        else assert.equal(excluded, 0, 'an unfiltered dump keeps every struct page');
        // the compression we report is what the header and every page descriptor say. (Debian's
        // makedumpfile 1.7.2 is built without snappy and zstd: -p and -z write raw pages, status 0 and
        // every descriptor flag 0, so "none" is the truth for those two.)
        const m = /^kdump \((\w+)\)$/.exec(d.provenance.format);
        if (m) {
          const { status, flags } = compressionFlags(f(name));
          assert.equal(
            COMPRESSION_BITS[m[1]],
            status & 0x27,
            `reported ${m[1]}, header status 0x${status.toString(16)}`,
          );
          assert.deepEqual(
            [...flags].filter((x) => x !== 0 && x !== (status & 0x27)),
            [],
            `descriptor flags ${[...flags].join(',')}`,
          );
          if (/^dump-[pz]-/.test(name)) assert.deepEqual([m[1], [...flags]], ['none', [0]]);
        }
      });
    }

    for (const [name, zlibName] of LZO) {
      const test = existsSync(f(name)) && existsSync(f(zlibName)) ? it : it.skip;
      test(`${set.name} ${name}: same classes as ${zlibName} on every PFN, same bytes on every page`, async () => {
        const l = await openVmcoreSnapshot([f(name)]);
        const c = await openVmcoreSnapshot([f(zlibName)]);
        assert.match(l.provenance.format, /\(lzo\)/);
        assert.ok(lzoStats().instances > 0, 'the LZO decoder was loaded');
        assert.equal(l.endPfn, c.endPfn);
        const diff: string[] = [];
        for (let pfn = 0; pfn < c.endPfn && diff.length < 5; pfn++) {
          if (l.classes[pfn] !== c.classes[pfn])
            diff.push(`0x${pfn.toString(16)}: ${className(l.classes[pfn])}, zlib ${className(c.classes[pfn])}`);
        }
        assert.deepEqual(diff, [], 'classes of the LZO and the zlib dump differ');
        assert.deepEqual(l.counts, c.counts);
        assert.ok(
          l.warnings.every((w) => !/lost|decompress/.test(w)),
          l.warnings.join('\n'),
        );
        // every page: the decoder's output equals zlib's (bulk reads of 512 PFNs)
        const dl = openDump([f(name)]),
          dc = openDump([f(zlibName)]);
        try {
          const N = 512,
            bl = Buffer.alloc(N * 4096),
            bc = Buffer.alloc(N * 4096),
            al = new Uint8Array(N),
            ac = new Uint8Array(N);
          let pages = 0;
          for (let pfn = 0; pfn < dc.mem.maxPfn; pfn += N) {
            const n = Math.min(N, dc.mem.maxPfn - pfn);
            dl.mem.readPagesInto(pfn, n, bl, 0, al, 0);
            dc.mem.readPagesInto(pfn, n, bc, 0, ac, 0);
            assert.deepEqual(
              al.subarray(0, n),
              ac.subarray(0, n),
              `availability differs in PFNs 0x${pfn.toString(16)}+${n}`,
            );
            if (!bl.subarray(0, n * 4096).equals(bc.subarray(0, n * 4096))) {
              const k = [...Array(n).keys()].find(
                (i) => !bl.subarray(i * 4096, (i + 1) * 4096).equals(bc.subarray(i * 4096, (i + 1) * 4096)),
              )!;
              assert.fail(`page 0x${(pfn + k).toString(16)} decodes differently from LZO and zlib`);
            }
            for (let i = 0; i < n; i++) if (al[i] === PageAvail.Data) pages++;
          }
          console.log(`      ${name}: ${pages} pages equal to ${zlibName}'s, ${c.endPfn} PFNs' classes equal`);
          assert.equal(lzoStats().unprobed, 0, 'the LZO short-output check ran on every page');
          assert.ok(pages > 1000);
        } finally {
          dl.mem.close();
          dc.mem.close();
        }
      });
    }

    const haveSplit = SPLIT.every((s) => existsSync(f(s)));
    (haveSplit && existsSync(f('dump-c-d31.kdump')) ? it : it.skip)(
      `${set.name} split into 3: any order equals the whole -c -d 31 dump`,
      async () => {
        const whole = await openVmcoreSnapshot([f('dump-c-d31.kdump')]);
        for (const order of [
          [0, 1, 2],
          [2, 0, 1],
          [1, 2, 0],
          [2, 1, 0],
        ]) {
          const files = order.map((i) => f(SPLIT[i]));
          const s = await openVmcoreSnapshot(files);
          assert.equal(s.endPfn, whole.endPfn);
          assert.ok(
            Buffer.from(s.classes).equals(Buffer.from(whole.classes)),
            `split order ${order.join(',')} differs from the whole dump`,
          );
          compareToQemu(base, s, files);
        }
        // an incomplete set says which PFNs are missing. (makedumpfile 1.7.2 gave the lab's 1 GiB guests all
        // PFNs to the first file and empty ranges to the others, so leave out the first.)
        await assert.rejects(
          openVmcoreSnapshot([f(SPLIT[1]), f(SPLIT[2])]),
          (e: unknown) => e instanceof DumpError && e.kind === 'inconsistent-set' && /incomplete/.test(e.message),
        );
      },
    );
  }
});
