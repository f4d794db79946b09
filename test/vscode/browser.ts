// Debian's Chromium through playwright-core (no browser download), headless, with a throwaway profile.
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';
import { existsSync } from 'node:fs';
import { CHROMIUM } from './paths';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface OpenedWorkbench {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function openWorkbench(
  url: string,
  env: NodeJS.ProcessEnv,
  opts: { headless?: boolean; width?: number; height?: number } = {},
): Promise<OpenedWorkbench> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: run scripts/vscode-server-install.sh (installs Debian's chromium)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: opts.headless ?? true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, ...env } as { [k: string]: string },
  });
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1600, height: opts.height ?? 1000 } });
  const page = await context.newPage();
  await page.goto(url);
  return { browser, context, page, close: () => browser.close() };
}

/** Waits for the workbench shell to be drawn (~5-8 s on 2 cores). */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
}
