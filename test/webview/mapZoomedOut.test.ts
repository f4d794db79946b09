// The map in Chromium: rare pages survive the whole-machine zoom (max-priority pyramid), absent
// memory folds into labelled separators with addresses still right, address labels stay a handful
// of DOM nodes, and panning uploads nothing. Screenshots go to test-artifacts/.

import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { CLASS_ID } from '../../kernel/pageClasses';
import { launchChromium, openFakeHost, type FakeHost, type HookWindow } from './fakeHost';
import { inProcess } from './inProcessSnapshot';
import { syntheticSnapshot } from './syntheticSnapshot';

const ARTIFACTS = 'test-artifacts';
mkdirSync(ARTIFACTS, { recursive: true });
const UNMOVABLE_RGB: [number, number, number] = [0xd5, 0x5e, 0x00]; // palette.ts, colorblind-safe

async function ready(h: FakeHost): Promise<void> {
  await h.page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  await h.page.evaluate(() => (window as HookWindow).kmemmap.firstPicture);
}

/** How many canvas pixels have exactly this colour (the canvas read back through a 2D canvas). */
async function pixelsOfColour(h: FakeHost, rgb: [number, number, number]): Promise<number> {
  return h.page.evaluate((rgb) => {
    const m = (window as HookWindow).kmemmap.map;
    m.drawNow();
    const c = document.createElement('canvas');
    c.width = m.canvas.width;
    c.height = m.canvas.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(m.canvas, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) n++;
    return n;
  }, rgb);
}

/** Client coordinates of the centre of a PFN's cell in the current view. */
async function clientOfPfn(h: FakeHost, pfn: number): Promise<{ x: number; y: number }> {
  return h.page.evaluate((pfn) => {
    const m = (window as HookWindow).kmemmap.map;
    const v = m.currentView;
    const c = m.cellOf(pfn);
    const r = m.canvas.getBoundingClientRect();
    const dpr = m.canvas.width / r.width;
    return { x: r.left + ((c.x + 0.5 - v.x) * v.cellPx) / dpr, y: r.top + ((c.y + 0.5 - v.y) * v.cellPx) / dpr };
  }, pfn);
}

/** A 120×120 CSS-pixel box around a PFN's cell, for a close-up screenshot. */
async function haloClip(h: FakeHost, pfn: number): Promise<{ x: number; y: number; width: number; height: number }> {
  const c = await clientOfPfn(h, pfn);
  return { x: Math.max(0, c.x - 60), y: Math.max(0, c.y - 60), width: 120, height: 120 };
}

