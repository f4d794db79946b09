// The diff panel's per-section digest and display bytes on hand-made edge cases the lab pairs do not
// have: a side that starts and ends inside a section (a crash listing's window), sections uniform on one
// side only, and the three display tiers (changed, filtered out, unchanged).
import * as assert from 'node:assert/strict';
import { diffSections, sideBytes } from '../../../extension/diffSections';
import { DIM_FILTERED, DIM_UNCHANGED, NOT_UNIFORM } from '../../../shared/diffProtocol';
import { displayByte } from '../../../webview/diffCells';

const FREE = 3,
  SLAB = 5,
  NO_MEMMAP = 1,
  NOT_IN_LISTING = 22;

describe('diff panel digest', () => {
  it('fills what a side does not cover with its outside class, and counts each section', () => {
    const pps = 8;
    // a: a whole-machine capture of PFNs 0..24, all free but one slab page at 9
    const a = { classes: new Uint8Array(24).fill(FREE), start: 0, end: 24, outside: NO_MEMMAP };
    a.classes[9] = SLAB;
    // b: a listing window of PFNs 4..13 (starts and ends inside sections), all free
    const b = { classes: new Uint8Array(9).fill(FREE), start: 4, end: 13, outside: NOT_IN_LISTING };
    assert.deepEqual([...sideBytes(b, 0, 8)], [22, 22, 22, 22, 3, 3, 3, 3]);
    const d = diffSections(a, b, 0, 24, pps);
    assert.deepEqual([...d.uniformA], [FREE, NOT_UNIFORM, FREE]);
    assert.deepEqual([...d.uniformB], [NOT_UNIFORM, NOT_UNIFORM, NOT_IN_LISTING]);
    assert.deepEqual(d.changed, [4, 4, 8]); // 0..3 outside b; 9 slab → free, 13..15 outside b; section 2 wholly
    assert.deepEqual(d.countsNew[0], [
      [NOT_IN_LISTING, 4],
      [DIM_UNCHANGED + FREE, 4],
    ]);
    assert.deepEqual(d.countsOld[1], [
      [FREE, 3],
      [SLAB, 1],
      [DIM_UNCHANGED + FREE, 4],
    ]);
    assert.equal(d.countsNew[2], null, 'uniform on both sides: drawn from the uniform classes');
  });

  it('display bytes: a change bright in its new (or old) class, filtered-out changes and unchanged pages dimmed', () => {
    assert.equal(displayByte(FREE, SLAB, { old: false }), SLAB);
    assert.equal(displayByte(FREE, SLAB, { old: true }), FREE);
    assert.equal(displayByte(FREE, FREE, { old: false, filter: [FREE, SLAB] }), DIM_UNCHANGED + FREE);
    assert.equal(displayByte(FREE, SLAB, { old: false, filter: [FREE, SLAB] }), SLAB);
    assert.equal(displayByte(NO_MEMMAP, FREE, { old: false, filter: [FREE, SLAB] }), DIM_FILTERED + FREE);
  });
});
