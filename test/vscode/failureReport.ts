// What a failed UI test prints besides its screenshot: CI keeps only the console, so the report says
// which editor is open, what the snapshot panel shows, what the browser and the extension logged.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { snapshotFrame } from './workbenchUi';

const KEEP_CONSOLE_LINES = 60;

/** Collects the page's console messages and errors (webview frames included), the last 60. */
export function watchConsole(page: Page): string[] {
  const lines: string[] = [];
  const push = (l: string) => {
    lines.push(l.slice(0, 400));
    if (lines.length > KEEP_CONSOLE_LINES) lines.shift();
  };
  page.on('console', (m) => push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => push(`[pageerror] ${e.message}`));
  page.on('crash', () => push('[crash] the page crashed'));
  return lines;
}

/** The tail of every log under `dir` whose name matches `pattern` (the extension's output channel). */
function logTails(dir: string, pattern: RegExp, maxChars = 3000): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory() && depth < 8) walk(p, depth + 1);
      else if (st?.isFile() && pattern.test(n)) out.push(`--- ${p}\n${readFileSync(p, 'utf8').slice(-maxChars)}`);
    }
  };
  walk(dir, 0);
  return out;
}

const text = (p: Promise<string>) => p.then((t) => t.replace(/\s+/g, ' ').slice(0, 600)).catch((e) => `(${e})`);

/** A plain-text account of the workbench at the moment a test failed. */
export async function failureReport(page: Page, dataDir: string, consoleLines: string[]): Promise<string> {
  const quick = { timeout: 2000 };
  const frames = await page
    .locator('iframe.webview')
    .evaluateAll((els) => els.map((e) => `${e.className} ${(e as HTMLElement).style.visibility || ''}`))
    .catch((e) => [`(${e})`]);
  const parts = [
    `tabs: ${await text(page.locator('.tabs-container').innerText(quick))}`,
    `editor: ${await text(page.locator('.editor-group-container').first().innerText(quick))}`,
    `webview iframes: ${frames.length ? frames.join(' | ') : 'none'}`,
    `snapshot panel: ${await text(snapshotFrame(page).locator('body').innerText(quick))}`,
    `notifications: ${await text(page.locator('.notifications-toasts').innerText(quick))}`,
    'browser console (last lines):',
    ...consoleLines.map((l) => `  ${l}`),
    ...logTails(dataDir, /Kernel Memmap|exthost\.log|remoteexthost\.log/),
  ];
  return parts.join('\n');
}
