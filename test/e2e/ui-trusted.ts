/**
 * The trusted-workspace UI session: what a user does with the Celeriac views
 * and commands, driven through the real workbench.
 */
import * as assert from 'node:assert/strict';
import type { CodeServer } from './code-server';
import type { StepRunner } from './steps';
import { waitFor } from './wait';
import { Workbench } from './workbench';

export interface TrustedUiOptions {
  server: CodeServer;
  /** Where to save the screenshot of the populated Celeriac views. */
  viewsScreenshot: string;
  metric(name: string, value: number): void;
}

const WORKER_PROCESS = /celeriac worker|cli\/bin\.js worker/;

export function workerPids(server: CodeServer): number[] {
  return server
    .processes()
    .filter((p) => WORKER_PROCESS.test(p.args))
    .map((p) => p.pid);
}

/** Enqueue Task… from the palette: pick the task, type args, keep kwargs, send now or to a queue. */
export async function enqueue(wb: Workbench, task: string, args: string, queue?: string): Promise<void> {
  await wb.runCommand('Celeriac: Enqueue Task');
  await wb.pick(task);
  await wb.input('Positional arguments', args);
  await wb.input('Keyword arguments');
  if (queue) {
    await wb.pick('Send to another queue', 'another queue');
    await wb.input('Queue name', queue);
  } else {
    await wb.pick('Send now');
  }
  await wb.notification(`sent ${task}`).last().waitFor();
}

/** Open a succeeded task of the Tasks view (found by a piece of its args) and return its details document's text. */
async function succeededTaskDetails(wb: Workbench, task: string, argsText: string): Promise<string> {
  await wb.expandRow(wb.row('Tasks', 'Succeeded'));
  const row = wb.row('Tasks', task, argsText);
  await row.waitFor();
  await row.click();
  await wb.activeTab(`task ${task}`).waitFor();
  return waitFor(`the details of ${task}`, async () => {
    const text = await wb.editorText();
    return text.includes('"result"') ? text : undefined;
  });
}

export async function trustedUi(wb: Workbench, steps: StepRunner, o: TrustedUiOptions): Promise<void> {
  const { server } = o;

  await steps.step('the Celeriac views show the embedded broker, the running worker and the registered tasks', async () => {
    await wb.openCeleriac();
    await wb.row('Queues', 'Embedded (memory://)').waitFor();
    await wb.row('Queues', /^celery/, '0 ready').waitFor();
    await wb.row('Workers', 'tasks.ts', 'running').waitFor({ timeout: 30_000 });
    for (const name of ['e2e.add', 'e2e.code_version', 'e2e.nap']) await wb.row('Registered Tasks', name).waitFor();
    // The worker is a child process of the extension host (the same process group as code-server).
    assert.equal(workerPids(server).length, 1, 'one `celeriac worker` process runs in the code-server process group');
  });

  await steps.step('Enqueue Task… from the command palette runs e2e.add(2, 3) and the Tasks view shows its result', async () => {
    await enqueue(wb, 'e2e.add', '[2, 3]');
    const details = await succeededTaskDetails(wb, 'e2e.add', '2, 3');
    assert.match(details, /"state": "SUCCESS"/);
    assert.match(details, /"result": "?5"?/);
  });

  await steps.step('the Queues view shows a queue and its count after an enqueue', async () => {
    await enqueue(wb, 'e2e.nap', '[1]', 'parked');
    await wb.row('Queues', /^parked/, '1 ready').waitFor();
    await enqueue(wb, 'e2e.nap', '[2]', 'parked');
    await wb.row('Queues', /^parked/, '2 ready').waitFor();
  });

  await steps.step('a running task shows in the Tasks view and under its worker', async () => {
    await enqueue(wb, 'e2e.nap', '[4000]');
    await wb.row('Tasks', 'Running', '1').waitFor();
    await wb.row('Tasks', 'e2e.nap', '4000').first().waitFor();
    await wb.expandRow(wb.row('Workers', 'tasks.ts', '1/4 busy'));
    await wb.row('Workers', 'e2e.nap', 'running').waitFor();
    // The picture of the views for the README (npm run docs:screenshot copies it to docs/).
    await wb.clearNotifications();
    await wb.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden' });
    await wb.setSidebarWidth(440);
    await wb.page.keyboard.press('Control+1'); // focus leaves the side bar: no focus outline in the picture
    await wb.page.locator('.part.sidebar .pane-body:focus-within').first().waitFor({ state: 'detached' });
    await wb.page.locator('.part.sidebar').screenshot({ path: o.viewsScreenshot });
    await wb.row('Tasks', 'Running').waitFor({ state: 'detached', timeout: 10_000 });
  });

  await steps.step('Purge Queue asks for confirmation and empties the queue', async () => {
    await wb.runCommand('Celeriac: Purge Queue');
    await wb.pick('parked');
    const dialog = wb.dialog("Purge 2 messages from 'parked'?");
    await dialog.waitFor();
    await dialog.locator('.monaco-button', { hasText: /^Purge$/ }).click();
    await dialog.waitFor({ state: 'hidden' });
    await wb.notification("purged 2 messages from 'parked'").waitFor();
    await wb.row('Queues', /^parked/, '0 ready').waitFor();
  });

  await steps.step('saving tasks.ts through VS Code restarts the worker and the new code runs', async () => {
    await wb.openFile('tasks.ts');
    await wb.replaceAll("() => 'v1'", "() => 'v2'");
    await wb.save('tasks.ts');
    await wb.runCommand('Celeriac: Show Log');
    const line = await waitFor('"restarted with the saved code" in the Celeriac log', async () => /restarted with the saved code in (\d+) ms/.exec(await wb.outputText()));
    o.metric('uiSaveToRestartMs', Number(line[1]));
    await wb.row('Workers', 'tasks.ts', 'running').waitFor();
    await enqueue(wb, 'e2e.code_version', '["save-ok"]');
    const details = await succeededTaskDetails(wb, 'e2e.code_version', 'save-ok');
    assert.match(details, /"result": "?'?v2'?"?/);
    assert.doesNotMatch(details, /v1/);
    // The previous generation finished (nothing was running) and exited.
    await waitFor('one worker process', () => workerPids(server).length === 1);
  });

  await steps.step('a save that does not build keeps the old worker, shows the error and the Problems panel', async () => {
    const pidsBefore = workerPids(server);
    await wb.openFile('tasks.ts');
    await wb.replaceAll("() => 'v2'", "() => 'v3' +");
    await wb.save('tasks.ts');
    const toast = wb.notification('does not build; the running worker keeps the previous code');
    await toast.waitFor();
    await toast.locator('.monaco-button', { hasText: 'Show Problems' }).click();
    // esbuild's message (TypeScript's own diagnostic for the same line says "Expression expected").
    await wb.page.locator('.part.panel .markers-panel .monaco-list-row', { hasText: 'Unexpected ")"' }).filter({ hasText: 'celeriac' }).first().waitFor();
    await wb.row('Workers', 'tasks.ts', 'running').waitFor();
    await enqueue(wb, 'e2e.code_version', '["save-broken"]');
    const details = await succeededTaskDetails(wb, 'e2e.code_version', 'save-broken');
    assert.match(details, /"result": "?'?v2'?"?/, 'the old worker (with the last good code) ran the task');
    const pidsAfter = workerPids(server);
    assert.deepEqual(pidsAfter, pidsBefore, 'the worker process was not replaced');
  });
}