describe('map at whole-machine zoom, folded absent memory, labels (Chromium)', function () {
  this.timeout(240000);
  let browser: Browser;
  before(async () => (browser = await launchChromium()));
  after(async () => browser?.close());

  describe('one offline-unmovable page in a 64 GiB machine', () => {
    const snap = syntheticSnapshot(512);
    const parsed = inProcess(snap);
    const unmovable = CLASS_ID['offline-unmovable'];
    const pfn = snap.classes.indexOf(unmovable);

    it('the synthetic machine has exactly one such page', () => {
      assert.ok(pfn > 0);
      assert.equal(snap.classes.lastIndexOf(unmovable), pfn);
    });

    for (const renderer of [undefined, 'canvas2d'] as const) {
      it(`${renderer ?? 'webgl2'}: its colour is on the canvas at the whole-machine zoom, with exact data loaded`, async () => {
        const h = await openFakeHost(browser, parsed, { renderer, viewport: { width: 1400, height: 900 } });
        try {
          await ready(h);
          await h.page.evaluate(async (pfn) => {
            const k = (window as HookWindow).kmemmap;
            k.map.fit();
            k.store.want([[pfn, pfn + 1]]); // its section's exact bytes first
            for (let i = 0; i < 400 && k.store.classAt(pfn) === undefined; i++)
              await new Promise((r) => setTimeout(r, 25));
          }, pfn);
          const facts = await h.page.evaluate((pfn) => {
            const k = (window as HookWindow).kmemmap;
            return { cls: k.store.classAt(pfn), cellPx: k.map.currentView.cellPx, renderer: k.map.rendererKind };
          }, pfn);
          assert.equal(facts.renderer, renderer ?? 'webgl2');
          assert.equal(facts.cls, unmovable, 'the exact bytes of its section arrived');
          assert.ok(facts.cellPx < 0.5, `whole-machine zoom puts many pages in a pixel (cellPx ${facts.cellPx})`);
          const n = await pixelsOfColour(h, UNMOVABLE_RGB);
          assert.ok(n > 0, 'the offline-unmovable colour appears in the canvas pixels');
          assert.ok(n < 64, `and only around that one page (${n} pixels)`);
          await h.page.screenshot({ path: `${ARTIFACTS}/webview-64g-one-unmovable-${renderer ?? 'webgl2'}.png` });
          assert.deepEqual(h.consoleErrors, []);
        } finally {
          await h.page.close();
        }
      });
    }

    it('webgl2: a halo rings the lone page at whole-machine zoom (pixels change around it, nowhere else)', async () => {
      const h = await openFakeHost(browser, parsed, { viewport: { width: 1400, height: 900 } });
      try {
        await ready(h);
        const r = await h.page.evaluate(async (pfn) => {
          const k = (window as HookWindow).kmemmap;
          const m = k.map;
          m.fit();
          k.store.want([[pfn, pfn + 1]]);
          for (let i = 0; i < 400 && k.store.classAt(pfn) === undefined; i++)
            await new Promise((res) => setTimeout(res, 25));
          const read = () => {
            m.drawNow();
            const c = document.createElement('canvas');
            c.width = m.canvas.width;
            c.height = m.canvas.height;
            const ctx = c.getContext('2d')!;
            ctx.drawImage(m.canvas, 0, 0);
            return ctx.getImageData(0, 0, c.width, c.height).data;
          };
          const halo = m.deco.halo;
          const withHalo = read();
          m.deco.halo = [];
          const without = read();
          m.deco.halo = halo;
          const v = m.currentView;
          const cell = m.cellOf(pfn);
          const px = (cell.x + 0.5 - v.x) * v.cellPx;
          const py = (cell.y + 0.5 - v.y) * v.cellPx;
          let near = 0;
          let far = 0;
          for (let i = 0; i < withHalo.length; i += 4) {
            if (withHalo[i] === without[i] && withHalo[i + 1] === without[i + 1] && withHalo[i + 2] === without[i + 2])
              continue;
            const x = (i / 4) % m.canvas.width;
            const y = Math.floor(i / 4 / m.canvas.width);
            if (Math.abs(x - px) <= 8 && Math.abs(y - py) <= 8) near++;
            else far++;
          }
          return { halo, near, far, cellPx: v.cellPx };
        }, pfn);
        assert.ok(r.halo.includes(unmovable), 'offline-unmovable is a halo class');
        assert.ok(r.cellPx < 0.5, `whole-machine zoom (cellPx ${r.cellPx})`);
        assert.ok(r.near >= 8, `a ring of pixels around the page changes colour (${r.near})`);
        assert.equal(r.far, 0, 'nothing else changes');
        await h.page.screenshot({ path: `${ARTIFACTS}/webview-64g-halo.png`, clip: await haloClip(h, pfn) });
      } finally {
        await h.page.close();
      }
    });

    it('webgl2: panning changes uniforms only (no texture upload, no rebuild)', async () => {
      const h = await openFakeHost(browser, parsed);
      try {
        await ready(h);
        const r = await h.page.evaluate(async () => {
          const m = (window as HookWindow).kmemmap.map;
          m.fit();
          // Let the idle uploads of the levels this view does not need finish first.
          await new Promise((res) => setTimeout(res, 1500));
          for (let i = 0; i < 100 && m.renderer.idle(50); i++);
          m.drawNow();
          const before = { ...m.counters };
          let scale = 1;
          for (let i = 0; i < 10; i++) {
            const v = m.currentView;
            m.beginGesture();
            m.setView({ ...v, x: v.x + 20 / v.cellPx, y: v.y + 10 / v.cellPx });
            m.drawNow();
            if (i === 0) scale = m.lastDrawScale;
          }
          return { before, after: { ...m.counters }, scale };
        });
        assert.equal(r.after.uploads, r.before.uploads, 'no texture uploads while panning');
        assert.equal(r.after.rebuilds, r.before.rebuilds, 'no rebuilds while panning');
        assert.equal(r.after.draws, r.before.draws + 10);
        assert.ok(r.scale < 1, 'a gesture starts drawing at reduced resolution');
      } finally {
        await h.page.close();
      }
    });
  });

  describe('absent memory folded (a 3 GiB hole like the PCI hole)', () => {
    const pps = 32768;
    const snap = syntheticSnapshot(40, { holeSections: [8, 32] });
    const parsed = inProcess(snap);
    const after = 32 * pps + 5000; // a PFN above the hole

    it('folds by default: one labelled separator, addresses right in tooltip, search and inspector', async () => {
      const h = await openFakeHost(browser, parsed);
      try {
        await ready(h);
        assert.equal(await h.page.getAttribute('.fold-toggle', 'aria-pressed'), 'true');
        const label = await h.page.locator('.map-label-absent').allTextContents();
        // Section 2 of the synthetic machine is absent too (listed, state absent).
        assert.deepEqual(label, ['128 MiB absent: 0x10000000–0x17ffffff', '3.0 GiB absent: 0x40000000–0xffffffff']);
        const folded = await h.page.evaluate(() => (window as HookWindow).kmemmap.map.layout.rows);
        await h.page.screenshot({ path: `${ARTIFACTS}/webview-folded-absent.png` });

        // Tooltip over a page above the hole names that page.
        await h.page.evaluate((pfn) => (window as HookWindow).kmemmap.map.reveal(pfn), after);
        await h.page.waitForTimeout(100);
        const at = await clientOfPfn(h, after);
        await h.page.mouse.move(at.x, at.y);
        const tip = await h.page.textContent('.map-tooltip');
        assert.ok(tip!.includes(`PFN 0x${after.toString(16)} (${after})`), tip!);
        assert.ok(tip!.includes(`phys 0x${(after * 4096).toString(16)}`), tip!);
        assert.equal(await h.page.evaluate((p) => (window as HookWindow).kmemmap.map.pfnAt(p.x, p.y), at), after);

        // Tooltip over the separator names the hole.
        await h.page.evaluate(() => (window as HookWindow).kmemmap.map.fit());
        await h.page.waitForTimeout(100);
        const sep = await h.page.evaluate(() => {
          const m = (window as HookWindow).kmemmap.map;
          const s = m.layout.segments.filter((x: { absent?: boolean }) => x.absent)[1];
          const v = m.currentView;
          const r = m.canvas.getBoundingClientRect();
          const dpr = m.canvas.width / r.width;
          return {
            x: r.left + ((m.layout.rowPfns / 2 - v.x) * v.cellPx) / dpr,
            y: r.top + ((s.row + s.rows / 2 - v.y) * v.cellPx) / dpr,
          };
        });
        await h.page.mouse.move(sep.x, sep.y);
        assert.ok((await h.page.textContent('.map-tooltip'))!.includes('3.0 GiB absent: 0x40000000–0xffffffff'));

        // Search and inspector.
        await h.page.locator('vscode-textfield.search').click();
        await h.page.keyboard.type(String(after));
        await h.page.keyboard.press('Enter');
        await h.page
          .locator('.inspector-page')
          .filter({ hasText: `(${after})` })
          .waitFor({ timeout: 20000 });

        // Unfold: the hole is shown cell by cell again, and the same PFN is still under its cell.
        await h.page.click('.fold-toggle');
        assert.equal(await h.page.getAttribute('.fold-toggle', 'aria-pressed'), 'false');
        await h.page.waitForTimeout(200);
        assert.equal(await h.page.locator('.map-label-absent:visible').count(), 0);
        const unfolded = await h.page.evaluate(() => (window as HookWindow).kmemmap.map.layout.rows);
        assert.ok(unfolded > folded * 2, `unfolded ${unfolded} rows, folded ${folded}`);
        await h.page.evaluate((pfn) => (window as HookWindow).kmemmap.map.reveal(pfn), after);
        const at2 = await clientOfPfn(h, after);
        assert.equal(await h.page.evaluate((p) => (window as HookWindow).kmemmap.map.pfnAt(p.x, p.y), at2), after);
        assert.deepEqual(h.consoleErrors, []);
      } finally {
        await h.page.close();
      }
    });

    it('labels rows with address, section and block using a handful of DOM nodes', async () => {
      const h = await openFakeHost(browser, parsed);
      try {
        await ready(h);
        const whole = await h.page.locator('.map-label:visible').allTextContents();
        assert.ok(whole.length >= 3 && whole.length <= 80, `${whole.length} labels`);
        assert.ok(whole.includes('0x0 memory0'), whole.join(' | '));
        assert.ok(
          whole.some((t) => t.startsWith('0x100000000 memory32')),
          whole.join(' | '),
        );
        // Zoomed in to single pages: row-start addresses, still a handful of nodes.
        await h.page.evaluate((pfn) => (window as HookWindow).kmemmap.map.reveal(pfn), after);
        await h.page.evaluate(() => (window as HookWindow).kmemmap.map.drawNow());
        const zoomed = await h.page.locator('.map-label:visible').allTextContents();
        assert.ok(zoomed.length >= 2 && zoomed.length <= 80, `${zoomed.length} labels`);
        assert.ok(
          zoomed.filter((t) => /^0x[0-9a-f]+$/.test(t)).length >= 3,
          `row-start addresses: ${zoomed.join(' | ')}`,
        );
        assert.ok((await h.page.locator('.map-labels *').count()) <= 80, 'never one node per row or page');
        await h.page.screenshot({ path: `${ARTIFACTS}/webview-labels-zoomed.png` });
      } finally {
        await h.page.close();
      }
    });
  });
});
