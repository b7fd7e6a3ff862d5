/**
 * The app: configuration, the task registry, and the client side (sending tasks,
 * reading results). `createApp({ broker, backend, ...config })`.
 */
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { createBroker } from '../brokers/create-broker';
import type { Broker } from '../brokers/broker';
import { createBackend } from '../backends/create-backend';
import type { ResultBackend } from '../backends/backend';
import { normalizeConfig, type AppOptions, type CeleriacConfig } from '../config';
import { ConfigError } from '../errors';
import { urlScheme } from '../url';
import { createLogger, type Logger } from '../log';
import { systemClock, type Clock } from '../clock';
import { Emitter } from '../emitter';
import { parseIso } from '../protocol/iso-time';
import { encodeTaskMessage } from '../protocol/task-message';
import type { BrokerMessage, Route } from '../protocol/message';
import type { SignatureJson } from '../protocol/task-message';
import { AsyncResult } from './async-result';
import { parseQueueDefinitions } from './queue-definitions';
import { EventDispatcher } from '../events/event-dispatcher';
import type { KeyValueStore } from '../backends/key-value-store';
import { openCoordinationStore } from '../coordination/coordination-store';
import { withLock, type LockedResult } from '../coordination/lock';
import { GroupResult } from './group-result';
import { resolveRoute } from './routing';
import { onSharedTask, retireCurrentSender, setCurrentSender } from './shared-task';
import { Task, type BoundTaskFn, type PlainTaskFn, type TaskDefinition, type TaskFunction, type TaskSender } from './task';
import type { ApplyOptions, TaskOptions } from './task-options';

export interface SentTask {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  queue: string;
  route: Route;
  eta: string | null;
  expires: string | null;
  message: BrokerMessage;
}

export interface AppEvents {
  'task-sent': (task: SentTask) => void;
}

export interface AppDeps {
  log?: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

const apps = new Set<App>();

function toSignatureJson(s: SignatureJson | { toJSON(): SignatureJson }): SignatureJson {
  return 'toJSON' in s && typeof s.toJSON === 'function' ? s.toJSON() : (s as SignatureJson);
}

function toMs(value: Date | number | string, what: string, taskName: string): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const ms = parseIso(value);
  if (ms === undefined) throw new ConfigError(`${what} for task ${taskName} is not an ISO-8601 time: '${value}'`);
  return ms;
}

export class App implements TaskSender {
  readonly conf: Readonly<CeleriacConfig>;
  readonly log: Logger;
  readonly clock: Clock;
  /** Node name used by workers of this app unless they are given one: `celeriac@<host>`. */
  readonly main: string;
  /** This client's reply address (Celery's app.thread_oid), sent as `reply_to`. */
  readonly oid = randomUUID();
  readonly events = new Emitter<AppEvents>();
  private readonly origin = `gen${process.pid}@${os.hostname()}`;
  private readonly registry = new Map<string, TaskDefinition>();
  private givenBroker?: Broker;
  private readonly givenBackend?: ResultBackend;
  private brokerPromise?: Promise<Broker>;
  private backendPromise?: Promise<ResultBackend>;
  private readonly stopSharedTasks: () => void;
  private closed = false;
  private sentEvents?: EventDispatcher;
  private coordinationPromise?: Promise<KeyValueStore>;
  /** rpc:// — the reply queue must exist before a task is sent. */
  private readonly resultsComeAsMessages: boolean;

  constructor(options: AppOptions = {}, deps: AppDeps = {}) {
    const normalized = normalizeConfig(options, deps.env ?? process.env);
    this.conf = Object.freeze(normalized.config);
    this.givenBroker = normalized.brokerInstance;
    this.givenBackend = normalized.backendInstance;
    this.resultsComeAsMessages = this.givenBackend ? this.givenBackend.beforeSend !== undefined : urlScheme(this.conf.resultBackend ?? '') === 'rpc';
    this.log = deps.log ?? createLogger();
    this.clock = deps.clock ?? systemClock;
    this.main = normalized.main ?? `celeriac@${os.hostname()}`;
    if (normalized.unknownKeys.length) {
      this.log.warn(`ignoring unknown settings: ${normalized.unknownKeys.join(', ')}`);
    }
    this.stopSharedTasks = onSharedTask((t) => this.register(t));
    apps.add(this);
    setCurrentSender(this);
  }

  /** Make shared tasks send through this app. */
  setAsCurrent(): this {
    setCurrentSender(this);
    return this;
  }

