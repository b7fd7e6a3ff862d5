/**
 * App configuration with Celery's setting names, accepted in snake_case
 * (`task_acks_late`) or camelCase (`taskAcksLate`). As in Celery, the broker
 * and backend URLs from the environment win over the app's own settings, which
 * is how `celeriac worker -b …` and the extension point an app elsewhere.
 */
import type { Broker } from './brokers/broker';
import type { ResultBackend } from './backends/backend';
import { ConfigError } from './errors';
import type { TaskRoutes } from './app/routing';
import { parseBeatSchedule, type BeatSchedule } from './beat/beat-schedule';
import { checkTimezone } from './beat/schedules';

export interface CeleriacConfig {
  brokerUrl: string;
  resultBackend: string | undefined;
  /** Seconds results are kept. */
  resultExpires: number;
  taskIgnoreResult: boolean;
  taskAcksLate: boolean;
  /** Also mark a task STARTED in the result backend when it begins. */
  taskTrackStarted: boolean;
  /** acksLate tasks whose process dies are requeued instead of failed. */
  taskRejectOnWorkerLost: boolean;
  taskDefaultQueue: string;
  /** Queue definitions with exchanges and binding keys (AMQP routing); see queue-definitions.ts. */
  taskQueues: unknown[] | undefined;
  taskDefaultPriority: number | undefined;
  taskRoutes: TaskRoutes | undefined;
  /** Seconds; the process pool kills a task past this. */
  taskTimeLimit: number | undefined;
  /** Seconds; the task's AbortSignal fires past this. */
  taskSoftTimeLimit: number | undefined;
  /** Seconds before a retry when neither countdown nor back-off says otherwise. */
  taskDefaultRetryDelay: number;
  /** Messages with bigger bodies are rejected rather than run. */
  taskMessageMaxBytes: number;
  taskSendSentEvent: boolean;
  workerSendTaskEvents: boolean;
  workerPrefetchMultiplier: number;
  workerConcurrency: number | undefined;
  workerMaxTasksPerChild: number | undefined;
  /** Seconds a warm shutdown waits for running tasks before requeueing them. */
  workerShutdownTimeout: number;
  brokerTransportOptions: Record<string, unknown>;
  /** Seconds between AMQP heartbeats (Celery's broker_heartbeat); the URL's `heartbeat` wins. */
  brokerHeartbeat: number | undefined;
  /** Seconds to wait for a broker connection (Celery's broker_connection_timeout, default 4). */
  brokerConnectionTimeout: number | undefined;
  resultBackendTransportOptions: Record<string, unknown>;
  /** TLS for the broker: `{ ca, cert, key }` (paths or PEM) or Celery's `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`, `ssl_cert_reqs`. */
  brokerUseSsl: Record<string, unknown> | undefined;
  /** TLS for the Redis result backend, same keys as broker_use_ssl. */
  redisBackendUseSsl: Record<string, unknown> | undefined;
  /** Beat's entries: `{ '<name>': { task, schedule, args?, kwargs?, options? } }`. */
  beatSchedule: BeatSchedule | undefined;
  /** Seconds beat sleeps at most between checks (`celeriac beat --max-interval`). */
  beatMaxLoopInterval: number;
  /** IANA time zone of crontab schedules that name none. */
  timezone: string;
}

export interface AppOptions extends Partial<Omit<CeleriacConfig, 'brokerUrl' | 'resultBackend'>> {
  /** A broker URL, or a Broker instance. */
  broker?: string | Broker;
  /** A result backend URL, or a ResultBackend instance. */
  backend?: string | ResultBackend;
  brokerUrl?: string;
  resultBackend?: string;
  /** Worker and client name (`name@host`); defaults to `celeriac@<hostname>`. */
  main?: string;
  /** Any Celery setting in snake_case is accepted too. */
  [snakeCaseKey: string]: unknown;
}

type Kind = 'string' | 'boolean' | 'number' | 'object' | 'routes';

const SETTINGS: Record<keyof CeleriacConfig, Kind> = {
  brokerUrl: 'string',
  resultBackend: 'string',
  resultExpires: 'number',
  taskIgnoreResult: 'boolean',
  taskAcksLate: 'boolean',
  taskTrackStarted: 'boolean',
  taskRejectOnWorkerLost: 'boolean',
  taskDefaultQueue: 'string',
  taskQueues: 'routes',
  taskDefaultPriority: 'number',
  taskRoutes: 'routes',
  taskTimeLimit: 'number',
  taskSoftTimeLimit: 'number',
  taskDefaultRetryDelay: 'number',
  taskMessageMaxBytes: 'number',
  taskSendSentEvent: 'boolean',
  workerSendTaskEvents: 'boolean',
  workerPrefetchMultiplier: 'number',
  workerConcurrency: 'number',
  workerMaxTasksPerChild: 'number',
  workerShutdownTimeout: 'number',
  brokerTransportOptions: 'object',
  brokerHeartbeat: 'number',
  brokerConnectionTimeout: 'number',
  resultBackendTransportOptions: 'object',
  brokerUseSsl: 'object',
  redisBackendUseSsl: 'object',
  beatSchedule: 'object',
  beatMaxLoopInterval: 'number',
  timezone: 'string',
};

