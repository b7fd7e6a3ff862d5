/** Activation in a real extension host: the API, the commands, the embedded worker, the registered tasks. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { celeriac, EXTENSION_ID, reportMetric, runningWorker } from './helpers';

describe('activation', () => {
  it('activates on the workspace and reports how long activate() took', async () => {
    const api = await celeriac();
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs > 0, `activationMs is ${api.activationMs}`);
    reportMetric('activationMs', api.activationMs);
    assert.ok(api.services.connections.embedded, 'the embedded broker connection is open');
  });

  it('registers every command package.json contributes', async () => {
    await celeriac();
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length > 0);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
      'contributed commands without a handler',
    );
  });

  it("starts the workspace's tasks.ts as a worker process (not in the extension host)", async () => {
    const worker = await runningWorker();
    assert.ok(worker.pid && worker.pid !== process.pid, `worker pid ${worker.pid}`);
    process.kill(worker.pid, 0); // throws if there is no such process
  });

  it('lists the tasks tasks.ts registers, with their locations', async () => {
    const { services } = await celeriac();
    await runningWorker();
    const names = services.supervisor.registeredTasks.map((t) => t.name);
    assert.deepEqual(names, ['e2e.add', 'e2e.code_version', 'e2e.nap']);
    const add = services.supervisor.registeredTasks.find((t) => t.name === 'e2e.add')!;
    assert.match(add.file, /tasks\.ts$/);
    assert.ok(add.line > 0);
  });
});
