/**
 * The untrusted-workspace session (code-server started WITH workspace trust,
 * the folder opened in Restricted Mode): the extension still shows brokers and
 * tasks, but runs no workspace code — no worker process, and the Workers view
 * says why.
 */
import * as assert from 'node:assert/strict';
import type { CodeServer } from './code-server';
import type { StepRunner } from './steps';
import { enqueue, workerPids } from './ui-trusted';
import { Workbench } from './workbench';

export async function untrustedUi(wb: Workbench, steps: StepRunner, server: CodeServer): Promise<void> {
  await steps.step('the folder opens in Restricted Mode', async () => {
    await wb.statusBarItem('Restricted Mode').waitFor();
  });

  await steps.step('the extension activates but starts no worker, and the Workers view shows the trust message', async () => {
    await wb.openCeleriac();
    // Proof the extension is active and has looked at the workspace (nothing executed).
    await wb.row('Queues', 'Embedded (memory://)').waitFor();
    for (const name of ['e2e.add', 'e2e.code_version', 'e2e.nap']) await wb.row('Registered Tasks', name).waitFor();
    await wb.expandView('Workers');
    await wb.view('Workers').getByText("Workers run your workspace's code, so they only start in a trusted workspace.").waitFor();
    assert.equal(await wb.row('Workers', 'tasks.ts').count(), 0, 'no embedded worker listed');
    assert.deepEqual(workerPids(server), [], 'no `celeriac worker` process in the code-server process group');
  });

  await steps.step('a task sent in Restricted Mode waits in its queue: nothing consumes it', async () => {
    await enqueue(wb, 'e2e.add', '[1, 1]');
    await wb.row('Queues', /^celery/, '1 ready').waitFor();
    // Start/Restart Worker are not offered in Restricted Mode (Stop Worker, say, is).
    await wb.page.keyboard.press('F1');
    await wb.quickInput.locator('.quick-input-box input').fill('>Celeriac:');
    const commands = wb.quickInput.locator('.quick-input-list .monaco-list-row');
    await commands.filter({ hasText: 'Celeriac: Stop Worker' }).waitFor();
    assert.equal(await commands.filter({ hasText: 'Celeriac: Start Worker' }).count(), 0, 'Start Worker is hidden');
    assert.equal(await commands.filter({ hasText: 'Celeriac: Restart Worker' }).count(), 0, 'Restart Worker is hidden');
    await wb.page.keyboard.press('Escape');
    assert.deepEqual(workerPids(server), [], 'still no `celeriac worker` process');
  });
}