export const DEFAULT_CONFIG: Readonly<CeleriacConfig> = Object.freeze({
  brokerUrl: 'memory://',
  resultBackend: undefined,
  resultExpires: 86_400,
  taskIgnoreResult: false,
  taskAcksLate: false,
  taskTrackStarted: false,
  taskRejectOnWorkerLost: false,
  taskDefaultQueue: 'celery',
  taskQueues: undefined,
  taskDefaultPriority: undefined,
  taskRoutes: undefined,
  taskTimeLimit: undefined,
  taskSoftTimeLimit: undefined,
  taskDefaultRetryDelay: 180,
  taskMessageMaxBytes: 8 * 1024 * 1024,
  taskSendSentEvent: false,
  workerSendTaskEvents: false,
  workerPrefetchMultiplier: 4,
  workerConcurrency: undefined,
  workerMaxTasksPerChild: undefined,
  workerShutdownTimeout: 30,
  brokerTransportOptions: {},
  brokerHeartbeat: undefined,
  brokerConnectionTimeout: undefined,
  resultBackendTransportOptions: {},
  brokerUseSsl: undefined,
  redisBackendUseSsl: undefined,
  beatSchedule: undefined,
  beatMaxLoopInterval: 300,
  timezone: 'UTC',
});

// Aliases Celery accepts for the two URLs.
const ALIASES: Record<string, keyof CeleriacConfig> = {
  broker: 'brokerUrl',
  backend: 'resultBackend',
  celeryBrokerUrl: 'brokerUrl',
  celeryResultBackend: 'resultBackend',
  celerybeatSchedule: 'beatSchedule',
  celerybeatMaxLoopInterval: 'beatMaxLoopInterval',
  celeryTimezone: 'timezone',
};

export function camelCase(key: string): string {
  const lower = /[A-Z]/.test(key) && !key.includes('_') ? key : key.toLowerCase();
  return lower.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function checkKind(key: string, kind: Kind, value: unknown): void {
  if (value === undefined || value === null) return;
  const ok =
    kind === 'routes'
      ? typeof value === 'object' || typeof value === 'function'
      : kind === 'object'
        ? typeof value === 'object' && !Array.isArray(value)
        : kind === 'number'
          ? typeof value === 'number' && Number.isFinite(value) && value >= 0
          : typeof value === kind;
  if (!ok) {
    const expected =
      kind === 'routes' ? 'an object, list or function' : kind === 'number' ? 'a non-negative number' : kind === 'object' ? 'an object' : `a ${kind}`;
    throw new ConfigError(`setting '${key}' must be ${expected}, got ${JSON.stringify(value) ?? typeof value}`);
  }
}

export interface NormalizedOptions {
  config: CeleriacConfig;
  brokerInstance?: Broker;
  backendInstance?: ResultBackend;
  main?: string;
  /** Settings that were given but are not known (warned about, not fatal: Celery configs carry many). */
  unknownKeys: string[];
}

export function normalizeConfig(options: AppOptions = {}, env: NodeJS.ProcessEnv = process.env): NormalizedOptions {
  const config: CeleriacConfig = { ...DEFAULT_CONFIG, brokerTransportOptions: {}, resultBackendTransportOptions: {} };
  const unknownKeys: string[] = [];
  let brokerInstance: Broker | undefined;
  let backendInstance: ResultBackend | undefined;
  let main: string | undefined;
  let backendGiven = false;

  for (const [rawKey, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (rawKey === 'main') {
      main = String(value);
      continue;
    }
    if (rawKey === 'broker' && typeof value === 'object' && value !== null) {
      brokerInstance = value as Broker;
      continue;
    }
    if (rawKey === 'backend' && typeof value === 'object' && value !== null) {
      backendInstance = value as ResultBackend;
      backendGiven = true;
      continue;
    }
    const camel = camelCase(rawKey);
    const key = (ALIASES[camel] ?? camel) as keyof CeleriacConfig;
    if (!(key in SETTINGS)) {
      unknownKeys.push(rawKey);
      continue;
    }
    checkKind(rawKey, SETTINGS[key], value);
    if (key === 'resultBackend') backendGiven = true;
    (config as unknown as Record<string, unknown>)[key] = value;
  }

  const envBroker = env.CELERIAC_BROKER_URL || env.CELERY_BROKER_URL;
  if (envBroker) {
    config.brokerUrl = envBroker;
    brokerInstance = undefined;
  }
  const envBackend = env.CELERIAC_RESULT_BACKEND || env.CELERY_RESULT_BACKEND;
  if (envBackend) {
    config.resultBackend = envBackend;
    backendInstance = undefined;
    backendGiven = true;
  }
  // The embedded broker comes with the embedded result store, so results work with no setup.
  if (!backendGiven && !brokerInstance && config.brokerUrl.startsWith('memory:')) config.resultBackend = config.brokerUrl;

  if (config.workerPrefetchMultiplier < 1 || !Number.isInteger(config.workerPrefetchMultiplier)) {
    throw new ConfigError(`setting 'worker_prefetch_multiplier' must be a positive integer, got ${config.workerPrefetchMultiplier}`);
  }
  if (!(config.beatMaxLoopInterval > 0)) {
    throw new ConfigError(`setting 'beat_max_loop_interval' must be a positive number of seconds, got ${config.beatMaxLoopInterval}`);
  }
  checkTimezone(config.timezone, "setting 'timezone'");
  // Checked here so a bad entry fails where the app is created, naming the entry.
  parseBeatSchedule(config.beatSchedule, config.timezone);
  return { config, brokerInstance, backendInstance, main, unknownKeys };
}
