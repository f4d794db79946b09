// A fake VS Code host for the webview bundle in headless Chromium: serves out/webview under the
// same CSP as the real panel, provides acquireVsCodeApi(), and answers the protocol from a
// SnapshotSession in the test process.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { MessageChannel, type RequestHandlers } from '../../shared/messageChannel';
import type { Envelope, HostEvent, ViewSettings, WebviewEvent } from '../../shared/protocol';
import { SnapshotSession } from '../../extension/snapshotSession';
import type { ParsedSnapshot } from '../../extension/parseWorkerClient';

/**
 * The page's window as the tests and the benchmark read it inside page.evaluate(): `kmemmap` holds the
 * webview's read-only hooks (webview/main.ts), through which they reach into the map's internals on
 * purpose (canvas, camera, renderer counters), so it is left untyped; `__pwned` is what an injected
 * script would set.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type HookWindow = Window & { kmemmap?: any; __pwned?: unknown };

export const ORIGIN = 'http://kmemmap.test';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

const THEME_DARK = `--vscode-editor-background:#1e1e1e;--vscode-editor-foreground:#d4d4d4;--vscode-foreground:#cccccc;--vscode-focusBorder:#007fd4;--vscode-editorGroup-border:#444444;--vscode-editorCursor-foreground:#aeafad;--vscode-panel-border:#80808059;--vscode-descriptionForeground:#ccccccb3;--vscode-font-family:system-ui,sans-serif;--vscode-font-size:13px;--vscode-editor-font-family:monospace`;

function html(opts: { renderer?: string; title: string; entry?: string }): string {
  const nonce = 'testnonce123';
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${ORIGIN}; font-src ${ORIGIN}; img-src ${ORIGIN} data:`;
  // Theme variables come from a stylesheet here (VS Code sets them on <html> itself).
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/theme.css"><link rel="stylesheet" href="${ORIGIN}/${opts.entry ?? 'main'}.css" id="vscode-codicon-stylesheet">
</head><body class="vscode-dark" data-snapshot-uri="file:///test" data-snapshot-title="${opts.title}" ${opts.renderer ? `data-renderer="${opts.renderer}"` : ''}>
<div id="app"></div><script nonce="${nonce}" src="${ORIGIN}/${opts.entry ?? 'main'}.js"></script></body></html>`;
}

export interface FakeHost {
  page: Page;
  /** Every envelope the webview sent. */
  fromWebview: Envelope[];
  events: WebviewEvent[];
  /** Bytes of class data sent per sectionData answer. */
  sectionBytes: number[];
  consoleErrors: string[];
  send(e: HostEvent): Promise<void>;
}

export interface FakeHostOptions {
  renderer?: 'canvas2d';
  settings?: ViewSettings;
  viewport?: { width: number; height: number };
  /** Replace request handlers (e.g. to fail `ready`). */
  handlers?: Partial<RequestHandlers>;
  title?: string;
  /** The webview bundle: `main` (one snapshot, the default) or `diff` (the diff panel). */
  entry?: 'main' | 'diff';
}

export async function openFakeHost(
  browser: Browser,
  parsed: ParsedSnapshot | undefined,
  opts: FakeHostOptions = {},
): Promise<FakeHost> {
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const settings: ViewSettings = opts.settings ?? { palette: 'colorblind-safe', offlineRules: 'mainline' };
  const out = process.env.WEBVIEW_OUT ?? join(process.cwd(), 'out', 'webview');
  await page.route(`${ORIGIN}/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === '' || name === 'index.html')
      return route.fulfill({
        contentType: 'text/html',
        body: html({ renderer: opts.renderer, title: opts.title ?? 'snapshot', entry: opts.entry }),
      });
    if (name === 'theme.css') return route.fulfill({ contentType: 'text/css', body: `html{${THEME_DARK}}` });
    const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'font/ttf';
    try {
      return route.fulfill({ contentType: type, body: readFileSync(join(out, name.replace(/[^A-Za-z0-9._-]/g, ''))) });
    } catch {
      return route.fulfill({ status: 404, body: '' });
    }
  });

  const host: FakeHost = {
    page,
    fromWebview: [],
    events: [],
    sectionBytes: [],
    consoleErrors: [],
    send: async () => undefined,
  };
  page.on('console', (m) => m.type() === 'error' && host.consoleErrors.push(m.text()));
  page.on('pageerror', (e) => host.consoleErrors.push(String(e)));

  // Typed arrays cross into the page as base64 and are revived there, like VS Code revives them.
  const deliver = (m: Envelope) =>
    page
      .evaluate(
        (json) => {
          const msg = JSON.parse(json, (_k, v) => {
            if (v && typeof v === 'object' && typeof v.__u8 === 'string') {
              const bin = atob(v.__u8);
              const a = new Uint8Array(bin.length);
              for (let i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
              return a;
            }
            return v;
          });
          window.postMessage(msg, '*');
        },
        JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? { __u8: Buffer.from(v).toString('base64') } : v)),
      )
      .catch(() => undefined);

  const session = parsed ? new SnapshotSession('file:///test', opts.title ?? 'snapshot', parsed) : undefined;
  const base: RequestHandlers = session ? session.handlers(() => settings) : {};
  const handlers: RequestHandlers = { ...base, ...opts.handlers };
  const wrapped: RequestHandlers = {
    ...handlers,
    sectionData: async (p) => {
      const r = await handlers.sectionData!(p);
      host.sectionBytes.push(r.classes.byteLength);
      return r;
    },
  };
  const channel = new MessageChannel<WebviewEvent, HostEvent>(deliver, wrapped, (e) => host.events.push(e));
  host.send = async (e) => channel.event(e);
  await page.exposeFunction('__kmemmapToHost', (json: string) => {
    const m = JSON.parse(json) as Envelope;
    host.fromWebview.push(m);
    void channel.receive(m);
  });
  await page.addInitScript(() => {
    let state: unknown;
    (window as unknown as { acquireVsCodeApi(): unknown }).acquireVsCodeApi = () => ({
      postMessage: (m: unknown) =>
        (window as unknown as { __kmemmapToHost(s: string): void }).__kmemmapToHost(JSON.stringify(m)),
      getState: () => state,
      setState: (s: unknown) => (state = s),
    });
  });
  await page.goto(`${ORIGIN}/index.html`);
  return host;
}
