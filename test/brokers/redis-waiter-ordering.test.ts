/**
 * The ordering contract between a waiter's adoption and settlements, without
 * Redis: a message handed over from a holding list is not in unacked yet, so
 * its ack or requeue must go out behind the adoption on the waiter's own
 * connection, never ahead of it on another (the adoption would then record an
 * entry nobody acks, and kombu's restore would run the task again an hour later).
 */
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import { RedisConsumer } from '../../src/runtime/brokers/redis/redis-consumer';
import { Waiter } from '../../src/runtime/brokers/redis/redis-waiter';
import type { ScriptedRedis } from '../../src/runtime/brokers/redis/redis-client';
import { encodeKombuEnvelope } from '../../src/runtime/protocol/kombu-envelope';
import { encodeTaskMessage } from '../../src/runtime/protocol/task-message';
import { createLogger } from '../../src/runtime/log';
import type { Delivery } from '../../src/runtime/brokers/broker';

/** Records the commands written into it, in order; `adopt` keeps its reply callback. */
class RecordingPipeline {
  readonly commands: string[][] = [];
  adoptReply: ((err: Error | null) => void) | undefined;
  get length(): number {
    return this.commands.length;
  }
  adopt(...args: unknown[]): this {
    this.adoptReply = args.pop() as (err: Error | null) => void;
    this.commands.push(['adopt', ...(args as string[])]);
    return this;
  }
  zrem(...args: string[]): this {
    this.commands.push(['zrem', ...args]);
    return this;
  }
  hdel(...args: string[]): this {
    this.commands.push(['hdel', ...args]);
    return this;
  }
  requeue(...args: string[]): this {
    this.commands.push(['requeue', ...args]);
    return this;
  }
}

describe('redis:// consumer: settling a message before its adoption', () => {
  const log = createLogger({ level: 'silent' });
  let consumer: RedisConsumer;
  let waiter: Waiter;
  let got: Delivery[];

  beforeEach(() => {
    got = [];
    // Nothing here reaches Redis: flushes find nothing pending or fail quietly.
    const client = { pipeline: () => ({ exec: async () => [] }) } as unknown as ScriptedRedis;
    consumer = new RedisConsumer(client, { options: {}, db: 0, display: 'redis://test' }, { queues: ['q'], prefetch: 10, tag: 't', visibilityTimeout: 3600 }, (d) => got.push(d), log);
    waiter = new Waiter(consumer, new EventEmitter() as unknown as Redis, 'q', 'q', 'celeriac.holding.t.0');
  });

  function handOver(tag: string): Delivery {
    const raw = encodeKombuEnvelope(encodeTaskMessage({ id: randomUUID(), task: 'proj.add', args: [1], kwargs: {}, origin: 'test' }), {
      exchange: '',
      routingKey: 'q',
      deliveryTag: tag,
    });
    consumer.received(waiter, Buffer.from(raw));
    return got[got.length - 1];
  }

  /** The (sha, tag, disposition, envelope) group of the one message in an adoption. */
  function disposition(pipeline: RecordingPipeline): string[] {
    const adopt = pipeline.commands.find((c) => c[0] === 'adopt')!;
    return adopt.slice(-4);
  }

  it('holds an ack back until the adoption and has the adoption carry it out, in the same atomic step', () => {
    const d = handOver('tag-1');
    d.ack();
    assert.ok(consumer.takeSettlements().empty, 'the ack must not be free to go out on another connection');
    const pipeline = new RecordingPipeline();
    waiter.addAdoption(pipeline as unknown as ChainableCommander);
    assert.deepEqual(
      pipeline.commands.map((c) => c[0]),
      ['adopt'],
    );
    const [sha, tag, how] = disposition(pipeline);
    assert.equal(sha, (d as unknown as { sha: string }).sha);
    assert.deepEqual([tag, how], ['tag-1', 'x']);
  });

  it('has the adoption requeue a message rejected before it, with the envelope marked redelivered', () => {
    const d = handOver('tag-1r');
    d.reject(true);
    assert.ok(consumer.takeSettlements().empty);
    const pipeline = new RecordingPipeline();
    waiter.addAdoption(pipeline as unknown as ChainableCommander);
    const [, tag, how, env] = disposition(pipeline);
    assert.deepEqual([tag, how], ['tag-1r', 'q']);
    assert.equal(JSON.parse(env).headers.redelivered, true);
    assert.equal(JSON.parse(env).headers.id, d.message.headers.id);
  });

  it('records a message not yet settled, and sends a settlement made after that adoption went out once it is confirmed', () => {
    const d = handOver('tag-2');
    const pipeline = new RecordingPipeline();
    waiter.addAdoption(pipeline as unknown as ChainableCommander);
    assert.deepEqual(disposition(pipeline).slice(1, 3), ['tag-2', 'r']);
    d.reject(true); // after the adoption went out, before its reply
    assert.ok(consumer.takeSettlements().empty, 'not before the adoption is confirmed');
    pipeline.adoptReply!(null);
    const free = new RecordingPipeline();
    consumer.takeSettlements().appendTo(free as unknown as ChainableCommander);
    assert.equal(free.commands[0][0], 'requeue');
    assert.equal(free.commands[0][3], 'tag-2');
  });

  it('carries a settlement again in the next adoption when the one carrying it failed (adopt.lua is idempotent)', () => {
    const d = handOver('tag-3');
    const first = new RecordingPipeline();
    waiter.addAdoption(first as unknown as ChainableCommander);
    first.adoptReply!(new Error('Connection is closed.')); // it may have run on the server all the same
    d.ack();
    const second = new RecordingPipeline();
    waiter.addAdoption(second as unknown as ChainableCommander);
    assert.deepEqual(disposition(second).slice(1, 3), ['tag-3', 'x'], 'removes what the first try may have recorded');
    second.adoptReply!(new Error('Connection is closed.'));
    const third = new RecordingPipeline();
    waiter.addAdoption(third as unknown as ChainableCommander);
    assert.deepEqual(third.commands, second.commands);
    third.adoptReply!(null);
    assert.ok(consumer.takeSettlements().empty, 'nothing left to send once it is confirmed');
  });
});
