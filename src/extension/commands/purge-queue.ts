import * as vscode from 'vscode';
import { QueueItem } from '../views/queues-view';
import type { CommandFactory } from './command';

/** Purge Queue: a modal confirmation that shows how many messages go. */
export const purgeQueueCommand: CommandFactory = (s) => ({
  id: 'celeriac.purgeQueue',
  async execute(node?: QueueItem) {
    let target = node;
    if (!target) {
      const connection = await s.connections.pick();
      if (!connection) return;
      await connection.refreshQueues();
      const pick = await vscode.window.showQuickPick(
        connection.queueStats.map((st) => ({ label: st.queue, description: `${st.ready} ready`, item: new QueueItem(connection, st) })),
        { placeHolder: 'Queue to purge' },
      );
      target = pick?.item;
    }
    if (!target) return;
    await target.connection.refreshQueues();
    const ready = target.connection.queueStats.find((q) => q.queue === target!.stats.queue)?.ready ?? target.stats.ready;
    const choice = await vscode.window.showWarningMessage(
      `Purge ${ready} message${ready === 1 ? '' : 's'} from '${target.stats.queue}'?`,
      { modal: true, detail: `Waiting messages on ${target.connection.url} are deleted. Messages a worker holds are not touched. This cannot be undone.` },
      'Purge',
    );
    if (choice !== 'Purge') return;
    const n = await target.connection.purge(target.stats.queue);
    s.log.info(`purged ${n} message(s) from ${target.stats.queue} on ${target.connection.url}`);
    void vscode.window.showInformationMessage(`Celeriac: purged ${n} message${n === 1 ? '' : 's'} from '${target.stats.queue}'.`);
    return n;
  },
});
