// Truncated REAL dumps: a prefix copy (in a temp dir; the lab files are never touched) of a lab set's
// QEMU ELF dump, its flattened kdump and, when `npm run lab:derive` made them, the reassembled kdump and
// the LZO one, cut at ~20 offsets each (inside headers, notes, bitmaps, descriptors, page data). Each
// must give a DumpError naming the truncated file, or a snapshot whose classes equal the full dump's on
// every PFN except ones shown unknown/excluded — never a crash, a hang or a wrong class for a readable PFN.
// Cuts inside the page data of a kdump (plain or flattened): the dump opens with the warning "dump
// truncated at byte N of M expected: K pages' data lost" (flattened: "cut short") and every PFN whose
// class changed is excluded because its struct page was lost — or, when the cut took a page the reader
// needs (on a one-node guest the page tables, mem_section and the memmap sit at the top of RAM, written
// last), a 'truncated' DumpError saying what the dump lost. Damaged struct pages inside a real dump (a
// descriptor past the end, data that does not decompress) give excluded PFNs and counted warnings.
import * as assert from 'node:assert/strict';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSets, LabSet } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { CLASS_ID, className } from '../../../memmap/classes';
import { DumpError } from '../../../parsers/dump/errors';
import { openDump } from '../../../parsers/dump/openDump';
import { X86Paging } from '../../../parsers/x86_64/paging';
import { readMemSections } from '../../../parsers/x86_64/memSection';
import type { Snapshot } from '../../../memmap/snapshot';

const MISSING_OK = new Set<number>([CLASS_ID.unknown, CLASS_ID.excluded]);

function readAt(path: string, pos: number, len: number): Buffer {
  const fd = openSync(path, 'r');
  try { const b = Buffer.alloc(len); readSync(fd, b, 0, len, pos); return b; } finally { closeSync(fd); }
}

/** Offsets inside the ELF header, program headers, notes, page data (start, quartiles), and the end. */
function elfOffsets(path: string): number[] {
  const size = statSync(path).size;
  const eh = readAt(path, 0, 64);
  const phoff = Number(eh.readBigUInt64LE(32)), phentsize = eh.readUInt16LE(54), phnum = eh.readUInt16LE(56);
  const ph = readAt(path, phoff, phentsize * phnum);
  let note = 0, firstData = size;
  for (let i = 0; i < phnum; i++) {
    const t = ph.readUInt32LE(i * phentsize), off = Number(ph.readBigUInt64LE(i * phentsize + 8));
    if (t === 4 && !note) note = off;
    if (t === 1) firstData = Math.min(firstData, off);
  }
  return [0, 10, 40, 63, phoff + 1, phoff + phentsize * phnum - 1, note + 8, note + 700, firstData - 1, firstData, firstData + 4096 * 3 + 5,
    Math.floor(size * 0.01), Math.floor(size * 0.1), Math.floor(size / 4), Math.floor(size / 2), Math.floor(size * 0.75),
    Math.floor(size * 0.9), size - 4096 * 64, size - 4097, size - 1];
}

/** Offsets in a kdump-compressed (or flattened) file: header, sub-header, notes, bitmaps, descriptors, data. */
function kdumpOffsets(path: string): number[] {
  const size = statSync(path).size;
  const h = readAt(path, 0, 464);
  const out = [0, 8, 100, 430, 4096 + 20];
  if (h.subarray(0, 8).toString('latin1') === 'KDUMP   ') {
    const bs = h.readInt32LE(428), sub = h.readInt32LE(432), bmBlocks = h.readUInt32LE(436);
    const sh = readAt(path, bs, 104);
    const note = Number(sh.readBigUInt64LE(48));
    const bm = (1 + sub) * bs, desc = bm + bmBlocks * bs;
    out.push(note + 10, note + 2000, bm + 10, bm + (bmBlocks * bs) / 2 + 100, bm + bmBlocks * bs - 1, desc + 24 * 10 + 5, desc + 24 * 100000);
  } else {
    out.push(4096 + 16 + 3, 8192, 65536 + 7);
  }
  for (const f of [0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.999]) out.push(Math.floor(size * f));
  out.push(size - 1);
  return [...new Set(out.filter((o) => o >= 0 && o < size))].sort((a, b) => a - b);
}

