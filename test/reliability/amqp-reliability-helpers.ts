/**
 * Shared by the RabbitMQ reliability tests: CLI workers on an amqp:// broker
 * with results and per-task execution counts in Redis (a sink that outlives
 * both the worker and the AMQP connection). Keys are unique per test and
 * deleted after, so the database is never flushed under someone else.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { rawClient, REDIS_DB, redisUrl } from '../helpers/redis';
import { startRedisWorker, type WorkerProcess } from './reliability-helpers';

export const SINK_URL = redisUrl(REDIS_DB.amqpReliability);

export function sinkClient(): Redis {
  return rawClient(REDIS_DB.amqpReliability);
}

export interface AmqpWorkerSpec {
  name: string;
  broker: string;
  queue: string;
  runsKey: string;
  concurrency?: number;
  /** e.g. RELIABILITY_TASK_QUEUES */
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
}

export function startAmqpWorker(spec: AmqpWorkerSpec): Promise<WorkerProcess> {
  return startRedisWorker({ ...spec, vt: 3600, counterUrl: SINK_URL, backend: SINK_URL });
}

export function uniqueName(what: string): string {
  return `celeriac-${what}-${randomUUID()}`;
}

/** Executions per task id, as counted by the task body. */
export async function runCounts(sink: Redis, runsKey: string): Promise<Map<string, number>> {
  return new Map(Object.entries(await sink.hgetall(runsKey)).map(([id, n]) => [id, Number(n)]));
}

export async function allSucceeded(sink: Redis, ids: readonly string[]): Promise<boolean> {
  for (let i = 0; i < ids.length; i += 500) {
    const metas = await sink.mget(...ids.slice(i, i + 500).map((id) => `celery-task-meta-${id}`));
    if (!metas.every((m) => m !== null && JSON.parse(m).status === 'SUCCESS')) return false;
  }
  return true;
}

/** Delete the test's counter and result keys. */
export async function deleteSinkKeys(sink: Redis, runsKey: string, ids: readonly string[]): Promise<void> {
  await sink.del(runsKey);
  for (let i = 0; i < ids.length; i += 500) await sink.del(...ids.slice(i, i + 500).map((id) => `celery-task-meta-${id}`));
}

/** ids that never ran, and how many ran more than once. */
export function tally(ids: readonly string[], runs: Map<string, number>): { missing: string[]; duplicated: number; executions: number; maxRuns: number } {
  const missing = ids.filter((id) => !runs.get(id));
  const counts = ids.map((id) => runs.get(id) ?? 0);
  return {
    missing,
    duplicated: counts.filter((n) => n > 1).length,
    executions: counts.reduce((a, b) => a + b, 0),
    maxRuns: Math.max(0, ...counts),
  };
}
