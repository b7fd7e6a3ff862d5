/**
 * The message a worker publishes to retry a task: Celery republishes the same
 * task id with retries + 1, an eta, parent_id = its own id, and everything
 * else (root, group, callbacks, reply_to) kept.
 */
import type { BrokerMessage } from '../protocol/message';
import type { DecodedTask } from '../protocol/decode-task';
import { encodeTaskMessage } from '../protocol/task-message';

// Headers Celery writes itself; anything else the sender added is carried over.
const OWN_HEADERS = new Set([
  'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries', 'timelimit',
  'root_id', 'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result', 'redelivered',
]);

export function buildRetryMessage(
  task: DecodedTask,
  retry: { etaMs: number; args?: unknown[]; kwargs?: Record<string, unknown> },
  origin: string,
): BrokerMessage {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(task.headers)) if (!OWN_HEADERS.has(k)) extra[k] = v;
  const args = retry.args ?? task.args;
  const kwargs = retry.kwargs ?? task.kwargs;
  const changedArgs = retry.args !== undefined || retry.kwargs !== undefined;
  return encodeTaskMessage({
    id: task.id,
    task: task.task,
    args,
    kwargs,
    embed: task.embed,
    eta: retry.etaMs,
    expires: task.expires,
    retries: task.retries + 1,
    timeLimit: task.timeLimit,
    rootId: task.rootId,
    parentId: task.id,
    group: task.group,
    groupIndex: task.groupIndex,
    shadow: task.shadow,
    origin,
    ignoreResult: task.ignoreResult,
    argsrepr: changedArgs ? undefined : (task.argsrepr ?? undefined),
    kwargsrepr: changedArgs ? undefined : (task.kwargsrepr ?? undefined),
    lang: task.lang ?? undefined,
    replyTo: task.replyTo ?? undefined,
    correlationId: task.correlationId ?? task.id,
    priority: task.priority ?? undefined,
    extraHeaders: Object.keys(extra).length ? extra : undefined,
  });
}
