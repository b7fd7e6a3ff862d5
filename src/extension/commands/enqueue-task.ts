import * as vscode from 'vscode';
import type { ApplyOptions } from '../../runtime/app/task-options';
import type { LiveConnection } from '../connections/live-connection';
import { QueueItem } from '../views/queues-view';
import { RegisteredTaskItem } from '../views/registered-view';
import type { CommandFactory, Services } from './command';

export function validateJson(kind: 'list' | 'object') {
  return (text: string): string | undefined => {
    if (!text.trim()) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      return `Not valid JSON: ${(err as Error).message}`;
    }
    if (kind === 'list' && !Array.isArray(v)) return 'Positional arguments must be a JSON list, e.g. [2, 3]';
    if (kind === 'object' && (typeof v !== 'object' || v === null || Array.isArray(v))) return 'Keyword arguments must be a JSON object, e.g. {"x": 1}';
    return undefined;
  };
}

/** Task names the workspace defines, plus those the connection's workers report (Python ones too). */
async function taskNames(s: Services, connection: LiveConnection): Promise<vscode.QuickPickItem[]> {
  const items = new Map<string, vscode.QuickPickItem>();
  for (const t of s.supervisor.registeredTasks) items.set(t.name, { label: t.name, description: 'workspace' });
  const replies = await connection.inspect('registered', { taskinfoitems: [] }, undefined, 0.5).catch(() => ({}));
  for (const [node, names] of Object.entries(replies)) {
    if (!Array.isArray(names)) continue;
    for (const n of names) if (typeof n === 'string' && !items.has(n.split(' ')[0])) items.set(n.split(' ')[0], { label: n.split(' ')[0], description: node });
  }
  return [...items.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * Where the workspace's own worker for this task listens. The extension never
 * loads user code, so it cannot apply the app's routing (e.g. its
 * task_default_queue); asking the worker that defines the task is the next
 * best thing. Undefined: default routing.
 */
async function queueOfDefiningWorker(s: Services, connection: LiveConnection, name: string): Promise<string | undefined> {
  if (connection.kind !== 'embedded') return undefined;
  const worker = s.supervisor.workerDefining(name);
  if (!worker) return undefined;
  const replies = await connection.inspect('active_queues', {}, [worker.hostname], 1).catch(() => ({}) as Record<string, unknown>);
  const queues = replies[worker.hostname];
  const first = Array.isArray(queues) ? (queues[0] as { name?: unknown } | undefined) : undefined;
  return typeof first?.name === 'string' ? first.name : undefined;
}

async function askOptions(queue: string | undefined): Promise<ApplyOptions | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Send now', id: 'now' },
      { label: 'Send to another queue…', id: 'queue' },
      { label: 'Send with a countdown…', id: 'countdown' },
      { label: 'Send at a time (ETA)…', id: 'eta' },
    ],
    { title: 'Enqueue Task', placeHolder: queue ? `Queue: ${queue}` : 'Default routing' },
  );
  if (!pick) return undefined;
  const options: ApplyOptions = queue ? { queue } : {};
  if (pick.id === 'queue') {
    const q = await vscode.window.showInputBox({ prompt: 'Queue name', value: queue ?? 'celery', validateInput: (v) => (v.trim() ? undefined : 'Enter a queue name') });
    if (!q) return undefined;
    options.queue = q.trim();
  } else if (pick.id === 'countdown') {
    const c = await vscode.window.showInputBox({
      prompt: 'Seconds from now',
      value: '10',
      validateInput: (v) => (Number.isFinite(Number(v)) && Number(v) >= 0 ? undefined : 'Enter a number of seconds'),
    });
    if (c === undefined) return undefined;
    options.countdown = Number(c);
  } else if (pick.id === 'eta') {
    const e = await vscode.window.showInputBox({
      prompt: 'When (ISO-8601, e.g. 2026-12-01T09:00:00Z)',
      value: new Date(Date.now() + 60_000).toISOString(),
      validateInput: (v) => (Number.isNaN(Date.parse(v)) ? 'Enter an ISO-8601 date and time' : undefined),
    });
    if (!e) return undefined;
    options.eta = e;
  }
  return options;
}

/** Enqueue Task…: pick a task, give args/kwargs as JSON (checked as you type), send. */
export const enqueueTaskCommand: CommandFactory = (s) => ({
  id: 'celeriac.enqueueTask',
  async execute(node?: QueueItem | RegisteredTaskItem) {
    const connection = await s.connections.pick(node instanceof QueueItem ? node.connection : undefined);
    if (!connection) return;
    let name = node instanceof RegisteredTaskItem ? node.task.name : undefined;
    if (!name) {
      const qp = vscode.window.createQuickPick();
      qp.title = 'Enqueue Task';
      qp.placeholder = 'Task name (type any name to send a task defined elsewhere)';
      qp.busy = true;
      qp.show();
      void taskNames(s, connection).then((items) => {
        qp.items = items;
        qp.busy = false;
      });
      name = await new Promise<string | undefined>((resolve) => {
        qp.onDidAccept(() => resolve(qp.selectedItems[0]?.label ?? (qp.value.trim() || undefined)));
        qp.onDidHide(() => resolve(undefined));
      });
      qp.dispose();
    }
    if (!name) return;
    const args = await vscode.window.showInputBox({
      title: `Enqueue ${name}`,
      prompt: 'Positional arguments (JSON list)',
      value: '[]',
      validateInput: validateJson('list'),
    });
    if (args === undefined) return;
    const kwargs = await vscode.window.showInputBox({
      title: `Enqueue ${name}`,
      prompt: 'Keyword arguments (JSON object)',
      value: '{}',
      validateInput: validateJson('object'),
    });
    if (kwargs === undefined) return;
    const options = await askOptions(node instanceof QueueItem ? node.stats.queue : await queueOfDefiningWorker(s, connection, name));
    if (!options) return;
    const id = await connection.send(name, JSON.parse(args || '[]'), JSON.parse(kwargs || '{}'), options);
    s.log.info(`sent ${name}[${id}] to ${connection.url}`);
    void vscode.window.showInformationMessage(`Celeriac: sent ${name} (${id}).`);
    return id;
  },
});
