// Pure map geometry in Node: absent runs from an overview, folded layouts (PFN ↔ cell both ways),
// row flags, and the max-priority pyramid keeping one rare page at every level.

import * as assert from 'node:assert/strict';
import type { Overview, SectionInfo } from '../../../shared/protocol';
import { CLASS_ID, PAGE_CLASSES } from '../../../kernel/pageClasses';
import { absentRuns, describeAbsent } from '../../../webview/absentRuns';
import { priorityRanks } from '../../../webview/classPriority';
import { cellToPfn, chooseLayout, pfnToCell, rowsOfPfns } from '../../../webview/mapLayout';
import { paddedRows, pyramidLevels } from '../../../webview/mapRenderer';
import { MapRows } from '../../../webview/mapRows';
import { PriorityPyramid, levelFor } from '../../../webview/priorityPyramid';
import { ROW_BLOCK, ROW_SECTION, ROW_SEPARATOR, rowFlags } from '../../../webview/rowFlags';

const PPS = 32768;
const section = (nr: number, extra: Partial<SectionInfo> = {}): SectionInfo => ({
  nr,
  startPfn: nr * PPS,
  nrPfns: PPS,
  state: 'online',
  counts: [[CLASS_ID.free, PPS]],
  uniformClass: CLASS_ID.free,
  ...extra,
});

function overview(sections: SectionInfo[], endSection: number): Overview {
  return {
    protocolVersion: 1,
    title: 't',
    format: 'f',
    files: [],
    notes: [],
    kernel: { pageSize: 4096, pageShift: 12 },
    startPfn: 0,
    endPfn: endSection * PPS,
    pfnsPerSection: PPS,
    pfnsPerBlock: PPS,
    classNames: [...PAGE_CLASSES],
    classDescriptions: [],
    counts: [],
    sections,
    blocks: sections.map((s) => ({ id: s.nr, startPfn: s.startPfn, nrPfns: s.nrPfns, state: 'online', counts: [] })),
    warnings: [],
    settings: { palette: 'colorblind-safe', offlineRules: 'mainline' },
  };
}

describe('webview map geometry', () => {
  // Sections 0-7 present, 8-31 missing from the listing (PCI hole), 32-35 present, 36 absent-listed.
  const o = overview(
    [
      ...[0, 1, 2, 3, 4, 5, 6, 7, 32, 33, 34, 35].map((n) => section(n)),
      section(36, { state: 'absent', uniformClass: CLASS_ID['no-memmap'] }),
    ],
    37,
  );

  it('finds absent runs: unlisted sections and absent sections', () => {
    assert.deepEqual(absentRuns(o), [
      [8 * PPS, 32 * PPS],
      [36 * PPS, 37 * PPS],
    ]);
    assert.equal(describeAbsent([8 * PPS, 32 * PPS], 4096), '3.0 GiB absent: 0x40000000–0xffffffff');
    assert.deepEqual(absentRuns({ ...o, sections: [] }), [], 'no listing: nothing is known to be absent');
  });

  it('a bare crash listing (no kmem -n: sections without flags) has no absent runs between the sections it touches', () => {
    assert.deepEqual(absentRuns({ ...o, format: 'crash-log' }), [], 'unlisted sections are not-in-listing, not absent');
    const withTable = { ...o, format: 'crash-log', sections: o.sections.map((s) => ({ ...s, flags: 'PMOE' })) };
    assert.deepEqual(
      absentRuns(withTable),
      [
        [8 * PPS, 32 * PPS],
        [36 * PPS, 37 * PPS],
      ],
      'with kmem -n the gaps are holes',
    );
  });

  it('a folded layout maps every present PFN to a cell and back, and hole PFNs to the separator', () => {
    const l = chooseLayout(0, o.endPfn, PPS, PPS, 1, absentRuns(o));
    const plain = chooseLayout(0, o.endPfn, PPS, PPS, 1, []);
    assert.ok(l.cells < plain.cells / 2, `${l.cells} folded cells vs ${plain.cells}`);
    for (const pfn of [0, 5, PPS * 8 - 1, PPS * 32, PPS * 32 + 12345, PPS * 36 - 1]) {
      const c = pfnToCell(l, pfn);
      assert.equal(cellToPfn(l, c.x, c.y), pfn, `pfn ${pfn}`);
    }
    const sep = l.segments.find((s) => s.absent)!;
    assert.deepEqual(pfnToCell(l, PPS * 20), { x: 0, y: sep.row });
    assert.equal(cellToPfn(l, 0, sep.row), undefined);
    assert.deepEqual(rowsOfPfns(l, PPS * 8, PPS * 32), [sep.row, sep.row + sep.rows]);
  });

  it('row flags: sections and blocks start where they really start, separators are marked', () => {
    const l = chooseLayout(0, o.endPfn, PPS, PPS, 1, absentRuns(o));
    const f = rowFlags(l, o.blocks);
    const sep = l.segments.find((s) => s.absent)!;
    assert.ok(f[0] & ROW_SECTION && f[0] & ROW_BLOCK);
    assert.ok(f[sep.row] & ROW_SEPARATOR);
    const after = pfnToCell(l, 32 * PPS).y;
    assert.ok(f[after] & ROW_BLOCK, 'memory32 starts right after the separator');
    for (let y = sep.row; y < sep.row + sep.rows; y++) assert.equal(f[y] & ROW_BLOCK, 0, 'no block line inside a hole');
  });

  it('the max-priority pyramid keeps one offline-unmovable page at every level', () => {
    const l = chooseLayout(0, 64 * PPS, PPS, PPS, 1, []);
    const cells = new Uint8Array(64 * PPS + 8192).fill(CLASS_ID.free);
    cells.fill(CLASS_ID.slab, 100, 5000);
    const rare = 40 * PPS + 777;
    cells[rare] = CLASS_ID['offline-unmovable'];
    const maxLevel = pyramidLevels(l.rowPfns);
    const p = new PriorityPyramid(
      new MapRows(l, cells),
      paddedRows(l.rows, maxLevel),
      maxLevel,
      priorityRanks(PAGE_CLASSES),
    );
    const c = pfnToCell(l, rare);
    for (let L = 1; L <= maxLevel; L++) {
      const row = p.rowOf(L, c.y >> L);
      assert.equal(row[c.x >> L], CLASS_ID['offline-unmovable'], `level ${L}`);
      let n = 0;
      for (let y = 0; y < p.heights[L]; y++)
        for (const v of p.rowOf(L, y)) if (v === CLASS_ID['offline-unmovable']) n++;
      assert.equal(n, 1, `exactly one cell of level ${L}`);
    }
    // Hidden classes give way: hide offline-unmovable and the cell shows free again.
    p.setRanks(priorityRanks(PAGE_CLASSES, new Set([CLASS_ID['offline-unmovable']])));
    assert.equal(p.rowOf(3, c.y >> 3)[c.x >> 3], CLASS_ID.free);
    assert.equal(levelFor(2, maxLevel), 0);
    assert.equal(levelFor(0.2, maxLevel), 3);
  });
});
