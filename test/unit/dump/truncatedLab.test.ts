// Truncated REAL dumps: a prefix copy (in a temp dir; the lab files are never touched) of a lab set's
// QEMU ELF dump, its flattened kdump and, when `npm run lab:derive` made it, the reassembled kdump, cut
// at ~20 offsets each (inside headers, notes, bitmaps, descriptors, page data). Each must give a
// DumpError naming the truncated file, or a snapshot whose classes equal the full dump's on every PFN
// except ones shown unknown/excluded — never a crash, a hang or a wrong class for a readable PFN.
import * as assert from 'node:assert/strict';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, truncateSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSets, LabSet } from '../../lab/sets';
import { openVmcoreSnapshot } from '../../../memmap/vmcoreSnapshot';
import { CLASS_ID, className } from '../../../memmap/classes';
import { DumpError } from '../../../parsers/dump/errors';
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
});
