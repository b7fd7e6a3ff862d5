/**
 * What each tree view's provider lists, read through the providers themselves
 * (the UI session checks the same views on screen). Items are told apart by
 * their contextValue: this suite is bundled apart from the extension, so its
 * classes are not the extension's (instanceof would always be false).
 */
import * as assert from 'node:assert/strict';
import type { ConnectionItem, QueueItem } from '../../src/extension/views/queues-view';
import type { ActiveTaskItem, EmbeddedWorkerItem } from '../../src/extension/views/workers-view';
import type { TaskGroupItem, TaskItem } from '../../src/extension/views/tasks-view';
import { celeriac, embedded, runningWorker, runTask, waitFor } from './helpers';

describe('tree views', () => {
  before(async () => {
    await runningWorker();
  });

  it('Queues: the embedded connection, and a queue with its ready count and consumers', async () => {
    const { views } = await celeriac();
    const connection = await embedded();
    const queue = `view-${Date.now()}`;
    await connection.send('e2e.add', [1, 1], {}, { queue });
    await connection.send('e2e.add', [2, 2], {}, { queue });
    await connection.refreshQueues();
    const top = views.queues.getChildren();
    const item = top.find((n): n is ConnectionItem => n.contextValue === 'connection' && (n as ConnectionItem).connection === connection);
    assert.ok(item, 'the embedded connection is listed');
    const q = await waitFor(`queue ${queue} in the view`, () =>
      views.queues.getChildren(item).find((n): n is QueueItem => n.contextValue === 'queue' && (n as QueueItem).stats.queue === queue && (n as QueueItem).stats.ready === 2),
    );
    assert.equal(q.description, '2 ready · 0 in flight · 0 consumers');
    assert.equal(q.contextValue, 'queue', 'purge and enqueue apply to it');
    await connection.purge(queue);
  });

  it('Workers: the embedded worker with its pool and busy slots, and the task it runs now', async () => {
    const { views } = await celeriac();
    const connection = await embedded();
    const id = await connection.send('e2e.nap', [3000], {}, {});
    const worker = await waitFor('the worker to show 1 busy', () =>
      views.workers.getChildren().find((n): n is EmbeddedWorkerItem => String(n.contextValue).startsWith('worker.embedded.') && /1\/\d+ busy/.test(String(n.description))),
    );
    assert.match(String(worker.description), /^running · async ×\d+ · 1\/\d+ busy · \d+ done$/);
    const running = views.workers.getChildren(worker).filter((n): n is ActiveTaskItem => n.contextValue === 'activeTask');
    assert.deepEqual(running.map((n) => n.task.uuid), [id]);
    assert.equal(running[0].label, 'e2e.nap');
  });

  it('Tasks: a finished task under Succeeded, with its args', async () => {
    const { views } = await celeriac();
    assert.equal(await runTask('e2e.add', [40, 2]), 42);
    const group = await waitFor('the Succeeded group', () =>
      views.tasks.getChildren().find((n): n is TaskGroupItem => n.label === 'Succeeded' && 'tasks' in n),
    );
    const items = views.tasks.getChildren(group).filter((n): n is TaskItem => 'task' in n);
    const mine = items.find((n) => n.task.name === 'e2e.add' && n.task.args?.includes('40'));
    assert.ok(mine, `e2e.add(40, 2) is listed (${items.map((n) => `${n.label} ${n.description}`).join('; ')})`);
    // Its runtime, in a unit that fits: a quick task is not "0 ms".
    assert.match(String(mine.description), /\(40, 2\) · \d+(\.\d)? (µs|ms)$/);
  });

  it('Registered: the workspace’s tasks, each with its file and line', async () => {
    const { views } = await celeriac();
    const items = views.registered.getChildren();
    assert.deepEqual(items.map((n) => n.label).sort(), ['e2e.add', 'e2e.code_version', 'e2e.nap']);
    for (const n of items) assert.match(String(n.description), /^tasks\.ts:\d+$/);
  });
});
