/**
 * Serves the timeline bundle (built here with the same esbuild options as
 * scripts/build.mjs) behind a fake VS Code host on a local page with the
 * strict CSP a webview gets, and opens it in headless Chromium.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'timeline');
const OUT = path.join(ARTIFACTS, 'harness');

/** Builds the page bundle and the fake host; returns the bundle's size in bytes. */
export async function buildHarness(): Promise<number> {
  fs.mkdirSync(OUT, { recursive: true });
  await Promise.all([
    // The webview entry of scripts/build.mjs, built into the harness folder (dist/ belongs to full builds).
    esbuild.build({ entryPoints: [path.join(ROOT, 'webview', 'src', 'main.ts')], outfile: path.join(OUT, 'timeline.js'), bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: true, logLevel: 'error' }),
    esbuild.build({ entryPoints: [path.join(__dirname, 'fake-host.ts')], outfile: path.join(OUT, 'fake-host.js'), bundle: true, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'error' }),
  ]);
  const nonce = 'harness-nonce';
  fs.writeFileSync(
    path.join(OUT, 'index.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; font-src 'none';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Celeriac timeline</title></head>
<body class="vscode-dark"><div id="root"></div>
<script nonce="${nonce}" src="fake-host.js"></script>
<script nonce="${nonce}" src="timeline.js"></script>
</body></html>`,
  );
  return fs.statSync(path.join(OUT, 'timeline.js')).size;
}

/**
 * Waits until an expression is truthy in the page, polling from Node: the
 * page's CSP forbids the eval that playwright's waitForFunction relies on.
 */
export async function pollPage(page: Page, expression: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface OpenTimeline {
  browser: Browser;
  page: Page;
  url: string;
  errors: string[];
  close(): Promise<void>;
}

export async function openTimeline(viewport = { width: 1400, height: 820 }, deviceScaleFactor = 1): Promise<OpenTimeline> {
  const server = http.createServer((req, res) => {
    const file = path.join(OUT, path.normalize(decodeURIComponent((req.url ?? '/').split('?')[0])).replace(/^(\.\.[/\\])+/, ''));
    const target = file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
    if (!target.startsWith(OUT) || !fs.existsSync(target)) {
      res.writeHead(404).end();
      return;
    }
    const type = target.endsWith('.html') ? 'text/html' : target.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(target));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors: string[] = [];
  try {
    const context = await browser.newContext({ viewport, deviceScaleFactor });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url);
    await pollPage(page, `window.__host?.posted.some((m) => m.type === 'ready')`);
    return {
      browser,
      page,
      url,
      errors,
      close: async () => {
        await browser.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (err) {
    await browser.close();
    server.close();
    throw err;
  }
}
