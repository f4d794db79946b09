// Truncated REAL dumps: a lab set's QEMU ELF dump, its flattened kdump and, when `npm run lab:derive` made
// them, the reassembled kdump, the LZO one and the makedumpfile -E ELF, read as if cut at ~20 offsets each
// (inside headers, notes, bitmaps, descriptors, page data) — openDump opens the lab file through a
// FileSource that reports a smaller size, so nothing is copied and the lab files are only read. Each cut
// must give a DumpError naming the file, or a snapshot whose classes equal the full dump's on every PFN
// except ones shown unknown/excluded — never a crash, a hang or a wrong class for a readable PFN.
// Cuts inside the page data: the dump opens with the warning "dump truncated at byte N of M expected: K
// [of T] pages' data lost" (flattened: "cut short") and every PFN whose class changed is excluded because
// its struct page was lost (ELF: or no-memmap) — or, when the cut took a page the reader needs (on a
// one-node guest the page tables, mem_section and the memmap sit at the top of RAM, written last), a
// DumpError saying so. A makedumpfile -F -E stream (blank program headers first, the real ones after the
// page data) cut short is an error that says why. Damaged struct pages inside a real dump (a descriptor past
// the end, data that does not decompress) give excluded PFNs and counted warnings.
import * as assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSets, LabSet } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { CLASS_ID, className } from '../../../kernel/pageClasses';
import { DumpError } from '../../../parsers/dump/errors';
import { dumpFiles, openDump } from '../../../parsers/dump/openDump';
import { FileSource } from '../../../parsers/dump/byteSource';
import { neededPageLostError } from './syntheticDump';
import { X86Paging } from '../../../arch/x86_64/paging';
import { readMemSections } from '../../../parsers/kernelMemory/memSection';
import type { Snapshot } from '../../../memmap/snapshot';

const MISSING_OK = new Set<number>([CLASS_ID.unknown, CLASS_ID.excluded]);

