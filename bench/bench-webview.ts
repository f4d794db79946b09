// Webview benchmark in headless Chromium (software GL): a synthetic 64 GiB machine (512 sections
// of 128 MiB). Prints time to first picture after parsing, time to the complete picture, frame
// time while panning, and the webview's JS heap. Run: npm run build && node out/bench/bench-webview.js

import { launchChromium, openFakeHost } from '../test/webview/fakeHost';
import { inProcess } from '../test/webview/inProcessSnapshot';
import { syntheticSnapshot } from '../test/webview/syntheticSnapshot';

async function main(): Promise<void> {
  const sections = Number(process.env.SECTIONS ?? 512);
  const t0 = performance.now();
  const snap = syntheticSnapshot(sections);
  const parsed = inProcess(snap);
  console.log(`synthetic snapshot: ${sections} sections, ${(snap.endPfn * 4096) / 2 ** 30} GiB, built in ${(performance.now() - t0).toFixed(0)} ms`);

  const browser = await launchChromium();
  try {
    const tOpen = performance.now();
    const h = await openFakeHost(browser, parsed, { viewport: { width: 1600, height: 1000 } });
    await h.page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    await h.page.evaluate(() => (window as any).kmemmap.firstPicture);
    const firstPicture = performance.now() - tOpen;
    await h.page.waitForFunction(() => {
      const s = (window as any).kmemmap.store;
      return s.loadedSections >= s.totalSections;
    }, undefined, { timeout: 120000, polling: 50 });
    const complete = performance.now() - tOpen;
    const renderer = await h.page.getAttribute('.map-canvas', 'data-renderer');

    const pan = await h.page.evaluate(async () => {
      const k = (window as any).kmemmap;
      const gl = k.map.canvas.getContext('webgl2') as WebGL2RenderingContext | null;
      const px = new Uint8Array(4);
      const times: number[] = [];
      for (let i = 0; i < 40; i++) {
        const v = k.map.currentView;
        const t = performance.now();
        k.map.setView({ ...v, x: v.x + 7 / v.cellPx, y: v.y + 3 / v.cellPx });
        k.map.drawNow();
        gl?.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); // wait for the GPU (software GL here)
        times.push(performance.now() - t);
      }
      // And in real animation frames: how many frames a 1.5 s drag gets.
      let frames = 0;
      const start = performance.now();
      await new Promise<void>((done) => {
        const step = () => {
          const v = k.map.currentView;
          k.map.setView({ ...v, x: v.x + 5 / v.cellPx });
          frames++;
          if (performance.now() - start < 1500) requestAnimationFrame(step);
          else done();
        };
        requestAnimationFrame(step);
      });
      times.sort((a, b) => a - b);
      return { median: times[times.length >> 1], p90: times[Math.floor(times.length * 0.9)], fps: frames / 1.5, canvas: [k.map.canvas.width, k.map.canvas.height] };
    });
    const cdp = await h.page.context().newCDPSession(h.page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    const sent = h.sectionBytes.reduce((a, b) => a + b, 0);

    console.log(`renderer: ${renderer}, canvas ${pan.canvas.join('×')} device px`);
    console.log(`first picture (overview + uniform sections, map drawn): ${firstPicture.toFixed(0)} ms (goal < 1000 ms)`);
    console.log(`complete picture (all ${sections} sections loaded): ${complete.toFixed(0)} ms; ${h.sectionBytes.length} sectionData answers, ${(sent / 2 ** 20).toFixed(1)} MiB, largest ${(Math.max(...h.sectionBytes) / 2 ** 20).toFixed(1)} MiB`);
    console.log(`pan frame (draw + GPU finish): median ${pan.median.toFixed(1)} ms, p90 ${pan.p90.toFixed(1)} ms; ${pan.fps.toFixed(1)} frames/s in a rAF-driven drag (goal: one animation frame, 16.7 ms)`);
    console.log(`webview JS heap after GC: ${(heap.usedSize / 2 ** 20).toFixed(1)} MiB used of ${(heap.totalSize / 2 ** 20).toFixed(1)} MiB`);
    if (h.consoleErrors.length) console.log('console errors:', h.consoleErrors);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
