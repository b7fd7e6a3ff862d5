/**
 * `rpc://` — results as messages, the way Celery's rpc backend does it: the
 * worker publishes each state to the client's reply queue (the task message's
 * `reply_to`) on the default exchange, with `correlation_id` = task id; the
 * client consumes its own reply queue (`<oid>`, auto-delete, a day's expiry)
 * and keeps the latest state per task. Results are not stored anywhere else:
 * only the client that sent a task can read its result, and no chords.
 */
import type { Broker } from '../brokers/broker';
import type { Disposable } from '../disposable';
import { ConfigError, TimeoutError } from '../errors';
import type { Logger } from '../log';
import type { BrokerMessage } from '../protocol/message';
import { decodeTaskMeta, type TaskMeta } from '../protocol/result-meta';
import { deserializeBody, JSON_CONTENT_TYPE, UTF8 } from '../protocol/serializer';
import { isReady } from '../states';
import { pendingMeta, type ChordPart, type ResultBackend, type StoreOptions, type WaitOptions } from './backend';

/** Most task states remembered from the reply queue (oldest forgotten first). */
const MAX_REMEMBERED = 10_000;

export function rpcResultMessage(meta: TaskMeta): BrokerMessage {
  // Celery's rpc body: task_id first, no date_done.
  const body = { task_id: meta.task_id, status: meta.status, result: meta.result ?? null, traceback: meta.traceback, children: meta.children };
  return {
    body: JSON.stringify(body),
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: UTF8,
    headers: {},
    properties: { correlation_id: meta.task_id, delivery_mode: 1, priority: 0 },
  };
}

export class RpcBackend implements ResultBackend {
  readonly url = 'rpc://';
  readonly enabled = true;
  private readonly latest = new Map<string, TaskMeta>();
  private readonly waiters = new Map<string, Set<(meta: TaskMeta) => void>>();
  private listening: Promise<Disposable> | undefined;

  constructor(
    private readonly broker: () => Promise<Broker>,
    /** This client's reply queue (the app's oid, sent as reply_to). */
    private readonly replyQueue: string,
    private readonly log: Logger,
  ) {}

  async storeResult(meta: TaskMeta, options?: StoreOptions): Promise<void> {
    if (!options?.replyTo) return; // the sender asked for no reply queue: nowhere to send it
    await (await this.broker()).publish(rpcResultMessage(meta), { exchange: '', routingKey: options.replyTo, declare: false });
  }

  beforeSend(): Promise<void> {
    return this.listen().then(() => undefined);
  }

  /** Start consuming this client's reply queue (once). */
  private listen(): Promise<Disposable> {
    this.listening ??= (async () => {
      const broker = await this.broker();
      await broker.bindQueue(this.replyQueue, '', this.replyQueue);
      const consumer = await broker.consume([this.replyQueue], { prefetch: 0 }, (d) => {
        d.ack();
        const body = deserializeBody(d.message);
        const meta = body.ok && typeof body.value === 'object' ? decodeTaskMeta(JSON.stringify(body.value)) : undefined;
        if (!meta) {
          this.log.warn(`ignoring an unreadable result on reply queue ${this.replyQueue}`);
          return;
        }
        this.latest.delete(meta.task_id);
        this.latest.set(meta.task_id, meta);
        if (this.latest.size > MAX_REMEMBERED) this.latest.delete(this.latest.keys().next().value!);
        for (const w of this.waiters.get(meta.task_id) ?? []) w(meta);
      });
      return { dispose: () => void consumer.close() };
    })();
    return this.listening;
  }

  async getTaskMeta(taskId: string): Promise<TaskMeta> {
    await this.listen();
    return this.latest.get(taskId) ?? pendingMeta(taskId);
  }

  async getTaskMetas(taskIds: readonly string[]): Promise<TaskMeta[]> {
    await this.listen();
    return taskIds.map((id) => this.latest.get(id) ?? pendingMeta(id));
  }

  async waitFor(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    await this.listen();
    const known = this.latest.get(taskId);
    if (known && isReady(known.status)) return known;
    return new Promise<TaskMeta>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const set = this.waiters.get(taskId) ?? new Set();
      this.waiters.set(taskId, set);
      const done = () => {
        set.delete(onMeta);
        if (set.size === 0) this.waiters.delete(taskId);
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onMeta = (meta: TaskMeta) => {
        if (!isReady(meta.status)) return;
        done();
        resolve(meta);
      };
      const onAbort = () => {
        done();
        reject(options.signal?.reason ?? new Error('aborted'));
      };
      set.add(onMeta);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeout !== undefined) {
        timer = setTimeout(() => {
          done();
          const state = this.latest.get(taskId)?.status ?? 'PENDING';
          reject(new TimeoutError(`timed out after ${options.timeout}s waiting for task ${taskId} (state ${state}) on reply queue ${this.replyQueue}`));
        }, options.timeout * 1000);
      }
    });
  }

  async forget(taskId: string): Promise<void> {
    this.latest.delete(taskId);
  }

  private unsupported(what: string): never {
    throw new ConfigError(`the rpc:// result backend cannot ${what} (results are messages to one client); use a redis:// result backend`);
  }

  async saveGroup(): Promise<void> {
    this.unsupported('save a group');
  }

  async restoreGroup(): Promise<string[] | undefined> {
    return this.unsupported('restore a group');
  }

  async forgetGroup(): Promise<void> {}

  async setChordSize(): Promise<void> {
    this.unsupported('join a chord (Celery: "The rpc result backend does not support chords!")');
  }

  async onChordPart(): Promise<ChordPart[] | undefined> {
    return this.unsupported('join a chord');
  }

  async close(): Promise<void> {
    const listening = this.listening;
    this.listening = undefined;
    if (listening) (await listening.catch(() => undefined))?.dispose();
  }
}
