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

/**
 * Opens a file from the Explorer by double-clicking it, as a user does, and returns once its tab shows
 * a webview editor (the snapshot editor), not the text editor.
 *
 * VS Code creates its custom-editor service lazily, when the browser is first idle, and until then
 * resolves every file to the text editor, although the extension's commands are already in the palette.
 * Seen in CI on a busy machine: a .kdump opened as "not displayed in the text editor because it is very
 * large", with no webview and the extension never activated. A user closes that editor and opens the file
 * again; so does this, waiting a little longer each time, and says so through `onRetry`.
 */
export async function openFromExplorer(
  page: Page,
  name: string,
  opts: { tries?: number; onRetry?: (why: string) => void } = {},
): Promise<void> {
  const tries = opts.tries ?? 4;
  const item = page.locator('.explorer-item', { hasText: name });
  await item.waitFor({ timeout: 60_000 });
  for (let attempt = 1; ; attempt++) {
    await item.dblclick();
    await tab(page, name).waitFor({ timeout: 30_000 });
    if ((await activeEditorKind(page)) === 'webview') return;
    const seen = `${name} opened in the text editor, not the Kernel Memmap editor`;
    // after several tries the early-start race no longer explains it: say what was seen, not why
    if (attempt >= tries) throw new Error(`${seen}, ${tries} times`);
    opts.onRetry?.(
      `${seen} (as VS Code does before it has registered the extension's custom editors): closing it and opening it again`,
    );
    await tab(page, name).locator('.tab-actions .action-label').click();
    await tab(page, name).waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForTimeout(2000 * attempt);
  }
}

/**
 * What the active editor group shows: a webview editor (a custom editor such as the snapshot editor)
 * or the text editor (an editor, or its "not displayed" placeholder). Waits until it is one of them.
 */
async function activeEditorKind(page: Page, timeoutMs = 30_000): Promise<'webview' | 'text'> {
  const kind = await page.waitForFunction(
    () => {
      const shown = [...document.querySelectorAll<HTMLElement>('.editor-group-container.active .editor-instance')].find(
        (e) => e.offsetParent !== null,
      );
      if (shown?.querySelector('[id^="webview-editor-element-"]')) return 'webview';
      if (shown?.querySelector('.monaco-editor-pane-placeholder, .monaco-editor')) return 'text';
      return undefined;
    },
    undefined,
    { timeout: timeoutMs },
  );
  return (await kind.jsonValue()) as 'webview' | 'text';
}

/** Runs a command by its palette title (F1, the title, Enter on its row). */
export async function runPaletteCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/**
 * Waits until the snapshot editor's panel is ready (its map, legend and tables built).
 *
 * VS Code web serves every webview from one origin, so one service worker serves them all, and a
 * webview's host page can wait for a controller change that never comes: the panel's own page is then
 * never loaded (VS Code's side; desktop VS Code gives each webview its own origin). When the panel's
 * script has not started (nothing rendered in #app) after `startMs`, this reloads the webviews once,
 * as a user would (Developer: Reload Webviews), and reports it through `onReload`. A panel whose
 * script started but never became ready fails: that is the extension's fault, not VS Code's.
 */
export async function waitForSnapshotPanel(
  page: Page,
  opts: { startMs?: number; readyMs?: number; onReload?: (why: string) => void } = {},
): Promise<void> {
  const view = snapshotFrame(page);
  const started = view.locator('body[data-snapshot-uri] #app > *').first();
  const startMs = opts.startMs ?? 60_000;
  const didStart = () =>
    started.waitFor({ state: 'attached', timeout: startMs }).then(
      () => true,
      () => false,
    );
  if (!(await didStart())) {
    opts.onReload?.(
      `the snapshot panel's script had not started ${startMs / 1000} s after the editor opened: reloading the webviews once (Developer: Reload Webviews)`,
    );
    await runPaletteCommand(page, 'Developer: Reload Webviews');
    if (!(await didStart()))
      throw new Error(`the snapshot panel's script had not started ${startMs / 1000} s after reloading the webviews`);
  }
  await view.locator('body[data-ready="true"]').waitFor({ timeout: opts.readyMs ?? 180_000 });
}
