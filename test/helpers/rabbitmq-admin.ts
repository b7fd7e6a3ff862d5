/**
 * Looking at and poking RabbitMQ from tests without disturbing anyone else on
 * the shared server: a raw amqplib channel for queue depths, raw publishes and
 * clean-up, and `rabbitmqctl` (when this machine can run it) for things only
 * the server can do, limited to a vhost the test created.
 */
import { execFile } from 'node:child_process';
import * as amqp from 'amqplib';
import { AMQP_URL, amqpUrl } from './amqp';

export interface RawAmqp {
  channel: amqp.Channel;
  /** Ready messages and consumers of a queue (0/0 when it does not exist). */
  depth(queue: string): Promise<{ messages: number; consumers: number }>;
  deleteQueues(...queues: string[]): Promise<void>;
  close(): Promise<void>;
}

/** A plain amqplib connection, not Celeriac's, to see what is really on the server. */
export async function rawAmqp(url: string = AMQP_URL): Promise<RawAmqp> {
  const conn = await amqp.connect(url);
  conn.on('error', () => undefined);
  let channel = await conn.createChannel();
  // A failed passive check closes the channel; the next call needs a fresh one.
  const fresh = async () => {
    channel = await conn.createChannel();
    channel.on('error', () => undefined);
  };
  channel.on('error', () => undefined);
  return {
    get channel() {
      return channel;
    },
    async depth(queue) {
      try {
        const q = await channel.checkQueue(queue);
        return { messages: q.messageCount, consumers: q.consumerCount };
      } catch {
        await fresh();
        return { messages: 0, consumers: 0 };
      }
    },
    async deleteQueues(...queues) {
      for (const q of queues) await channel.deleteQueue(q).catch(fresh);
    },
    async close() {
      await conn.close().catch(() => undefined);
    },
  };
}

function run(args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('rabbitmqctl', args, { timeout: timeoutMs }, (err, stdout, stderr) => (err ? reject(new Error(`rabbitmqctl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}

let usable: Promise<boolean> | undefined;

/** Whether `rabbitmqctl` can manage the server of AMQP_URL (installed, same machine, Erlang cookie readable). */
export function rabbitmqctlUsable(): Promise<boolean> {
  usable ??= /@(127\.0\.0\.1|localhost)(:5672)?(\/|$)/.test(AMQP_URL)
    ? run(['-q', 'list_vhosts'], 10_000).then(
        () => true,
        () => false,
      )
    : Promise.resolve(false);
  return usable;
}

/** A vhost of the test's own, usable by guest; its URL. */
export async function createVhost(vhost: string): Promise<string> {
  await run(['-q', 'add_vhost', vhost]);
  await run(['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  return amqpUrl(vhost);
}

/** Deleting the vhost deletes its queues and exchanges too. */
export async function deleteVhost(vhost: string): Promise<void> {
  await run(['-q', 'delete_vhost', vhost]).catch(() => undefined);
}

/** The server closes (connection.close, CONNECTION_FORCED) every connection of this vhost only. */
export async function closeVhostConnections(vhost: string, why: string): Promise<void> {
  await run(['-q', 'close_all_connections', '--vhost', vhost, why]);
}

export interface ConnectionInfo {
  /** Negotiated heartbeat, seconds. */
  timeout: number;
  clientProperties: Record<string, unknown>;
}

export async function vhostConnections(vhost: string): Promise<ConnectionInfo[]> {
  const out = await run(['-q', 'list_connections', 'vhost', 'timeout', 'client_properties', '--formatter', 'json']);
  const rows = JSON.parse(out || '[]') as { vhost: string; timeout: number; client_properties: [string, string, unknown][] }[];
  return rows
    .filter((r) => r.vhost === vhost)
    .map((r) => ({ timeout: r.timeout, clientProperties: Object.fromEntries(r.client_properties.map(([k, , v]) => [k, v])) }));
}
