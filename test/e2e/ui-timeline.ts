/**
 * The timeline panel in the real workbench: its page loads inside VS Code's
 * webview (CSP, local resource roots), shows the embedded worker's tasks,
 * and Retry with edited args from the page sends a task the worker runs.
 */
import * as assert from 'node:assert/strict';
import type { StepRunner } from './steps';
import { enqueue } from './ui-trusted';
import type { Workbench } from './workbench';

export interface TimelineUiOptions {
  /** Where to save a picture of the panel (an artifact). */
  screenshot: string;
}

export async function timelineUi(wb: Workbench, steps: StepRunner, o: TimelineUiOptions): Promise<void> {
  await steps.step('Open Timeline shows a task on the worker’s lane; its details, and Retry with edited args, run it again with new args', async () => {
    await enqueue(wb, 'e2e.add', '[40, 2]');
    await wb.runCommand('Celeriac: Open Timeline');
    await wb.activeTab('Timeline — ').waitFor();
    const page = wb.webview();
    await page.locator('canvas.tl-canvas').waitFor();

    // Search by an argument, Enter selects the match and opens its details.
    const search = page.locator('vscode-textfield input');
    await search.fill('40, 2');
    await page.locator('.tl-counts', { hasText: /^1 of \d+ tasks$/ }).waitFor();
    await search.press('Enter');
    const details = page.locator('aside.tl-details');
    await details.locator('h2', { hasText: 'e2e.add' }).waitFor();
    const text = await details.innerText();
    assert.match(text, /SUCCESS/);
    assert.match(text, /40, 2/);
    assert.match(text, /Result\s+42/i);
    assert.match(text, /worker\s+tasks-\d+@/, 'the details name the embedded worker (tasks-<generation>@host)');

    await details.locator('vscode-button', { hasText: 'Retry with edited args' }).click();
    await page.locator('#tl-retry-args').fill('[40, 3]');
    await page.locator('.tl-editor vscode-button[aria-label="Retry with these args"]').click();
    await details.locator('.tl-status', { hasText: /sent e2e\.add again as/ }).waitFor();
    // The new task is selected once its events arrive, and it ran with the edited args.
    await details.locator('pre', { hasText: /^\[?\(?40, 3/ }).waitFor();
    await details.locator('.tl-state', { hasText: 'SUCCESS' }).waitFor();
    assert.match(await details.innerText(), /Result\s+43/i);
    await wb.page.screenshot({ path: o.screenshot });
  });
}
