// Webview benchmark in headless Chromium (software GL: SwiftShader): a synthetic 64 GiB machine
// (512 sections of 128 MiB). Every time is the page's own clock, counted from its performance mark
// `kmemmap-overview` (the overview message has arrived and is parsed):
//   - first picture: mark `kmemmap-first-picture` (drawn and finished on the canvas);
//   - exact picture: every section in view has its exact class bytes and is drawn;
//   - pan frame: a synchronous pan step (draw + GPU finish) at full and at gesture resolution, and
//     frames per second of a rAF-driven drag (the way a user's drag is drawn);
//   - uploads/rebuilds while panning (must be 0: panning changes uniforms only);
//   - the webview's JS heap (and ArrayBuffer backing stores, where the class bytes live).
// Run: npm run bench:webview   (SECTIONS=n for another size, WEBVIEW_OUT=dir to measure another build)

import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { launchChromium, openFakeHost, type HookWindow } from '../test/webview/fakeHost';
import { inProcess } from '../test/webview/inProcessSnapshot';
import { syntheticSnapshot } from '../test/webview/syntheticSnapshot';

const GOAL_FIRST_MS = 1000;
const FRAME_MS = 1000 / 60;

/** The page's marks, from the overview's arrival: first picture, exact picture, and the steps between. */
async function pageMarks(page: Page) {
  return page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const at = (n: string) => performance.getEntriesByName(n)[0]?.startTime;
    const overview = at('kmemmap-overview');
    const steps = [
      'kmemmap-store-filled',
      'kmemmap-pyramid-built',
      'kmemmap-renderer-ready',
      'kmemmap-legend-built',
      'kmemmap-first-picture',
      'kmemmap-table-built',
    ].filter((n) => at(n) !== undefined);
    const breakdown = steps
      .map((n, i) => `${n.replace('kmemmap-', '')} +${(at(n) - (i ? at(steps[i - 1]) : overview)).toFixed(0)}`)
      .join(', ');
    return {
      first: at('kmemmap-first-picture') - overview,
      exact: performance.now() - overview,
      sinceNavigation: overview,
      breakdown,
    };
  });
}

/** Pan steps at full and gesture resolution, a rAF-driven drag, and what panning uploaded or rebuilt. */
async function panFigures(page: Page) {
  return page.evaluate(async (FRAME_MS) => {
    const k = (window as HookWindow).kmemmap;
    const m = k.map;
    const gl = m.canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    const px = new Uint8Array(4);
    const before = m.counters ? { ...m.counters } : undefined;
    const step = (n: number, gesture: boolean) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = m.currentView;
        if (gesture) m.beginGesture?.();
        const t = performance.now();
        m.setView({ ...v, x: v.x + 7 / v.cellPx, y: v.y + 3 / v.cellPx });
        m.drawNow();
        gl?.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); // wait for the (software) GPU
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return { median: times[times.length >> 1], p90: times[Math.floor(times.length * 0.9)] };
    };
    m.fit();
    const full = step(30, false);
    m.fit();
    const gesture = step(30, true);
    // A rAF-driven drag for 2 s, as the pointer handler drives it (gesture resolution).
    m.fit();
    const intervals: number[] = [];
    let last = performance.now();
    const start = last;
    await new Promise<void>((done) => {
      const frame = (now: number) => {
        intervals.push(now - last);
        last = now;
        const v = m.currentView;
        m.beginGesture?.();
        m.setView({ ...v, x: v.x + 5 / v.cellPx });
        if (now - start < 2000) requestAnimationFrame(frame);
        else done();
      };
      requestAnimationFrame(frame);
    });
    intervals.sort((a, b) => a - b);
    const after = m.counters ? { ...m.counters } : undefined;
    return {
      full,
      gesture,
      fps: intervals.length / 2,
      dragMedian: intervals[intervals.length >> 1],
      dragP90: intervals[Math.floor(intervals.length * 0.9)],
      within: intervals.filter((x) => x <= FRAME_MS * 1.25).length / intervals.length,
      uploads: before && after ? after.uploads - before.uploads : undefined,
      rebuilds: before && after ? after.rebuilds - before.rebuilds : undefined,
      canvas: [m.canvas.width, m.canvas.height],
      scale: m.lastDrawScale,
    };
  }, FRAME_MS);
}

