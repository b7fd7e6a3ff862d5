/**
 * A connection to RabbitMQ that survives: it tries each broker URL in turn
 * (`amqp://a;amqp://b` failover), reconnects with back-off after a connection
 * or channel error, re-declares everything that was declared, and tells the
 * consumers to resume. Publishing goes through a confirm channel: a publish
 * resolves once the broker has the message.
 */
import * as amqp from 'amqplib';
import { EventEmitter } from 'node:events';
import { ConnectionError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import type { AmqpEndpoint } from './amqp-options';

export interface ExchangeSpec {
  type: string;
  durable: boolean;
  autoDelete: boolean;
}

export interface QueueSpec {
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
  bindings: { exchange: string; pattern: string }[];
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export class AmqpSession extends EventEmitter {
  private model: amqp.ChannelModel | undefined;
  private publisher: amqp.ConfirmChannel | undefined;
  private ready!: Promise<void>;
  private markReady!: () => void;
  private closing = false;
  /** Set while the publisher channel's socket buffer is full: publishes wait for it. */
  private writable: Promise<void> | undefined;
  private reconnecting = false;
  private readonly publisherErrors = new WeakMap<amqp.Channel, Error>();
  private endpointIndex = 0;
  private attempt = 0;
  /** Bumped on every (re)connection: channels of an older generation are dead. */
  generation = 0;
  readonly exchanges = new Map<string, ExchangeSpec>();
  readonly queues = new Map<string, QueueSpec>();

  constructor(
    private readonly endpoints: AmqpEndpoint[],
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
    this.resetReady();
  }

  private resetReady(): void {
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
  }

  get display(): string {
    return this.endpoints[this.endpointIndex % this.endpoints.length].display;
  }

  get connected(): boolean {
    return this.model !== undefined;
  }

  /** First connection: every URL tried once, then a clear error. */
  async start(): Promise<void> {
    const errors: string[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      this.endpointIndex = i;
      try {
        await this.connectOnce();
        return;
      } catch (err) {
        errors.push(`${this.endpoints[i].display}: ${errorMessage(err)}`);
      }
    }
    throw new ConnectionError(`cannot connect to RabbitMQ (${errors.join('; ')})`);
  }

  /**
   * Connect, open the publisher and re-declare before anyone sees the
   * connection: one that drops half-way is closed and reported, never left
   * half-installed (a half-installed connection would end the reconnect loop
   * without consumers resuming, and a second loop would leak a connection).
   */
  private async connectOnce(): Promise<void> {
    const ep = this.endpoints[this.endpointIndex % this.endpoints.length];
    const model = await amqp.connect(ep.url, ep.socketOptions);
    let lost = false;
    model.on('error', () => undefined); // 'close' follows; that is where we act
    model.on('close', (err?: Error) => {
      lost = true;
      this.onConnectionLost(model, err);
    });
    model.on('blocked', (reason: string) => this.log.warn(`RabbitMQ at ${ep.display} blocked publishing: ${reason}`));
    try {
      const publisher = await this.openPublisher(model);
      await this.redeclare(model);
      if (lost) throw new ConnectionError(`the connection to ${ep.display} closed while it was being set up`);
      if (this.closing) throw new ConnectionError(`connection to ${ep.display} is closed`);
      this.model = model;
      this.publisher = publisher;
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    this.generation++;
    if (this.attempt > 0) this.log.info(`reconnected to RabbitMQ at ${ep.display}`);
    this.attempt = 0;
    this.markReady();
    this.emit('connected', this.generation);
  }

  /** A confirm channel that reopens itself after a channel-level error (e.g. publishing to a missing exchange). */
  private async openPublisher(model: amqp.ChannelModel): Promise<amqp.ConfirmChannel> {
    const ch = await model.createConfirmChannel();
    // The server's reason (e.g. NOT_FOUND - no exchange) comes as 'error' just before the confirms fail with a bare "channel closed".
    ch.on('error', (err: Error) => this.publisherErrors.set(ch, err));
    ch.on('close', () => {
      if (this.publisher === ch) this.publisher = undefined; // publishes wait for the next one
      if (this.model !== model || this.closing) return;
      this.openPublisher(model).then(
        (next) => {
          if (this.model === model) this.publisher = next;
          else void next.close().catch(() => undefined);
        },
        () => undefined, // the connection is going too; its 'close' reconnects
      );
    });
    return ch;
  }

  private onConnectionLost(model: amqp.ChannelModel, err?: Error): void {
    if (this.model !== model) return;
    this.model = undefined;
    this.publisher = undefined;
    this.resetReady();
    if (this.closing) return;
    this.log.warn(`lost the connection to RabbitMQ at ${this.display}${err ? ` (${err.message})` : ''}; reconnecting`);
    this.emit('disconnected');
    // One loop at a time: a connection lost while the loop is still setting up the next one is its business.
    if (!this.reconnecting) void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    this.reconnecting = true;
    try {
      while (!this.closing && !this.model) {
        const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempt++);
        await new Promise((r) => setTimeout(r, delay));
        if (this.closing) return;
        this.endpointIndex++; // next URL of the list (failover)
        try {
          await this.connectOnce();
        } catch (err) {
          if (this.attempt === 1 || this.attempt % 10 === 0) this.log.warn(`cannot reach RabbitMQ at ${this.display}: ${errorMessage(err)}`);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** The current connection, once there is one. */
  async connection(): Promise<amqp.ChannelModel> {
    for (;;) {
      if (this.closing) throw new ConnectionError(`connection to ${this.display} is closed`);
      if (this.model) return this.model;
      await this.ready;
    }
  }

  private async redeclare(model: amqp.ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      for (const [name, spec] of this.exchanges) await ch.assertExchange(name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
      for (const [name, spec] of this.queues) {
        await ch.assertQueue(name, { durable: spec.durable, autoDelete: spec.autoDelete, exclusive: spec.exclusive, arguments: spec.arguments });
        for (const b of spec.bindings) await ch.bindQueue(name, b.exchange, b.pattern);
      }
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Run declarations on a throw-away channel (a failed declaration closes its channel). */
  async withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
    const ch = await (await this.connection()).createChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async declareExchange(name: string, spec: ExchangeSpec): Promise<void> {
    if (name === '' || this.exchanges.has(name)) return;
    await this.withChannel((ch) => ch.assertExchange(name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete }));
    this.exchanges.set(name, spec);
  }

  async declareQueue(name: string, spec: QueueSpec): Promise<void> {
    await this.withChannel(async (ch) => {
      await ch.assertQueue(name, { durable: spec.durable, autoDelete: spec.autoDelete, exclusive: spec.exclusive, arguments: spec.arguments });
      for (const b of spec.bindings) await ch.bindQueue(name, b.exchange, b.pattern);
    });
    const known = this.queues.get(name);
    this.queues.set(name, known ? { ...spec, bindings: [...known.bindings, ...spec.bindings.filter((b) => !known.bindings.some((k) => k.exchange === b.exchange && k.pattern === b.pattern))] } : spec);
  }

  forgetQueue(name: string): void {
    this.queues.delete(name);
  }

  /** Publish and wait for the broker's confirm; retried once the connection is back if it drops first. */
  async publish(exchange: string, routingKey: string, body: Buffer, options: amqp.Options.Publish): Promise<void> {
    for (;;) {
      const model = await this.connection();
      const channel = this.publisher;
      if (!channel) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (this.writable) {
        // Back-pressure: the socket's buffer is full; write more once it drains.
        await this.writable;
        continue;
      }
      try {
        await new Promise<void>((resolve, reject) => {
          const ok = channel.publish(exchange, routingKey, body, options, (err) => (err ? reject(err) : resolve()));
          if (!ok) this.writable ??= drained(channel).finally(() => (this.writable = undefined));
        });
        return;
      } catch (err) {
        if (this.closing) throw err;
        // amqplib fails a dead connection's confirms and reports it closed in
        // the same tick, so by now a cut shows as a changed connection:
        // publish again on the next one. The same connection means RabbitMQ
        // itself said no (a nack, or a channel error such as a missing exchange).
        if (this.model === model) {
          const why = this.publisherErrors.get(channel) ?? err;
          throw new ConnectionError(`RabbitMQ refused a message to '${exchange}'/'${routingKey}': ${errorMessage(why)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.markReady();
    const model = this.model;
    this.model = undefined;
    if (model) await model.close().catch(() => undefined);
  }
}

/** Resolves when the channel can take writes again (or is gone). */
function drained(channel: amqp.Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}