function readAt(path: string, pos: number, len: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(len);
    readSync(fd, b, 0, len, pos);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** Offsets inside the ELF header, program headers, notes, page data (start, quartiles), and the end. */
function elfOffsets(path: string): number[] {
  const size = statSync(path).size;
  const eh = readAt(path, 0, 64);
  const phoff = Number(eh.readBigUInt64LE(32)),
    phentsize = eh.readUInt16LE(54),
    phnum = eh.readUInt16LE(56);
  const ph = readAt(path, phoff, phentsize * phnum);
  let note = 0,
    firstData = size;
  for (let i = 0; i < phnum; i++) {
    const t = ph.readUInt32LE(i * phentsize),
      off = Number(ph.readBigUInt64LE(i * phentsize + 8));
    if (t === 4 && !note) note = off;
    if (t === 1) firstData = Math.min(firstData, off);
  }
  return [
    0,
    10,
    40,
    63,
    phoff + 1,
    phoff + phentsize * phnum - 1,
    note + 8,
    note + 700,
    firstData - 1,
    firstData,
    firstData + 4096 * 3 + 5,
    Math.floor(size * 0.01),
    Math.floor(size * 0.1),
    Math.floor(size / 4),
    Math.floor(size / 2),
    Math.floor(size * 0.75),
    Math.floor(size * 0.9),
    size - 4096 * 64,
    size - 4097,
    size - 1,
  ];
}

/** Offsets in a kdump-compressed (or flattened) file: header, sub-header, notes, bitmaps, descriptors, data. */
function kdumpOffsets(path: string): number[] {
  const size = statSync(path).size;
  const h = readAt(path, 0, 464);
  const out = [0, 8, 100, 430, 4096 + 20];
  if (h.subarray(0, 8).toString('latin1') === 'KDUMP   ') {
    const bs = h.readInt32LE(428),
      sub = h.readInt32LE(432),
      bmBlocks = h.readUInt32LE(436);
    const sh = readAt(path, bs, 104);
    const note = Number(sh.readBigUInt64LE(48));
    const bm = (1 + sub) * bs,
      desc = bm + bmBlocks * bs;
    out.push(
      note + 10,
      note + 2000,
      bm + 10,
      bm + (bmBlocks * bs) / 2 + 100,
      bm + bmBlocks * bs - 1,
      desc + 24 * 10 + 5,
      desc + 24 * 100000,
    );
  } else {
    out.push(4096 + 16 + 3, 8192, 65536 + 7);
  }
  for (const f of [0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.999]) out.push(Math.floor(size * f));
  out.push(size - 1);
  return [...new Set(out.filter((o) => o >= 0 && o < size))].sort((a, b) => a - b);
}

/** Runs fn while openDump reads `file` as if it ended at byte len (no copy; the lab file is only read). */
async function asCut<T>(file: string, len: number, fn: () => Promise<T>): Promise<T> {
  const orig = dumpFiles.open;
  dumpFiles.open = (p) => (p === file ? new FileSource(p, { size: len }) : orig(p));
  try {
    return await fn();
  } finally {
    dumpFiles.open = orig;
  }
}

/** An ELF dump's PT_LOADs, the size its program headers promise, and its pages of file data. */
function elfLayout(path: string): { loads: { offset: number; filesz: number }[]; expected: number; dataPages: number } {
  const eh = readAt(path, 0, 64);
  const phoff = Number(eh.readBigUInt64LE(32)),
    phentsize = eh.readUInt16LE(54),
    phnum = eh.readUInt16LE(56);
  const ph = readAt(path, phoff, phentsize * phnum);
  const loads: { offset: number; filesz: number }[] = [];
  let expected = 0;
  for (let i = 0; i < phnum; i++) {
    const t = ph.readUInt32LE(i * phentsize),
      offset = Number(ph.readBigUInt64LE(i * phentsize + 8)),
      filesz = Number(ph.readBigUInt64LE(i * phentsize + 32));
    if (t === 1 || t === 4) expected = Math.max(expected, offset + filesz);
    if (t === 1 && filesz > 0) loads.push({ offset, filesz });
  }
  return { loads, expected, dataPages: loads.reduce((a, l) => a + Math.ceil(l.filesz / 4096), 0) };
}

async function check(full: Snapshot, path: string, cut: number): Promise<string> {
  let snap: Snapshot;
  try {
    snap = await asCut(path, cut, () => openVmcoreSnapshot([path]));
  } catch (e) {
    assert.ok(e instanceof DumpError, `not a DumpError: ${(e as Error)?.stack ?? e}`);
    assert.equal(e.file, path, 'the DumpError names the truncated file');
    return `DumpError(${e.kind})`;
  }
  let missing = 0;
  const wrong: string[] = [];
  for (let pfn = 0; pfn < full.endPfn; pfn++) {
    const a = pfn < snap.endPfn ? snap.classes[pfn] : CLASS_ID.excluded;
    if (a === full.classes[pfn]) continue;
    if (MISSING_OK.has(a)) {
      missing++;
      continue;
    }
    if (wrong.length < 5)
      wrong.push(`0x${pfn.toString(16)}: ${className(a)} instead of ${className(full.classes[pfn])}`);
  }
  assert.deepEqual(wrong, [], `${path}: readable PFNs with a different class`);
  return `snapshot (${missing} PFNs unknown/excluded)`;
}

/** A plain kdump file's dumpable PFNs (bitmap2 order) with each one's descriptor position and data offset. */
function kdumpLayout(path: string): { pfns: number[]; descPos: number[]; offset: number[]; tableEnd: number } {
  const h = readAt(path, 0, 464);
  const bs = h.readInt32LE(428),
    sub = h.readInt32LE(432),
    bmBlocks = h.readUInt32LE(436);
  const half = (bmBlocks / 2) * bs;
  const bm2 = readAt(path, (1 + sub) * bs + half, half);
  const pfns: number[] = [];
  for (let b = 0; b < half; b++) {
    const v = bm2[b];
    if (v) for (let i = 0; i < 8; i++) if (v & (1 << i)) pfns.push(b * 8 + i);
  }
  const table = (1 + sub + bmBlocks) * bs;
  const d = readAt(path, table, pfns.length * 24);
  return {
    pfns,
    descPos: pfns.map((_, i) => table + i * 24),
    offset: pfns.map((_, i) => Number(d.readBigInt64LE(i * 24))),
    tableEnd: table + pfns.length * 24,
  };
}

/**
 * A cut inside the page data: either a snapshot with the loss warning whose changed PFNs are all excluded
 * (struct page lost; ELF: or no-memmap) — returns how many — or a DumpError that says what the dump lost
 * ('truncated').
 */
async function checkDataCut(full: Snapshot, path: string, cut: number, warning: RegExp, elf = false): Promise<string> {
  let snap: Snapshot;
  try {
    snap = await asCut(path, cut, () => openVmcoreSnapshot([path]));
  } catch (e) {
    neededPageLostError(e, path, warning);
    return `DumpError(truncated): ${(e as DumpError).problem.replace(/;.*/, '')}`;
  }
  const w = snap.warnings.find((x) => warning.test(x));
  assert.ok(w, `no loss warning among:\n${snap.warnings.join('\n')}`);
  const changed: number[] = [];
  let noMemmap = 0;
  for (let pfn = 0; pfn < full.endPfn; pfn++) {
    const a = pfn < snap.endPfn ? snap.classes[pfn] : CLASS_ID['no-memmap'];
    if (a === full.classes[pfn]) continue;
    if (elf && a === CLASS_ID['no-memmap']) {
      noMemmap++;
      continue;
    }
    assert.equal(
      className(a),
      'excluded',
      `PFN 0x${pfn.toString(16)}: ${className(a)} instead of ${className(full.classes[pfn])} — not explained by a lost struct page`,
    );
    changed.push(pfn);
  }
  for (const pfn of changed.filter((_, i) => i % 997 === 0))
    assert.equal(snap.pageDetail!(pfn)!.rule, 'memmap-excluded');
  return `snapshot, ${changed.length} PFNs excluded (struct page lost)${elf ? `, ${noMemmap} no-memmap` : ''}; ${w!.replace(/^.*?: /, '')}`;
}

// a 6.1 set (CI's), else a set with derived dumps (the opt-in 5.10/7.3 sets come first by name and may have none)
const set: LabSet | undefined =
  findSets({ kernel: '6.1' }).find((s) => !process.env.KMEMMAP_SET || s.name === process.env.KMEMMAP_SET) ??
  findSets().find((s) => existsSync(join(s.dir, 'derived', 'vmcore.kdump.raw'))) ??
  findSets()[0];

describe('truncated real lab dumps', function () {
  this.timeout(1_200_000);
  if (!set) {
    it.skip('no lab sets under ~/.cache/kmemmap-lab/sets (npm run lab)', () => undefined);
    return;
  }
  const raw = join(set.dir, 'derived', 'vmcore.kdump.raw');
  const inputs: [string, string, (p: string) => number[]][] = [
    ['ELF', set.elf, elfOffsets],
    ['flattened kdump', set.kdump, kdumpOffsets],
  ];
  if (existsSync(raw)) inputs.push(['reassembled kdump', raw, kdumpOffsets]);
  for (const [label, file, offsets] of inputs) {
    it(`${set.name} ${label}: DumpError or correct classes at every cut`, async () => {
      const full = await openVmcoreSnapshot([file]);
      const results: string[] = [];
      for (const off of offsets(file)) results.push(`${off}: ${await check(full, file, off)}`);
      console.log(`      ${label} cuts:\n        ${results.join('\n        ')}`);
      assert.ok(results.length >= 15);
    });
  }
  if (!existsSync(raw))
    it.skip(`${set.name} reassembled kdump: run npm run lab:derive to make ${raw}`, () => undefined);

  // Cuts inside the page data. Plain kdump files: at the data of the last dumpable PFNs (ROM and the top
  // of RAM) and at quantiles of the page data; flattened: near the end of the stream and at quantiles.
  const lzo = join(set.dir, 'derived', 'dump-l-d31.kdump');
  const plain = [raw, lzo].filter((p) => existsSync(p));
  for (const file of plain) {
    it(`${set.name} ${file.split('/').pop()} cut inside its page data: opens with the warning, or a truncated error saying what was lost`, async () => {
      const full = await openVmcoreSnapshot([file]);
      const { pfns, offset, tableEnd: dataStart } = kdumpLayout(file);
      const size = statSync(file).size;
      const cuts = new Set<number>();
      // inside the data of the last PFNs that have data of their own (not the shared zero page at the start)
      const own = offset
        .filter((o) => o > dataStart + 8192)
        .slice(-60)
        .reverse();
      for (const k of [1, 2, 5, 20, 60]) if (own[k - 1]) cuts.add(own[k - 1] + 1);
      for (const f of [0.02, 0.5, 0.97, 0.999]) cuts.add(Math.floor(dataStart + (size - dataStart) * f));
      const results: string[] = [];
      let opened = 0;
      for (const off of [...cuts].filter((o) => o > dataStart && o < size).sort((a, b) => a - b)) {
        const r = await checkDataCut(
          full,
          file,
          off,
          new RegExp(`dump truncated at byte ${off} of ${size} expected: \\d+ of ${pfns.length} pages' data lost`),
        );
        if (r.startsWith('snapshot')) opened++;
        results.push(`${off}: ${r}`);
      }
      console.log(`      page-data cuts:\n        ${results.join('\n        ')}`);
      assert.ok(opened >= 3, `${opened} cuts opened`);
    });
  }
  it(`${set.name} flattened kdump cut inside its page data: opens with the warning, or a truncated error saying what was lost`, async () => {
    const full = await openVmcoreSnapshot([set.kdump]);
    const size = statSync(set.kdump).size;
    const results: string[] = [];
    let opened = 0;
    for (const off of [
      Math.floor(size * 0.3),
      Math.floor(size * 0.9),
      size - 200000,
      size - 40000,
      size - 5000,
      size - 100,
    ]) {
      const r = await checkDataCut(
        full,
        set.kdump,
        off,
        new RegExp(`flattened stream cut short at byte ${off} \\(.*\\): \\d+ of \\d+ pages' data lost`),
      );
      if (r.startsWith('snapshot')) opened++;
      results.push(`${off}: ${r}`);
    }
    console.log(`      flattened page-data cuts:\n        ${results.join('\n        ')}`);
    assert.ok(opened >= 2, `${opened} cuts opened`);
  });

  // ELF cuts inside the page data: in the middle and near the end of every PT_LOAD's data, and the last
  // 64, 1024 and 4096 pages of the largest (RAM).
  const elfE = join(set.dir, 'derived', 'dump-E-d31.elf');
  for (const file of [set.elf, elfE].filter((p) => existsSync(p))) {
    it(`${set.name} ${file.split('/').pop()} cut inside its page data: opens with the warning, or an error saying what was lost`, async () => {
      const full = await openVmcoreSnapshot([file]);
      const { loads, expected, dataPages } = elfLayout(file);
      const cuts = new Set<number>();
      for (const l of loads)
        for (const c of [
          l.offset + Math.floor(l.filesz / 2) + 1,
          l.offset + l.filesz - 4096 * 5 - 7,
          l.offset + l.filesz - 1,
        ])
          if (c > l.offset) cuts.add(c);
      const big = loads.reduce((a, b) => (b.filesz > a.filesz ? b : a));
      for (const k of [64, 1024, 4096]) if (big.filesz > k * 4096) cuts.add(big.offset + big.filesz - k * 4096);
      const results: string[] = [];
      let opened = 0;
      for (const off of [...cuts].sort((a, b) => a - b)) {
        const r = await checkDataCut(
          full,
          file,
          off,
          new RegExp(
            `dump truncated at byte ${off} of ${expected} expected: \\d+ of ${dataPages} pages' data lost \\(PFNs 0x[0-9a-f]+`,
          ),
          true,
        );
        if (r.startsWith('snapshot')) opened++;
        results.push(`${off}: ${r}`);
      }
      console.log(`      ELF page-data cuts:\n        ${results.join('\n        ')}`);
      assert.ok(opened >= 3, `${opened} cuts opened`);
    });
  }
  if (!existsSync(elfE)) it.skip(`${set.name} dump-E-d31.elf: run npm run lab:derive to make ${elfE}`, () => undefined);

  // makedumpfile -F -E writes blank program headers first and the real ones after the page data: a stream
  // cut short before them is an error that says so; cut after them, it opens with the loss warning.
  const mdf = spawnSync('makedumpfile', ['-v'], { stdio: 'ignore' }).status === 0;
  (existsSync(elfE) && mdf ? it : it.skip)(
    `${set.name} makedumpfile -F -E stream of dump-E-d31.elf cut short: blank program headers are a truncated error, later cuts open with the warning`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kmemmap-flatelf-'));
      try {
        const flat = join(dir, 'E-d31.flat');
        const fd = openSync(flat, 'w');
        try {
          const r = spawnSync('makedumpfile', ['-F', '-E', '-d', '31', elfE], { stdio: ['ignore', fd, 'pipe'] });
          assert.equal(r.status, 0, r.stderr?.toString());
        } finally {
          closeSync(fd);
        }
        const ref = await openVmcoreSnapshot([elfE]);
        const full = await openVmcoreSnapshot([flat]);
        assert.equal(full.provenance.format, 'elf-flattened');
        assert.deepEqual(full.classes, ref.classes);
        // the stream's records: where the final program headers (offset 64) are written
        const size = statSync(flat).size;
        const recs: { pos: number; off: number; len: number }[] = [];
        for (let pos = 4096; pos + 16 <= size;) {
          const h = readAt(flat, pos, 16);
          const off = Number(h.readBigInt64BE(0)),
            len = Number(h.readBigInt64BE(8));
          if (off === -1) break;
          recs.push({ pos, off, len });
          pos += 16 + len;
        }
        const phRec = recs.filter((r) => r.off === 64).pop()!;
        assert.ok(phRec.pos > size / 2, 'makedumpfile wrote the program headers after the page data');
        const results: string[] = [];
        for (const off of [Math.floor(size * 0.3), Math.floor(size * 0.9), phRec.pos, phRec.pos + 16 + 40]) {
          await assert.rejects(
            asCut(flat, off, () => openVmcoreSnapshot([flat])),
            (e: unknown) => {
              assert.ok(e instanceof DumpError && e.kind === 'truncated', String(e));
              assert.match(
                e.message,
                new RegExp(
                  `flattened stream is cut short at byte ${off} \\(.*\\): (the \\d+ program headers are blank \\(all zero\\): makedumpfile writes them after the page data|none of the \\d+ program headers is a PT_LOAD)`,
                ),
              );
              results.push(
                `${off}: DumpError(truncated): ${e.problem.replace(/^flattened stream is cut short at byte \d+ \(.*?\): /, '')}`,
              );
              return true;
            },
          );
        }
        let opened = 0;
        // (size - 17: the last byte of page data; size - 1 cuts only the end marker, so nothing is lost)
        for (const off of [phRec.pos + 16 + phRec.len, size - 4000, size - 17]) {
          const r = await checkDataCut(
            full,
            flat,
            off,
            new RegExp(
              `flattened stream cut short at byte ${off} \\(.*\\): \\d+ of \\d+ pages' data lost \\(PFNs 0x[0-9a-f]+`,
            ),
            true,
          );
          if (r.startsWith('snapshot')) opened++;
          results.push(`${off}: ${r}`);
        }
        results.push(`${size - 1}: ${await check(full, flat, size - 1)}`);
        console.log(
          `      makedumpfile -F -E cuts (${size} bytes, ${recs.length} records):\n        ${results.join('\n        ')}`,
        );
        assert.ok(opened >= 2, `${opened} cuts opened`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  (existsSync(raw) ? it : it.skip)(
    `${set.name} reassembled kdump with two damaged struct pages: those 128 PFNs excluded, two counted warnings`,
    async () => {
      const full = await openVmcoreSnapshot([raw]);
      // the physical pages holding the struct pages of two PFNs
      const dump = openDump([raw]);
      let victims: number[];
      try {
        const vm = new X86Paging(dump.mem, dump.vmcoreinfo);
        const table = readMemSections(dump.vmcoreinfo, vm, 4096);
        victims = [0x1000, 0x20000].map((pfn) =>
          Math.floor(vm.translate(table.vmemmapBase + BigInt(pfn) * 64n)!.pa / 4096),
        );
      } finally {
        dump.mem.close();
      }
      const dir = mkdtempSync(join(tmpdir(), 'kmemmap-damage-'));
      try {
        const p = join(dir, 'damaged.kdump');
        execFileSync('cp', ['--sparse=always', raw, p]);
        const fd = openSync(p, 'r+');
        try {
          const lay = kdumpLayout(p);
          const b = Buffer.alloc(8);
          b.writeBigInt64LE(BigInt(statSync(p).size + 8192));
          writeSync(fd, b, 0, 8, lay.descPos[lay.pfns.indexOf(victims[0])]);
          writeSync(fd, Buffer.alloc(32, 0xff), 0, 32, lay.offset[lay.pfns.indexOf(victims[1])]);
        } finally {
          closeSync(fd);
        }
        const s = await openVmcoreSnapshot([p]);
        const changed: number[] = [];
        for (let pfn = 0; pfn < full.endPfn; pfn++) if (s.classes[pfn] !== full.classes[pfn]) changed.push(pfn);
        assert.deepEqual([changed.length, changed[0], changed[64]], [128, 0x1000, 0x20000]);
        for (const pfn of changed) assert.equal(className(s.classes[pfn]), 'excluded');
        const w = s.warnings.join('\n');
        assert.match(
          w,
          new RegExp(
            `1 page's data lies beyond the end of the file \\(\\d+ bytes\\) \\(first PFN 0x${victims[0].toString(16)}: `,
          ),
        );
        assert.match(w, new RegExp(`1 page's data does not decompress \\(first PFN 0x${victims[1].toString(16)}: `));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
