/**
 * The timeline page itself in headless Chromium, behind a fake VS Code host
 * that posts 100k synthetic tasks: the bundle runs under a webview's strict
 * CSP, draws on a canvas, filters, searches, opens details on a click and
 * posts the right messages. Screenshots go to test-artifacts/timeline/.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { WebviewToHostMessage } from '../../src/shared/timeline-protocol';
import type { TimelineDebug } from '../../webview/src/debug-api';
import type { FakeHost } from './harness/fake-host';
import { ARTIFACTS, buildHarness, openTimeline, pollPage, type OpenTimeline } from './harness/page';
import { argsOf, taskId } from './harness/synthetic';

// The callbacks given to page.evaluate run in the page; this file is
// type-checked without the DOM lib, so what they touch is declared here.
type Win = { __timeline: TimelineDebug; __host: FakeHost };
interface PageElement {
  value: string[];
  dispatchEvent(e: unknown): void;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
declare const window: Win;
declare const document: {
  querySelector(selector: string): PageElement;
  querySelectorAll(selector: string): { length: number };
  body: { className: string };
  documentElement: { style: { setProperty(name: string, value: string): void } };
};
const TASKS = 100_000;
const PICK = 4242; // a Python-worker task (even worker): args `(4242, 'user-4242@example.com')`

describe('webview: timeline page in Chromium (100k tasks)', function () {
  this.timeout(90_000);
  let t: OpenTimeline;
  let page: Page;
  let info: { failed: number; now: number };

  /** Runs `fn` in the page with the debug hook and the fake host (it must not close over anything here). */
  const hook = <R>(fn: (tl: TimelineDebug, host: FakeHost) => R | Promise<R>) => page.evaluate(`(${fn.toString()})(window.__timeline, window.__host)`) as Promise<R>;
  const paint = () => page.evaluate(() => window.__timeline.nextPaint());
  const posted = () => page.evaluate(() => window.__host.posted) as Promise<WebviewToHostMessage[]>;
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  const setFacet = async (facet: string, values: string[]) => {
    await page.evaluate(
      ([f, v]) => {
        const el = document.querySelector(`vscode-multi-select[data-facet="${f}"]`);
        el.value = v as string[];
        el.dispatchEvent(new Event('change'));
      },
      [facet, values] as const,
    );
    await paint();
  };
  const waitFor = (expression: string, timeout = 10_000) => pollPage(page, expression, timeout);
  /** Every message the fake host posted has been handled, and painted. */
  const settled = async () => {
    await waitFor('window.__host.inFlight() === 0', 30_000);
    await paint();
  };

  before(async function () {
    await buildHarness();
    t = await openTimeline();
    page = t.page;
    info = await page.evaluate((n) => window.__host.load(n, 10_000), TASKS);
    await settled();
  });

  after(async () => {
    await t?.close();
  });

  it('draws 100k tasks on one canvas, without a DOM node per task, under a strict CSP', async () => {
    const r = await hook((tl) => ({ bars: tl.visibleBarCount(), nodes: document.querySelectorAll('*').length, tasks: tl.taskCount() }));
    assert.equal(r.tasks, TASKS);
    assert.ok(r.bars > 5_000, `bars in view: ${r.bars}`);
    assert.ok(r.nodes < 400, `DOM nodes: ${r.nodes}`);
    assert.deepEqual(t.errors, []);
    const ready = (await posted()).filter((m) => m.type === 'ready');
    assert.equal(ready.length, 1);
    await shot('overview');
  });

  it('narrows the bars with the state and worker filters', async () => {
    const all = await hook((tl) => tl.visibleBarCount());
    await setFacet('states', ['FAILURE']);
    const failed = await hook((tl) => ({ bars: tl.visibleBarCount(), matching: tl.matchingTaskCount() }));
    assert.equal(failed.matching, info.failed);
    assert.ok(failed.bars > 0 && failed.bars < all / 10, `${failed.bars} of ${all}`);
    await shot('filter-failed');
    await setFacet('workers', ['celery@worker-2']);
    const one = await hook((tl) => tl.visibleBarCount());
    assert.ok(one > 0 && one < failed.bars, `${one} of ${failed.bars}`);
    await setFacet('workers', []);
    await setFacet('states', []);
    assert.equal(await hook((tl) => tl.matchingTaskCount()), TASKS);
  });

  it('finds a task by an argument and selects it with Enter', async () => {
    const input = page.locator('vscode-textfield input');
    await input.fill(`user-${PICK}@`);
    await waitFor('window.__timeline.matchingTaskCount() === 1');
    await input.press('Enter');
    await waitFor(`window.__timeline.selectedTaskId() === ${JSON.stringify(taskId(PICK))}`);
    const details = page.locator('aside.tl-details');
    await details.waitFor({ state: 'visible' });
    assert.match(await details.innerText(), new RegExp(`user-${PICK}@example.com`));
    await shot('search');
    await input.fill('');
    await waitFor(`window.__timeline.matchingTaskCount() === ${TASKS}`);
  });

  it('opens the details of the bar clicked', async () => {
    const canvas = page.locator('canvas.tl-canvas');
    await canvas.focus();
    await page.keyboard.press('Escape');
    await waitFor('window.__timeline.detailsTaskId() === undefined');
    for (let i = 0; i < 12; i++) await page.keyboard.press('+');
    await paint();
    const at = await page.evaluate((id) => window.__timeline.barCenter(id), taskId(PICK));
    assert.ok(at, 'the task is in view');
    await page.mouse.click(at.x, at.y);
    await waitFor(`window.__timeline.detailsTaskId() === ${JSON.stringify(taskId(PICK))}`);
    const text = await page.locator('aside.tl-details').innerText();
    assert.match(text, /attempt/i);
    assert.match(text, new RegExp(argsOf(PICK).args.replace(/[()]/g, '\\$&')));
    await page.mouse.move(at.x, at.y + 40);
    await paint();
    await shot('details');
  });

  it('retries with edited args: posts the RetryRequest, and blocks invalid JSON with a message', async () => {
    await page.locator('vscode-button', { hasText: 'Retry with edited args' }).click();
    const args = page.locator('#tl-retry-args');
    const kwargs = page.locator('#tl-retry-kwargs');
    // The Python reprs arrive converted to JSON.
    assert.equal(await args.inputValue(), `[${PICK},"user-${PICK}@example.com"]`);
    assert.equal(await kwargs.inputValue(), '{"priority":0,"dry_run":false,"tags":["a","b"]}');
    await args.fill('[1, "x"]');
    await kwargs.fill('{"priority": 2}');
    await shot('retry-editor');
    const retry = page.locator('.tl-editor vscode-button[aria-label="Retry with these args"]');
    await retry.click();
    const sent = (await posted()).filter((m) => m.type === 'retry');
    assert.equal(sent.length, 1);
    const { requestId, ...rest } = sent[0] as Extract<WebviewToHostMessage, { type: 'retry' }>;
    assert.equal(typeof requestId, 'number');
    assert.deepEqual(rest, { type: 'retry', taskId: taskId(PICK), name: 'app.tasks.send_email', args: [1, 'x'], kwargs: { priority: 2 }, queue: 'celery' });

    await args.fill('[1,');
    assert.match(await page.locator('#tl-retry-args-error').innerText(), /not valid JSON/);
    assert.equal(await retry.getAttribute('disabled'), '');
    await kwargs.fill('[]');
    assert.match(await page.locator('#tl-retry-kwargs-error').innerText(), /must be a JSON object/);
    await retry.click({ force: true });
    assert.equal((await posted()).filter((m) => m.type === 'retry').length, 1, 'nothing sent while invalid');

    await page.evaluate((id) => window.__host.send({ type: 'action-result', requestId: id, ok: true, message: 'sent as 5f2c', newTaskId: '5f2c' }), requestId);
    await page.locator('.tl-status', { hasText: 'sent as 5f2c' }).waitFor();
  });

  it('shows a group as a graph whose nodes navigate to their tasks', async () => {
    // Task 8400 roots a group of 8401…8404 (see synthetic.ts).
    const input = page.locator('vscode-textfield input');
    await input.fill('user-8402@');
    await waitFor('window.__timeline.matchingTaskCount() === 1');
    await input.press('Enter');
    await waitFor(`window.__timeline.detailsTaskId() === ${JSON.stringify(taskId(8402))}`);
    const graph = page.locator('aside .tl-graph');
    assert.match(await page.locator('aside').innerText(), /a group of 4 tasks/);
    assert.equal(await graph.locator('button').count(), 5);
    await input.fill('');
    await waitFor(`window.__timeline.matchingTaskCount() === ${TASKS}`);
    await graph.locator('button', { hasText: /^send_email$/ }).first().click(); // 8400 % 6 = 0: the root (nodes show the short name)
    await waitFor(`window.__timeline.detailsTaskId() === ${JSON.stringify(taskId(8400))}`);
    await page.locator('canvas.tl-canvas').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('-');
    await paint();
    await shot('workflow');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') fs.copyFileSync(path.join(ARTIFACTS, 'workflow.png'), path.join(__dirname, '..', '..', 'docs', 'screenshot-timeline.png'));
    // Back to the task the next tests act on.
    await input.fill(`user-${PICK}@`);
    await waitFor('window.__timeline.matchingTaskCount() === 1');
    await input.press('Enter');
    await waitFor(`window.__timeline.detailsTaskId() === ${JSON.stringify(taskId(PICK))}`);
    await input.fill('');
    await waitFor(`window.__timeline.matchingTaskCount() === ${TASKS}`);
  });

  it('revokes with terminate and asks for the source', async () => {
    await page.locator('aside vscode-checkbox').click();
    await page.locator('aside vscode-button[aria-label^="Revoke"]').click();
    await page.locator('aside vscode-button', { hasText: 'Go to task source' }).click();
    const m = await posted();
    const revoke = m.find((x) => x.type === 'revoke') as Extract<WebviewToHostMessage, { type: 'revoke' }>;
    assert.deepEqual({ ...revoke, requestId: 0 }, { type: 'revoke', requestId: 0, taskId: taskId(PICK), terminate: true });
    assert.deepEqual(m.find((x) => x.type === 'open-source'), { type: 'open-source', name: 'app.tasks.send_email' });
  });

  it('shows a live event at the live edge when following', async () => {
    await page.locator('canvas.tl-canvas').focus();
    await page.keyboard.press('End');
    const id = await page.evaluate(() => window.__host.live(window.__host.now()));
    await waitFor(`window.__timeline.barCenter(${JSON.stringify(id)}) !== undefined`);
    assert.equal(await hook((tl) => tl.viewport().follow), true);
  });

  it('follows the theme: a light theme redraws with its colours', async () => {
    await page.evaluate(() => {
      document.body.className = 'vscode-light';
      const s = document.documentElement.style;
      s.setProperty('--vscode-editor-background', '#ffffff');
      s.setProperty('--vscode-foreground', '#3b3b3b');
      s.setProperty('--vscode-sideBar-background', '#f8f8f8');
      s.setProperty('--vscode-descriptionForeground', '#717171');
      s.setProperty('--vscode-panel-border', '#e5e5e5');
    });
    await paint();
    const pixel = await page.evaluate(() => {
      const c = document.querySelector('canvas.tl-canvas');
      return Array.from(c.getContext('2d').getImageData(2, 2, 1, 1).data).slice(0, 3);
    });
    assert.deepEqual(pixel, [255, 255, 255]);
    await shot('light-theme');
  });

  it('restores zoom, filters and selection when the panel is shown again', async () => {
    await setFacet('states', ['FAILURE']);
    const before = await hook((tl) => tl.viewport());
    await page.waitForTimeout(400); // the view state is saved a moment after changes
    await page.reload();
    await waitFor(`window.__host.posted.some((m) => m.type === 'ready')`);
    await page.evaluate((n) => window.__host.load(n, 10_000), TASKS);
    await settled();
    const after = await hook((tl) => ({ viewport: tl.viewport(), matching: tl.matchingTaskCount(), selected: tl.selectedTaskId() }));
    assert.equal(after.matching, info.failed);
    assert.equal(after.viewport.msPerPx, before.msPerPx);
    assert.equal(after.selected, taskId(PICK));
    assert.deepEqual(await page.evaluate(() => document.querySelector('vscode-multi-select[data-facet="states"]').value), ['FAILURE']);
    assert.deepEqual(t.errors, []);
  });
});