  /** Register a task: `app.task('proj.add', (a: number, b: number) => a + b)`. */
  task<A extends unknown[], R>(name: string, fn: BoundTaskFn<A, R>, options: TaskOptions & { bind: true }): Task<A, Awaited<R>>;
  task<A extends unknown[], R>(name: string, fn: PlainTaskFn<A, R>, options?: TaskOptions): Task<A, Awaited<R>>;
  task(name: string, fn: TaskFunction, options: TaskOptions = {}): Task<unknown[], unknown> {
    if (typeof name !== 'string' || !name) throw new ConfigError('a task needs a non-empty name, e.g. "proj.tasks.add"');
    if (typeof fn !== 'function') throw new ConfigError(`task '${name}' needs a function`);
    const task = new Task(name, fn, Object.freeze({ ...options }), () => this);
    this.register(task);
    return task;
  }

  private register(def: TaskDefinition): void {
    this.registry.set(def.name, def);
  }

  get tasks(): ReadonlyMap<string, TaskDefinition> {
    return this.registry;
  }

  getTask(name: string): TaskDefinition | undefined {
    return this.registry.get(name);
  }

  /** The broker connection, made on first use and shared. */
  connectBroker(): Promise<Broker> {
    if (this.givenBroker) return Promise.resolve(this.givenBroker);
    this.brokerPromise ??= createBroker(this.conf.brokerUrl, {
      transportOptions: brokerTransportOptions(this.conf),
      ssl: this.conf.brokerUseSsl,
      log: this.log,
      queues: parseQueueDefinitions(this.conf.taskQueues),
    });
    return this.brokerPromise;
  }

  /**
   * Send and consume through `broker` instead of the configured URL — for
   * tools that wrap a broker (the simulator). Only before anything connected.
   */
  useBroker(broker: Broker): void {
    if (this.brokerPromise || this.givenBroker) throw new ConfigError(`app ${this.main} is already connected to a broker; call useBroker before sending or starting a worker`);
    this.givenBroker = broker;
  }

  /** The result backend connection, made on first use and shared. */
  connectBackend(): Promise<ResultBackend> {
    if (this.givenBackend) return Promise.resolve(this.givenBackend);
    this.backendPromise ??= createBackend(this.conf.resultBackend, {
      resultExpires: this.conf.resultExpires,
      transportOptions: this.conf.resultBackendTransportOptions,
      ssl: this.conf.redisBackendUseSsl,
      log: this.log,
      broker: () => this.connectBroker(),
      replyQueue: this.oid,
    });
    return this.backendPromise;
  }

  /** The key/value store beside the broker (Redis, or the embedded hub), made on first use. */
  coordination(): Promise<KeyValueStore> {
    this.coordinationPromise ??= openCoordinationStore(this.conf.brokerUrl, {
      ssl: this.conf.brokerUseSsl,
      transportOptions: this.conf.brokerTransportOptions,
      log: this.log,
    });
    return this.coordinationPromise;
  }

