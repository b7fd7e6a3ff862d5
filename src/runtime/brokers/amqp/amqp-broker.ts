/**
 * `amqp://` — RabbitMQ through amqplib, declared as Celery declares it: for a
 * queue `q`, a durable direct exchange `q`, a durable queue `q` and their
 * binding on key `q` (or what `task_queues` says: topic/fanout exchanges,
 * binding keys, quorum or priority arguments). Task messages go to the
 * default exchange with the queue as key, as Celery 5.2 sends them, with
 * publisher confirms. Consumers use manual acks and a prefetch (basic.qos)
 * per consumer; events and remote control use Celery's `celeryev` (topic)
 * and `celery.pidbox` (fanout) exchanges.
 */
import type * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { toDisposable, type Disposable } from '../../disposable';
import { ConnectionError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import type { BrokerMessage, Route } from '../../protocol/message';
import { defaultQueue, type QueueDefinition } from '../../app/queue-definitions';
import type { Broker, ConsumeOptions, Consumer, Delivery, QueueStats } from '../broker';
import { parseAmqpUrls } from './amqp-options';
import { AmqpSession, type ExchangeSpec } from './amqp-session';
import { AmqpConsumer } from './amqp-consumer';
import { fromAmqpMessage, toPublishOptions, toBuffer } from './amqp-message';

export interface AmqpBrokerOptions {
  log: Logger;
  ssl?: Record<string, unknown>;
  transportOptions?: Record<string, unknown>;
  /** `task_queues`: exchanges, types and binding keys of known queues. */
  queues?: QueueDefinition[];
}

/** Celery's own exchanges, as its captures show them declared. */
const KNOWN_EXCHANGES: Record<string, ExchangeSpec> = {
  celeryev: { type: 'topic', durable: true, autoDelete: false },
  'celery.pidbox': { type: 'fanout', durable: false, autoDelete: false },
  'reply.celery.pidbox': { type: 'direct', durable: false, autoDelete: false },
};

/** rpc:// reply queues outlive a quiet day, like Celery's (result_expires). */
const REPLY_QUEUE_EXPIRES_MS = 86_400_000;

/** Queues made for one subscriber: gone with it, and never piling up. */
const SUBSCRIBER_QUEUE_ARGS: Record<string, Record<string, unknown>> = {
  celeryev: { 'x-expires': 60_000, 'x-message-ttl': 5_000 },
  default: { 'x-expires': 10_000, 'x-message-ttl': 300_000 },
};

export class AmqpBroker implements Broker {
  private readonly definitions = new Map<string, QueueDefinition>();
  private readonly declaredForPublish = new Set<string>();
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly subscriptions = new Set<{ resubscribe(): Promise<void>; dispose(): void }>();
  private closed = false;

  private constructor(
    private readonly session: AmqpSession,
    private readonly log: Logger,
    queues: QueueDefinition[],
  ) {
    for (const q of queues) this.definitions.set(q.name, q);
    session.on('connected', () => {
      for (const s of this.subscriptions) void s.resubscribe().catch((err) => log.warn(`cannot resubscribe on ${this.url}: ${errorMessage(err)}`));
    });
  }

  /** The server in use now (after a failover, the one it moved to), password masked. */
  get url(): string {
    return this.session.display;
  }

  static async connect(url: string, options: AmqpBrokerOptions): Promise<AmqpBroker> {
    const session = new AmqpSession(parseAmqpUrls(url, options.ssl, options.transportOptions), options.log);
    await session.start();
    return new AmqpBroker(session, options.log, options.queues ?? []);
  }

  private assertOpen(): void {
    if (this.closed) throw new ConnectionError(`broker ${this.url} is closed`);
  }

  definitionOf(queue: string): QueueDefinition {
    return this.definitions.get(queue) ?? defaultQueue(queue);
  }

  /** For routing tasks: what task_queues says, else direct (Celery's default). */
  private exchangeSpec(name: string): ExchangeSpec {
    if (KNOWN_EXCHANGES[name]) return KNOWN_EXCHANGES[name];
    const def = [...this.definitions.values()].find((d) => d.exchange === name);
    return { type: def?.exchangeType ?? 'direct', durable: true, autoDelete: false };
  }

  /** For broadcasts: Celery's own exchanges, else a topic exchange (patterns work, exact keys too). */
  private broadcastSpec(name: string): ExchangeSpec {
    return KNOWN_EXCHANGES[name] ?? { type: 'topic', durable: false, autoDelete: false };
  }

  /** A queue as Celery declares it: its exchange, the queue, the binding. */
  async declareQueue(queue: string): Promise<void> {
    const def = this.definitionOf(queue);
    await this.session.declareExchange(def.exchange, { type: def.exchangeType, durable: def.durable, autoDelete: false });
    await this.session.declareQueue(queue, {
      durable: def.durable,
      autoDelete: false,
      exclusive: false,
      arguments: def.queueArguments,
      bindings: def.exchange ? [{ exchange: def.exchange, pattern: def.routingKey }] : [],
    });
  }

  async publish(message: BrokerMessage, route: Route): Promise<void> {
    this.assertOpen();
    if (route.declare === false) {
      // the consumer declared it
    } else if (route.exchange === '') {
      if (!this.declaredForPublish.has(route.routingKey)) {
        await this.declareQueue(route.routingKey);
        this.declaredForPublish.add(route.routingKey);
      }
    } else if (!this.declaredForPublish.has('exchange:' + route.exchange)) {
      // Celery's default: exchange `q`, key `q` → queue `q`.
      if (route.exchange === route.routingKey && !this.definitions.has(route.routingKey)) await this.declareQueue(route.routingKey);
      else await this.session.declareExchange(route.exchange, this.exchangeSpec(route.exchange));
      this.declaredForPublish.add('exchange:' + route.exchange);
    }
    await this.session.publish(route.exchange, route.routingKey, toBuffer(message), toPublishOptions(message));
  }

  async consume(queues: readonly string[], options: ConsumeOptions, onDelivery: (d: Delivery) => void): Promise<Consumer> {
    this.assertOpen();
    // A queue this connection declared already (e.g. a reply queue) keeps its arguments.
    for (const q of queues) if (!this.session.queues.has(q)) await this.declareQueue(q);
    const quorum = queues.some((q) => this.definitionOf(q).queueArguments['x-queue-type'] === 'quorum');
    const consumer = new AmqpConsumer(
      this.session,
      [...queues],
      options.prefetch,
      options.tag ?? `celeriac-${randomUUID()}`,
      onDelivery,
      this.log,
      // Celery's global QoS (one limit for the channel, changeable at once); quorum queues refuse it.
      !quorum,
    );
    await consumer.start();
    this.consumers.add(consumer);
    consumer.onClosed = () => this.consumers.delete(consumer);
    return consumer;
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.assertOpen();
    if (exchange === '') {
      // The default exchange routes by queue name and cannot be declared or
      // bound: a reply queue (rpc:// results) only needs to exist. Celery's
      // rpc backend: non-durable, auto-delete, expires after a day unused.
      await this.session.declareQueue(queue, { durable: false, autoDelete: true, exclusive: false, arguments: { 'x-expires': REPLY_QUEUE_EXPIRES_MS }, bindings: [] });
      return;
    }
    await this.session.declareExchange(exchange, this.exchangeSpec(exchange));
    await this.session.declareQueue(queue, {
      durable: false,
      autoDelete: true,
      exclusive: false,
      arguments: SUBSCRIBER_QUEUE_ARGS.default,
      bindings: [{ exchange, pattern: routingKey }],
    });
  }

  async deleteQueue(queue: string): Promise<void> {
    this.assertOpen();
    this.session.forgetQueue(queue);
    await this.session.withChannel((ch) => ch.deleteQueue(queue)).catch(() => undefined);
  }

  async purge(queue: string): Promise<number> {
    this.assertOpen();
    try {
      return (await this.session.withChannel((ch) => ch.purgeQueue(queue))).messageCount;
    } catch (err) {
      if (/NOT_FOUND|404/.test(errorMessage(err))) return 0;
      throw err;
    }
  }

  async stats(queues: readonly string[]): Promise<QueueStats[]> {
    this.assertOpen();
    const out: QueueStats[] = [];
    for (const queue of queues) {
      try {
        const q = await this.session.withChannel((ch) => ch.checkQueue(queue));
        out.push({ queue, ready: q.messageCount, unacked: null, consumers: q.consumerCount });
      } catch {
        out.push({ queue, ready: 0, unacked: null, consumers: 0 }); // not declared (yet)
      }
    }
    return out;
  }

  /** What this connection declared (AMQP cannot list queues without the management API). */
  async queues(): Promise<string[]> {
    return [...this.session.queues.entries()].filter(([, s]) => !s.autoDelete).map(([name]) => name).sort();
  }

  async broadcast(exchange: string, routingKey: string, message: BrokerMessage): Promise<void> {
    this.assertOpen();
    await this.session.declareExchange(exchange, this.broadcastSpec(exchange));
    await this.session.publish(exchange, routingKey, toBuffer(message), toPublishOptions(message));
  }

  /** A queue of its own, bound with `pattern`, consumed without acks, gone when unused. */
  async subscribe(exchange: string, pattern: string, onMessage: (message: BrokerMessage, routingKey: string) => void): Promise<Disposable> {
    this.assertOpen();
    const session = this.session;
    const spec = this.broadcastSpec(exchange);
    const queue = `${exchange === 'celeryev' ? 'celeryev' : 'celeriac'}.${randomUUID()}`;
    let channel: amqp.Channel | undefined;
    let disposed = false;
    const subscribe = async () => {
      await session.declareExchange(exchange, spec);
      const ch = await (await session.connection()).createChannel();
      ch.on('error', () => undefined);
      await ch.assertQueue(queue, {
        durable: false,
        autoDelete: true,
        arguments: SUBSCRIBER_QUEUE_ARGS[exchange] ?? SUBSCRIBER_QUEUE_ARGS.default,
      });
      await ch.bindQueue(queue, exchange, spec.type === 'fanout' ? '' : pattern);
      await ch.consume(
        queue,
        (msg) => {
          if (!msg) return;
          try {
            onMessage(fromAmqpMessage(msg), msg.fields.routingKey);
          } catch (err) {
            this.log.error(`broadcast handler failed for ${exchange}: ${errorMessage(err)}`);
          }
        },
        { noAck: true },
      );
      // A subscribe that raced a reconnect replaces the earlier channel rather than doubling it.
      const previous = channel;
      channel = ch;
      if (previous) void previous.close().catch(() => undefined);
    };
    const entry = {
      resubscribe: async () => {
        if (!disposed) await subscribe();
      },
      dispose: () => {
        disposed = true;
        this.subscriptions.delete(entry);
        void channel?.close().catch(() => undefined);
      },
    };
    await subscribe();
    this.subscriptions.add(entry);
    return toDisposable(() => entry.dispose());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.subscriptions]) s.dispose();
    for (const c of [...this.consumers]) await c.close();
    await this.session.close();
  }
}
