/**
 * Helpers for beat tests: a fake Clock whose time only moves when a test says
 * so, a coordination store whose expiries follow that clock, a store that can
 * be cut off (a network partition), and readers of the messages beat sent.
 */
import type { App, Broker, Clock, protocol } from '../../src/runtime';
import { decodeTaskMessage } from '../../src/runtime/protocol/decode-task';
import type { TimerHandle } from '../../src/runtime/clock';
import type { KeyValueStore } from '../../src/runtime/backends/key-value-store';
import { LocalKeyValueStore } from '../../src/runtime/backends/memory-kv-store';
import { MemoryStore } from '../../src/runtime/brokers/memory/memory-store';
import { ConnectionError } from '../../src/runtime/errors';
import { waitUntil } from '../helpers/runtime-harness';

interface FakeTimer extends TimerHandle {
  id: number;
  at: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(start: number | string) {
    this.t = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: ++this.seq, at: this.t + Math.max(0, ms), callback };
    this.timers.set(timer.id, timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as FakeTimer).id);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Move time forward by `ms`, firing timers in time order. Before each step
   * (and at the end) it waits until `timers` timers are pending again: a beat
   * that finished its check has set its next one, so `timers` = running beats.
   */
  async advance(ms: number, timers = 1): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await waitUntil(() => this.timers.size >= timers, `${timers} pending timer(s) at ${new Date(this.t).toISOString()}`);
      const due = [...this.timers.values()].filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers.delete(due.id);
      this.t = Math.max(this.t, due.at);
      due.callback();
    }
    this.t = target;
  }
}

/** The embedded store with expiries on `clock`, so lock expiry is driven by the test too. */
export function fakeTimeStore(clock: Clock): KeyValueStore {
  return new LocalKeyValueStore(new MemoryStore(() => clock.now()));
}

/** A store that fails every call while `cut` is true (a beat cut off from the broker's server). */
export class PartitionableStore implements KeyValueStore {
  cut = false;
  constructor(private readonly inner: KeyValueStore) {}
  private check(): void {
    if (this.cut) throw new ConnectionError('connection lost (test partition)');
  }
  async get(key: string) { this.check(); return this.inner.get(key); }
  async mget(keys: string[]) { this.check(); return this.inner.mget(keys); }
  async set(key: string, value: string, options?: { ttl?: number; publish?: boolean }) { this.check(); return this.inner.set(key, value, options); }
  async storeResult(key: string, value: string, ttl: number) { this.check(); return this.inner.storeResult(key, value, ttl); }
  async delete(key: string) { this.check(); return this.inner.delete(key); }
  async incr(key: string, by: number, ttl?: number) { this.check(); return this.inner.incr(key, by, ttl); }
  async setIfAbsent(key: string, value: string, ttlMs: number) { this.check(); return this.inner.setIfAbsent(key, value, ttlMs); }
  async renewIfOwner(key: string, owner: string, ttlMs: number) { this.check(); return this.inner.renewIfOwner(key, owner, ttlMs); }
  async deleteIfOwner(key: string, owner: string) { this.check(); return this.inner.deleteIfOwner(key, owner); }
  async takeToken(key: string, intervalMs: number, burst: number) { this.check(); return this.inner.takeToken(key, intervalMs, burst); }
  async chordPart(base: string, index: number, part: string, ttl: number) { this.check(); return this.inner.chordPart(base, index, part, ttl); }
  async subscribe(channel: string, listener: (message: string) => void) { this.check(); return this.inner.subscribe(channel, listener); }
  async close() { return this.inner.close(); }
}

/** Messages waiting in a queue (publish into the embedded broker is done when it resolves). */
export async function readyCount(app: App, queue: string): Promise<number> {
  const broker = await app.connectBroker();
  return (await broker.stats([queue]))[0].ready;
}

/** Take every waiting message of the queue and decode it as a task message. */
export async function drainTasks(broker: Broker, queue: string): Promise<protocol.DecodedTask[]> {
  const expected = (await broker.stats([queue]))[0].ready;
  const tasks: protocol.DecodedTask[] = [];
  const consumer = await broker.consume([queue], { prefetch: 0 }, (d) => {
    const decoded = decodeTaskMessage(d.message);
    if (!decoded.ok) throw new Error(`not a task message: ${decoded.reason}`);
    tasks.push(decoded.task);
    d.ack();
  });
  try {
    await waitUntil(() => tasks.length >= expected, `${expected} messages from ${queue}`);
  } finally {
    await consumer.cancel();
  }
  return tasks;
}
