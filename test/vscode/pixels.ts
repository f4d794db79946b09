// Counts the distinct colours of a PNG (e.g. an element screenshot) by decoding it in a blank tab, so
// a test can tell a drawn map from an empty or single-colour canvas without a PNG library.
import type { Page } from 'playwright-core';

export async function distinctColours(page: Page, png: Buffer): Promise<number> {
  const blank = await page.context().newPage(); // about:blank: no workbench CSP in the way
  try {
    return await blank.evaluate(async (b64) => {
      const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
      const c = new OffscreenCanvas(img.width, img.height);
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, img.width, img.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return seen.size;
    }, png.toString('base64'));
  } finally {
    await blank.close();
  }
}