/** A prefix copy: whole copy (sparse) then truncate — the original is only read. */
function prefixCopy(src: string, dir: string, len: number): string {
  const dst = join(dir, `prefix-${len}`);
  try { execFileSync('cp', ['--sparse=always', src, dst]); } catch { copyFileSync(src, dst); }
  truncateSync(dst, len);
  return dst;
}

async function check(full: Snapshot, path: string): Promise<string> {
  let snap: Snapshot;
  try {
    snap = await openVmcoreSnapshot([path]);
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
    if (MISSING_OK.has(a)) { missing++; continue; }
    if (wrong.length < 5) wrong.push(`0x${pfn.toString(16)}: ${className(a)} instead of ${className(full.classes[pfn])}`);
  }
  assert.deepEqual(wrong, [], `${path}: readable PFNs with a different class`);
  return `snapshot (${missing} PFNs unknown/excluded)`;
}

/** A plain kdump file's dumpable PFNs (bitmap2 order) with each one's descriptor position and data offset. */
function kdumpLayout(path: string): { pfns: number[]; descPos: number[]; offset: number[]; tableEnd: number } {
  const h = readAt(path, 0, 464);
  const bs = h.readInt32LE(428), sub = h.readInt32LE(432), bmBlocks = h.readUInt32LE(436);
  const half = (bmBlocks / 2) * bs;
  const bm2 = readAt(path, (1 + sub) * bs + half, half);
  const pfns: number[] = [];
  for (let b = 0; b < half; b++) { const v = bm2[b]; if (v) for (let i = 0; i < 8; i++) if (v & (1 << i)) pfns.push(b * 8 + i); }
  const table = (1 + sub + bmBlocks) * bs;
  const d = readAt(path, table, pfns.length * 24);
  return { pfns, descPos: pfns.map((_, i) => table + i * 24), offset: pfns.map((_, i) => Number(d.readBigInt64LE(i * 24))), tableEnd: table + pfns.length * 24 };
}

/**
 * A cut inside the page data: either a snapshot with the loss warning whose changed PFNs are all excluded
 * (struct page lost) — returns how many — or a 'truncated' DumpError that says what the dump lost.
 */
async function checkDataCut(full: Snapshot, path: string, warning: RegExp): Promise<string> {
  let snap: Snapshot;
  try {
    snap = await openVmcoreSnapshot([path]);
  } catch (e) {
    assert.ok(e instanceof DumpError, `not a DumpError: ${(e as Error)?.stack ?? e}`);
    assert.equal(e.file, path);
    assert.equal(e.kind, 'truncated', e.message);
    assert.match(e.message, warning, 'the error says what the dump lost');
    return `DumpError(truncated): ${e.problem.replace(/;.*/, '')}`;
  }
  const w = snap.warnings.find((x) => warning.test(x));
  assert.ok(w, `no loss warning among:\n${snap.warnings.join('\n')}`);
  const changed: number[] = [];
  for (let pfn = 0; pfn < full.endPfn; pfn++) {
    const a = pfn < snap.endPfn ? snap.classes[pfn] : CLASS_ID['no-memmap'];
    if (a === full.classes[pfn]) continue;
    assert.equal(className(a), 'excluded', `PFN 0x${pfn.toString(16)}: ${className(a)} instead of ${className(full.classes[pfn])} — not explained by a lost struct page`);
    changed.push(pfn);
  }
  for (const pfn of changed.filter((_, i) => i % 997 === 0)) assert.equal(snap.pageDetail!(pfn)!.rule, 'memmap-excluded');
  return `snapshot, ${changed.length} PFNs excluded (struct page lost); ${w!.replace(/^.*?: /, '')}`;
}

const set: LabSet | undefined = findSets({ kernel: '6.1' }).find((s) => !process.env.KMEMMAP_SET || s.name === process.env.KMEMMAP_SET) ?? findSets()[0];

