/** The embedded broker from the extension host: tasks run in the worker; queue counts; events for the Tasks view. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { embedded, runningWorker, runTask, waitFor } from './helpers';

describe('queues and tasks', () => {
  before(async () => {
    await runningWorker();
  });

  it('runs a task sent to the embedded broker in the worker and stores its result', async () => {
    assert.equal(await runTask('e2e.add', [2, 3]), 5);
  });

  it("gets the worker's task events (what the Tasks view lists)", async () => {
    const connection = await embedded();
    const id = await connection.send('e2e.add', [20, 22], {}, {});
    const task = await waitFor('the task-succeeded event', () => {
      const t = connection.state.tasks.get(id);
      return t?.state === 'SUCCESS' ? t : undefined;
    });
    assert.equal(task.name, 'e2e.add');
    assert.equal(task.result, '42');
  });

  it('counts the messages waiting in a queue nobody consumes, and purges them', async () => {
    const connection = await embedded();
    const queue = `parked-${Date.now()}`;
    for (let i = 0; i < 3; i++) await connection.send('e2e.add', [i, i], {}, { queue });
    await connection.refreshQueues();
    const stats = await waitFor(`queue ${queue} to show 3 ready`, () => connection.queueStats.find((q) => q.queue === queue && q.ready === 3));
    assert.equal(stats.unacked, 0);
    assert.equal(await connection.purge(queue), 3);
    await connection.refreshQueues();
    assert.equal(connection.queueStats.find((q) => q.queue === queue)?.ready, 0);
  });

  it('focuses the Celeriac views through their contributed commands', async () => {
    // Throws if the view container or a view is not contributed.
    await vscode.commands.executeCommand('celeriac.queues.focus');
    await vscode.commands.executeCommand('celeriac.workers.focus');
    await vscode.commands.executeCommand('celeriac.tasks.focus');
    await vscode.commands.executeCommand('celeriac.registered.focus');
  });
});