/** The webview's JS heap after a garbage collection (and its ArrayBuffer backing stores, where Chromium says). */
async function heapAfterGc(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')) as {
    usedSize: number;
    totalSize: number;
    backingStorageSize?: number;
    embedderHeapUsedSize?: number;
  };
}

type Marks = Awaited<ReturnType<typeof pageMarks>>;
type Pan = Awaited<ReturnType<typeof panFigures>>;
type Heap = Awaited<ReturnType<typeof heapAfterGc>>;

/** Prints the figures, one line each. */
function printFigures(
  sections: number,
  sectionBytes: number[],
  renderer: string | null,
  marks: Marks,
  pan: Pan,
  heap: Heap,
): void {
  const sent = sectionBytes.reduce((a, b) => a + b, 0);
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);

  console.log(
    `renderer: ${renderer}, canvas ${pan.canvas.join('×')} device px; page load to overview ${marks.sinceNavigation.toFixed(0)} ms (not counted)`,
  );
  console.log(
    `first picture after the overview (page marks): ${marks.first.toFixed(0)} ms (goal < ${GOAL_FIRST_MS} ms) ${marks.first < GOAL_FIRST_MS ? 'MET' : 'MISSED'}`,
  );
  if (marks.breakdown) console.log(`  steps (ms): ${marks.breakdown}`);
  console.log(
    `exact picture of the whole machine (all ${sections} sections' bytes in view): ${marks.exact.toFixed(0)} ms; ${sectionBytes.length} sectionData answers, ${mib(sent)} MiB, largest ${mib(Math.max(0, ...sectionBytes))} MiB`,
  );
  console.log(
    `pan step, draw + GPU finish: full resolution median ${pan.full.median.toFixed(1)} ms (p90 ${pan.full.p90.toFixed(1)}); gesture resolution median ${pan.gesture.median.toFixed(1)} ms (p90 ${pan.gesture.p90.toFixed(1)})`,
  );
  console.log(
    `rAF-driven drag (2 s): ${pan.fps.toFixed(1)} frames/s, frame interval median ${pan.dragMedian.toFixed(1)} ms, p90 ${pan.dragP90.toFixed(1)} ms, ${(pan.within * 100).toFixed(0)} % within one frame (goal: one animation frame, ${FRAME_MS.toFixed(1)} ms)`,
  );
  if (pan.uploads !== undefined)
    console.log(
      `while panning: ${pan.uploads} texture uploads, ${pan.rebuilds} rebuilds (goal 0: only uniforms change)`,
    );
  console.log(
    `webview JS heap after GC: ${mib(heap.usedSize)} MiB used of ${mib(heap.totalSize)} MiB` +
      (heap.backingStorageSize !== undefined ? `; ArrayBuffer backing stores ${mib(heap.backingStorageSize)} MiB` : ''),
  );
}

async function main(): Promise<void> {
  const sections = Number(process.env.SECTIONS ?? 512);
  const t0 = performance.now();
  const snap = syntheticSnapshot(sections);
  const parsed = inProcess(snap);
  console.log(
    `synthetic snapshot: ${sections} sections, ${(snap.endPfn * 4096) / 2 ** 30} GiB, built in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (shared; figures vary with contention)`,
  );

  const browser = await launchChromium();
  try {
    const h = await openFakeHost(browser, parsed, { viewport: { width: 1600, height: 1000 } });
    await h.page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    await h.page.evaluate(() => (window as HookWindow).kmemmap.firstPicture);
    // Exact picture of the whole-machine view: all sections in view loaded and drawn.
    await h.page.waitForFunction(
      () => {
        const s = (window as HookWindow).kmemmap.store;
        return s.loadedSections >= s.totalSections;
      },
      undefined,
      { timeout: 120000, polling: 20 },
    );
    const marks = await pageMarks(h.page);
    const renderer = await h.page.getAttribute('.map-canvas', 'data-renderer');
    const pan = await panFigures(h.page);
    const heap = await heapAfterGc(h.page);
    printFigures(sections, h.sectionBytes, renderer, marks, pan, heap);
    if (h.consoleErrors.length) console.log('console errors:', h.consoleErrors);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