describe('truncated real lab dumps', function () {
  this.timeout(1_200_000);
  if (!set) { it.skip('no lab sets under ~/.cache/kmemmap-lab/sets (npm run lab)', () => undefined); return; }
  const raw = join(set.dir, 'derived', 'vmcore.kdump.raw');
  const inputs: [string, string, (p: string) => number[]][] = [['ELF', set.elf, elfOffsets], ['flattened kdump', set.kdump, kdumpOffsets]];
  if (existsSync(raw)) inputs.push(['reassembled kdump', raw, kdumpOffsets]);
  for (const [label, file, offsets] of inputs) {
    it(`${set.name} ${label}: DumpError or correct classes at every cut`, async () => {
      const full = await openVmcoreSnapshot([file]);
      const dir = mkdtempSync(join(tmpdir(), 'kmemmap-trunc-'));
      const results: string[] = [];
      try {
        for (const off of offsets(file)) {
          const p = prefixCopy(file, dir, off);
          try { results.push(`${off}: ${await check(full, p)}`); } finally { rmSync(p, { force: true }); }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      console.log(`      ${label} cuts:\n        ${results.join('\n        ')}`);
      assert.ok(results.length >= 15);
    });
  }
  if (!existsSync(raw)) it.skip(`${set.name} reassembled kdump: run npm run lab:derive to make ${raw}`, () => undefined);

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
      const own = offset.filter((o) => o > dataStart + 8192).slice(-60).reverse();
      for (const k of [1, 2, 5, 20, 60]) if (own[k - 1]) cuts.add(own[k - 1] + 1);
      for (const f of [0.02, 0.5, 0.97, 0.999]) cuts.add(Math.floor(dataStart + (size - dataStart) * f));
      const dir = mkdtempSync(join(tmpdir(), 'kmemmap-trunc-'));
      const results: string[] = [];
      let opened = 0;
      try {
        for (const off of [...cuts].filter((o) => o > dataStart && o < size).sort((a, b) => a - b)) {
          const p = prefixCopy(file, dir, off);
          try {
            const r = await checkDataCut(full, p, new RegExp(`dump truncated at byte ${off} of ${size} expected: \\d+ of ${pfns.length} pages' data lost`));
            if (r.startsWith('snapshot')) opened++;
            results.push(`${off}: ${r}`);
          } finally { rmSync(p, { force: true }); }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      console.log(`      page-data cuts:\n        ${results.join('\n        ')}`);
      assert.ok(opened >= 3, `${opened} cuts opened`);
    });
  }
  it(`${set.name} flattened kdump cut inside its page data: opens with the warning, or a truncated error saying what was lost`, async () => {
    const full = await openVmcoreSnapshot([set.kdump]);
    const size = statSync(set.kdump).size;
    const dir = mkdtempSync(join(tmpdir(), 'kmemmap-trunc-'));
    const results: string[] = [];
    let opened = 0;
    try {
      for (const off of [Math.floor(size * 0.3), Math.floor(size * 0.9), size - 200000, size - 40000, size - 5000, size - 100]) {
        const p = prefixCopy(set.kdump, dir, off);
        try {
          const r = await checkDataCut(full, p, new RegExp(`flattened stream cut short at byte ${off} \\(.*\\): \\d+ of \\d+ pages' data lost`));
          if (r.startsWith('snapshot')) opened++;
          results.push(`${off}: ${r}`);
        } finally { rmSync(p, { force: true }); }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`      flattened page-data cuts:\n        ${results.join('\n        ')}`);
    assert.ok(opened >= 2, `${opened} cuts opened`);
  });

  (existsSync(raw) ? it : it.skip)(`${set.name} reassembled kdump with two damaged struct pages: those 128 PFNs excluded, two counted warnings`, async () => {
    const full = await openVmcoreSnapshot([raw]);
    // the physical pages holding the struct pages of two PFNs
    const dump = openDump([raw]);
    let victims: number[];
    try {
      const vm = new X86Paging(dump.mem, dump.vmcoreinfo);
      const table = readMemSections(dump.vmcoreinfo, vm, 4096);
      victims = [0x1000, 0x20000].map((pfn) => Math.floor(vm.translate(table.vmemmapBase + BigInt(pfn) * 64n)!.pa / 4096));
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
      } finally { closeSync(fd); }
      const s = await openVmcoreSnapshot([p]);
      const changed: number[] = [];
      for (let pfn = 0; pfn < full.endPfn; pfn++) if (s.classes[pfn] !== full.classes[pfn]) changed.push(pfn);
      assert.deepEqual([changed.length, changed[0], changed[64]], [128, 0x1000, 0x20000]);
      for (const pfn of changed) assert.equal(className(s.classes[pfn]), 'excluded');
      const w = s.warnings.join('\n');
      assert.match(w, new RegExp(`1 page's data lies beyond the end of the file \\(\\d+ bytes\\) \\(first PFN 0x${victims[0].toString(16)}: `));
      assert.match(w, new RegExp(`1 page's data does not decompress \\(first PFN 0x${victims[1].toString(16)}: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
