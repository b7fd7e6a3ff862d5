/** Celery's broker_heartbeat and broker_connection_timeout reach the AMQP connection (real RabbitMQ). */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { createApp, createLogger } from '../../src/runtime';
import { createVhost, deleteVhost, rabbitmqctlUsable, vhostConnections } from '../helpers/rabbitmq-admin';

describe('amqp:// settings', function () {
  this.timeout(20_000);

  it('negotiates broker_heartbeat', async function () {
    if (!(await rabbitmqctlUsable())) this.skip(); // CI runs RabbitMQ locally, where rabbitmqctl works
    const vhost = `settings-${randomUUID().slice(0, 8)}`;
    const url = await createVhost(vhost);
    const app = createApp({ broker_url: url, broker_heartbeat: 9 }, { log: createLogger({ level: 'silent' }), env: {} });
    try {
      await app.connectBroker();
      const conns = await vhostConnections(vhost);
      assert.deepEqual(conns.map((c) => c.timeout), [9]);
    } finally {
      await app.close();
      await deleteVhost(vhost);
    }
  });

  it('gives up on a broker that never answers after broker_connection_timeout', async () => {
    // Accepts TCP, says nothing: only the timeout ends the attempt.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    const app = createApp({ broker_url: `amqp://guest:secret@127.0.0.1:${port}//`, broker_connection_timeout: 0.5 }, { log: createLogger({ level: 'silent' }), env: {} });
    try {
      const started = Date.now();
      await assert.rejects(app.connectBroker(), (err: Error) => !err.message.includes('secret') && new RegExp(`127\\.0\\.0\\.1:${port}`).test(err.message));
      // The default is 4 s: well under it means the setting was used.
      assert.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
    } finally {
      await app.close().catch(() => undefined);
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
