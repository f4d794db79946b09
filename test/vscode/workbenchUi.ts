// Locators for the parts of the workbench and of the snapshot editor the UI tiers look at.
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** The content frame of the snapshot editor's webview (the outer iframe's id is random per run). */
export function snapshotFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The snapshot editor's root element: the webview's #app, which carries the snapshot's URI. */
export function snapshotEditor(page: Page): Locator {
  return snapshotFrame(page).locator('body[data-snapshot-uri] #app');
}

export function tab(page: Page, label: string): Locator {
  return page.locator('.tabs-container .tab', { hasText: label });
}

/**
 * Waits until the command palette lists a command of the extension (its contributions arrive some
 * seconds after the workbench; a file opened before then opens in the text editor). Types `typed`
 * into the palette and looks for a row holding `rowText`, retrying until `timeoutMs`.
 */
export async function waitForPaletteCommand(
  page: Page,
  typed: string,
  rowText: string,
  timeoutMs = 90_000,
): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: rowText });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type(typed);
    const found = await row
      .first()
      .waitFor({ timeout: 5000 })
      .then(
        () => true,
        () => false,
      );
    await page.keyboard.press('Escape');
    if (found) return;
    if (Date.now() > deadline) throw new Error(`no "${rowText}" in the command palette after ${timeoutMs / 1000} s`);
  }
}