  /**
   * Run `fn` only if no other worker or task holds the lock `name`; the lock
   * expires after `ttlSeconds` if its holder dies. `{ acquired: false }` when busy.
   */
  async withLock<T>(name: string, ttlSeconds: number, fn: () => T | Promise<T>): Promise<LockedResult<T>> {
    return withLock(await this.coordination(), name, ttlSeconds, fn);
  }

  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    return new AsyncResult<R>(id, () => this.connectBackend());
  }

  /** Handle several results as one; `save()` it to restore it later by id. */
  groupResult<R = unknown>(results: AsyncResult<R>[], id?: string): GroupResult<R> {
    return GroupResult.of(results, () => this.connectBackend(), id);
  }

  /** A group saved earlier (by this or any Celery client), or undefined. */
  restoreGroup<R = unknown>(id: string): Promise<GroupResult<R> | undefined> {
    return GroupResult.restore<R>(id, () => this.connectBackend());
  }

  /** Send a task by name, defined here or in any other worker (e.g. a Python one). */
  async sendTask<R = unknown>(
    name: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
    options: ApplyOptions = {},
    defaults: TaskOptions = this.registry.get(name)?.options ?? {},
  ): Promise<AsyncResult<R>> {
    const sent = this.buildTaskMessage(name, args, kwargs, options, defaults);
    const broker = await this.connectBroker();
    if (this.resultsComeAsMessages) await (await this.connectBackend()).beforeSend?.();
    await broker.publish(sent.message, sent.route);
    if (this.events.has('task-sent')) this.events.emit('task-sent', sent);
    if (this.conf.taskSendSentEvent) this.sendSentEvent(broker, sent);
    return new AsyncResult<R>(sent.id, () => this.connectBackend());
  }

  private sendSentEvent(broker: Broker, sent: SentTask): void {
    this.sentEvents ??= new EventDispatcher(broker, this.origin, this.log);
    const h = sent.message.headers;
    void this.sentEvents.send('task-sent', {
      uuid: sent.id,
      root_id: h.root_id,
      parent_id: h.parent_id,
      name: sent.name,
      args: h.argsrepr,
      kwargs: h.kwargsrepr,
      retries: h.retries,
      eta: sent.eta,
      expires: sent.expires,
      queue: sent.queue,
      exchange: sent.route.exchange,
      routing_key: sent.route.routingKey,
    });
  }

  /** The protocol v2 message and route for a call, without sending it. */
  buildTaskMessage(
    name: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    options: ApplyOptions,
    defaults: TaskOptions = {},
  ): SentTask {
    if (!Array.isArray(args)) throw new ConfigError(`args for task ${name} must be an array, got ${typeof args}`);
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
      throw new ConfigError(`kwargs for task ${name} must be an object`);
    }
    const now = this.clock.now();
    const id = options.taskId ?? randomUUID();
    let etaMs: number | null = null;
    if (options.countdown !== undefined) etaMs = now + options.countdown * 1000;
    else if (options.eta !== undefined) etaMs = toMs(options.eta, 'eta', name);
    const expiresOpt = options.expires ?? defaults.expires;
    const expiresMs =
      expiresOpt === undefined ? null : typeof expiresOpt === 'number' ? now + expiresOpt * 1000 : toMs(expiresOpt, 'expires', name);
    const route = resolveRoute(name, args, kwargs, this.conf.taskRoutes, defaults.queue ?? this.conf.taskDefaultQueue, {
      ...options,
      queue: options.queue ?? defaults.queue,
    });
    const priority = options.priority ?? route.priority ?? defaults.priority ?? this.conf.taskDefaultPriority;
    let message: BrokerMessage;
    try {
      message = encodeTaskMessage({
        id,
        task: name,
        args,
        kwargs,
        eta: etaMs,
        expires: expiresMs,
        timeLimit:
          options.timeLimit !== undefined || options.softTimeLimit !== undefined
            ? [options.timeLimit ?? null, options.softTimeLimit ?? null]
            : undefined,
        rootId: options.parent?.rootId ?? id,
        parentId: options.parent?.id ?? null,
        shadow: options.shadow ?? null,
        origin: this.origin,
        ignoreResult: options.ignoreResult ?? defaults.ignoreResult ?? this.conf.taskIgnoreResult,
        replyTo: options.replyTo ?? this.oid,
        priority,
        group: options.groupId ?? null,
        groupIndex: options.groupIndex ?? null,
        embed:
          options.link || options.linkError || options.chain || options.chord
            ? {
                callbacks: options.link?.map(toSignatureJson) ?? null,
                errbacks: options.linkError?.map(toSignatureJson) ?? null,
                chain: options.chain ?? null,
                chord: options.chord ?? null,
              }
            : undefined,
        extraHeaders: options.headers,
        now,
      });
    } catch (err) {
      throw new ConfigError(`arguments of task ${name} cannot be sent as JSON: ${(err as Error).message}`);
    }
    return {
      id,
      name,
      args,
      kwargs,
      queue: route.queue,
      route: { exchange: route.exchange, routingKey: route.routingKey },
      eta: message.headers.eta as string | null,
      expires: message.headers.expires as string | null,
      message,
    };
  }

  /** Close the connections this app opened. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopSharedTasks();
    apps.delete(this);
    // Shared tasks must not keep sending through a closed app: fall back to the newest open one.
    retireCurrentSender(this, [...apps].pop());
    const closing: Promise<void>[] = [];
    if (this.brokerPromise) closing.push(this.brokerPromise.then((b) => b.close(), () => undefined));
    if (this.backendPromise) closing.push(this.backendPromise.then((b) => b.close(), () => undefined));
    if (this.coordinationPromise) closing.push(this.coordinationPromise.then((s) => s.close(), () => undefined));
    await Promise.all(closing);
  }
}

export function createApp(options: AppOptions = {}, deps: AppDeps = {}): App {
  return new App(options, deps);
}

/** Apps created in this process (the loader uses it to find the app of a task module). */
export function createdApps(): ReadonlySet<App> {
  return apps;
}

/** broker_transport_options with Celery's separate heartbeat and connection-timeout settings folded in (explicit options win). */
function brokerTransportOptions(conf: CeleriacConfig): Record<string, unknown> {
  return {
    ...(conf.brokerHeartbeat !== undefined ? { heartbeat: conf.brokerHeartbeat } : {}),
    ...(conf.brokerConnectionTimeout !== undefined ? { connect_timeout: conf.brokerConnectionTimeout } : {}),
    ...conf.brokerTransportOptions,
  };
}
