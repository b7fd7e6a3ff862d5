/**
 * Ack batching on one channel: what goes on the wire for a given order of
 * acks and rejects. The channel here only records the frames it is asked to
 * send (the batching rule is the unit under test; RabbitMQ's side of acks is
 * covered by the AMQP broker conformance and reliability suites).
 */
import { strict as assert } from 'node:assert';
import type * as amqp from 'amqplib';
import { AckBatcher } from '../../src/runtime/brokers/amqp/amqp-ack-batcher';

type Frame = ['ack', number, boolean] | ['reject', number, boolean];

function recordingChannel(): { channel: amqp.Channel; frames: Frame[] } {
  const frames: Frame[] = [];
  const channel = {
    ack: (m: amqp.Message, multiple: boolean) => frames.push(['ack', m.fields.deliveryTag, multiple]),
    reject: (m: amqp.Message, requeue: boolean) => frames.push(['reject', m.fields.deliveryTag, requeue]),
  } as unknown as amqp.Channel;
  return { channel, frames };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('AMQP ack batching', () => {
  it('sends one multiple=true ack for a run of acks made in one turn', async () => {
    const { channel, frames } = recordingChannel();
    const b = new AckBatcher(channel);
    for (let tag = 1; tag <= 100; tag++) b.delivered(tag);
    for (let tag = 1; tag <= 100; tag++) b.ack(tag);
    assert.deepEqual(frames, [], 'nothing before the end of the turn');
    await turn();
    assert.deepEqual(frames, [['ack', 100, true]]);
  });

  it('never acks a delivery still running: acks behind it go out one by one', async () => {
    const { channel, frames } = recordingChannel();
    const b = new AckBatcher(channel);
    for (let tag = 1; tag <= 5; tag++) b.delivered(tag);
    b.ack(1);
    b.ack(2);
    b.ack(4); // 3 still running
    await turn();
    assert.deepEqual(frames, [
      ['ack', 2, true],
      ['ack', 4, false],
    ]);
    frames.length = 0;
    b.ack(3);
    b.ack(5);
    await turn();
    // 4 was already sent: multiple=true up to 5 covers 3 and 5 only.
    assert.deepEqual(frames, [['ack', 5, true]]);
  });

  it('sends a reject at once, after the acks made before it', async () => {
    const { channel, frames } = recordingChannel();
    const b = new AckBatcher(channel);
    for (let tag = 1; tag <= 3; tag++) b.delivered(tag);
    b.ack(1);
    b.reject(2, false);
    assert.deepEqual(frames, [
      ['ack', 1, true],
      ['reject', 2, false],
    ]);
    b.ack(3);
    await turn();
    assert.deepEqual(frames.at(-1), ['ack', 3, true]);
  });

  it('flushes on demand (before the channel closes)', () => {
    const { channel, frames } = recordingChannel();
    const b = new AckBatcher(channel);
    b.delivered(7);
    b.ack(7);
    b.flush();
    assert.deepEqual(frames, [['ack', 7, true]]);
  });

  it('survives a channel that closed between an ack and the end of the turn (the broker requeues; the worker must not crash)', async () => {
    let open = true;
    const sent: number[] = [];
    const channel = {
      ack: (m: amqp.Message) => {
        // What amqplib does on a closed channel.
        if (!open) throw new Error('Channel closed');
        sent.push(m.fields.deliveryTag);
      },
    } as unknown as amqp.Channel;
    const b = new AckBatcher(channel);
    const crashes: unknown[] = [];
    const onCrash = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', onCrash);
    try {
      b.delivered(1);
      b.ack(1);
      open = false; // connection.close from the server lands before setImmediate
      await turn();
      await turn();
    } finally {
      process.off('uncaughtException', onCrash);
    }
    assert.deepEqual(crashes, []);
    assert.deepEqual(sent, []);
    b.delivered(2);
    b.ack(2);
    assert.throws(() => b.flush(), /Channel closed/, 'an explicit flush still reports a closed channel to its caller');
  });
});
