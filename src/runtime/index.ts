/**
 * Celeriac: a Celery-compatible task queue for TypeScript.
 *
 *   import { createApp } from 'celeriac';
 *   const app = createApp({ broker: 'memory://' });
 *   export const add = app.task('proj.tasks.add', (a: number, b: number) => a + b);
 *   const result = await add.delay(2, 3);
 *   await result.get({ timeout: 10 }); // 5
 */
export { App, createApp, type AppEvents, type SentTask } from './app/app';
export { Task, type TaskDefinition } from './app/task';
export { sharedTask } from './app/shared-task';
export { AsyncResult, type GetOptions } from './app/async-result';
export { GroupResult } from './app/group-result';
export { Signature, sig, type SignatureOptions } from './canvas/signature';
export { Chain, chain } from './canvas/chain';
export { Group, group } from './canvas/group';
export { Chord, chord } from './canvas/chord';
export type { TaskOptions, ApplyOptions, ErrorMatcher } from './app/task-options';
export type { TaskContext, RetryOptions, DeliveryInfo } from './app/task-context';
export type { TaskRoutes, RouteOptions, Router } from './app/routing';
export { Worker, type WorkerOptions, type WorkerState, type ActiveTaskInfo } from './worker/worker';
export type * from './worker/worker-events';
export type { Broker, Consumer, Delivery, QueueStats, ConsumeOptions } from './brokers/broker';
export { createBroker } from './brokers/create-broker';
export type { ResultBackend } from './backends/backend';
export { createBackend } from './backends/create-backend';
export { serveHub, type HubServer } from './brokers/memory/hub-server';
export { getLocalHub, MEMORY_SOCKET_ENV } from './brokers/memory/memory-hub';
export type { CeleriacConfig, AppOptions } from './config';
export { Beat, beatStateKey, type BeatOptions, type BeatEvents, type BeatSentTask, type BeatEntryStatus } from './beat/beat';
export type { BeatSchedule, BeatScheduleEntry } from './beat/beat-schedule';
export {
  crontab,
  interval,
  CrontabSchedule,
  IntervalSchedule,
  type Schedule,
  type CrontabFields,
  type CrontabOptions,
  type DurationParts,
} from './beat/schedules';
export { defineScenario, type Scenario, type SendSpec, type FaultSpec, type WorkersSpec, type BrokerSpec, type IdempotencyCheck } from './sim/scenario';
export { createLogger, type Logger, type LogLevel } from './log';
export type { Clock } from './clock';
export type { Disposable } from './disposable';
export * from './errors';
export { SyncSubtaskError } from './worker/join-guard';
export * as states from './states';
export * as protocol from './protocol';
