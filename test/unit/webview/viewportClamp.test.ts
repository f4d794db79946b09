// The camera clamp (no panning into emptiness) and the halo classes of the zoomed-out map.

import * as assert from 'node:assert/strict';
import { haloClasses } from '../../../webview/classPriority';
import type { MapLayout } from '../../../webview/mapLayout';
import { centreOn, clampView, fitView } from '../../../webview/viewport';

const layout = { rowPfns: 512, rows: 2048 } as MapLayout;

describe('viewport clamp', () => {
  it('leaves the fitted whole-machine view alone', () => {
    const f = fitView(layout, 1000, 800, 170);
    assert.deepEqual(clampView(layout, f, 1000, 800, 170), f);
  });

  it('a target at the start of a row, zoomed in: the row starts right of the label gutter, not mid-screen', () => {
    const v = centreOn({ x: 0, y: 0, cellPx: 12 }, 0, 1000, 1000, 800, 12);
    assert.ok(v.x < -30, 'centring alone leaves the left half empty');
    const c = clampView(layout, v, 1000, 800, 170);
    assert.equal(c.x, -170 / 12);
    assert.equal(c.y, v.y, 'rows in the middle of the map are not moved');
  });

  it('a target at the end of the last row: no emptiness right of or below the map', () => {
    const v = centreOn({ x: 0, y: 0, cellPx: 12 }, 511, 2047, 1000, 800, 12);
    const c = clampView(layout, v, 1000, 800, 170);
    assert.equal(c.x, 512 - 1000 / 12);
    assert.equal(c.y, 2048 - 800 / 12);
  });

  it('zoomed out past the fit: the whole map stays inside the canvas', () => {
    const c = clampView(layout, { x: -5000, y: 9000, cellPx: 0.1 }, 1000, 800, 170);
    assert.ok(c.x <= -170 / 0.1 && c.x >= 512 - 1000 / 0.1);
    assert.ok(c.y <= 0 && c.y >= 2048 - 800 / 0.1);
  });
});

describe('halo classes', () => {
  it('hwpoison and offline-unmovable, unless hidden or absent', () => {
    const names = ['free', 'offline-unmovable', 'reserved', 'hwpoison'];
    assert.deepEqual(haloClasses(names), [3, 1]);
    assert.deepEqual(haloClasses(names, new Set([1])), [3]);
    assert.deepEqual(haloClasses(['free']), []);
  });
});
