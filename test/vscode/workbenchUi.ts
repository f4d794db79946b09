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
