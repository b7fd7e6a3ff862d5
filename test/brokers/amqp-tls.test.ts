/**
 * amqps:// with CA, client certificate and key from broker_use_ssl (Celery's
 * names) or the URL. The shared RabbitMQ has no TLS listener and is not
 * reconfigured: a TLS terminator in the test (test CA from openssl, client
 * certificates required and verified) forwards to it, so what is checked is
 * the client side — that Celeriac presents its certificate, verifies the
 * server's, and says clearly when it cannot.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { ConnectionError, createApp, createLogger, Worker } from '../../src/runtime';
import { AmqpBroker } from '../../src/runtime/brokers/amqp/amqp-broker';
import { AMQP_URL } from '../helpers/amqp';
import { rawAmqp, type RawAmqp } from '../helpers/rabbitmq-admin';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { makeTestPki, type TestPki } from '../helpers/test-pki';
import { uniqueName } from '../reliability/amqp-reliability-helpers';

const silent = createLogger({ level: 'silent' });
const RABBIT = new URL(AMQP_URL);

describe('amqps://: TLS with a CA and a client certificate', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let terminator: TcpProxy;
  let url: string;
  let rabbit: RawAmqp;
  const queues: string[] = [];

  before(async () => {
    pki = makeTestPki();
    terminator = await startTcpProxy(
      { host: RABBIT.hostname, port: Number(RABBIT.port || 5672) },
      {
        tls: {
          cert: fs.readFileSync(pki.serverCert),
          key: fs.readFileSync(pki.serverKey),
          ca: fs.readFileSync(pki.ca),
          requestCert: true,
          rejectUnauthorized: true, // no valid client certificate, no connection
        },
      },
    );
    url = `amqps://guest:guest@127.0.0.1:${terminator.port}`;
    rabbit = await rawAmqp();
  });
  after(async () => {
    await terminator.stop();
    pki.remove();
    for (const q of queues) {
      await rabbit.deleteQueues(q);
      await rabbit.channel.deleteExchange(q).catch(() => undefined);
    }
    await rabbit.close();
  });

  it('runs a task over amqps:// with ca_certs, certfile and keyfile from broker_use_ssl', async () => {
    const queue = uniqueName('tls');
    queues.push(queue);
    const app = createApp(
      {
        broker: url,
        backend: 'rpc://',
        task_default_queue: queue,
        // Celery's broker_use_ssl for py-amqp: the ssl module's names.
        broker_use_ssl: { ca_certs: pki.ca, certfile: pki.clientCert, keyfile: pki.clientKey, cert_reqs: 'CERT_REQUIRED' },
      },
      { log: silent, env: {} },
    );
    const add = app.task('tls.add', (a: number, b: number) => a + b);
    const worker = new Worker(app, { concurrency: 2, log: silent });
    const accepted = terminator.accepted;
    try {
      await worker.start();
      assert.equal(await (await add.delay(20, 22)).get({ timeout: 10 }), 42);
    } finally {
      await worker.stop();
      await app.close();
    }
    assert.ok(terminator.accepted > accepted, 'it went through the TLS terminator');
  });

  it('takes the CA, certificate and key from the URL too (ssl_ca_certs, ssl_certfile, ssl_keyfile)', async () => {
    const q = new URLSearchParams({ ssl_ca_certs: pki.ca, ssl_certfile: pki.clientCert, ssl_keyfile: pki.clientKey });
    const broker = await AmqpBroker.connect(`${url}?${q}`, { log: silent });
    try {
      const queue = uniqueName('tls-url');
      queues.push(queue);
      await broker.declareQueue(queue);
      assert.deepEqual((await broker.stats([queue]))[0], { queue, ready: 0, unacked: null, consumers: 0 });
    } finally {
      await broker.close();
    }
  });

  it('refuses a server whose certificate its CA did not sign, naming the URL without the password', async () => {
    await assert.rejects(AmqpBroker.connect(url, { log: silent, ssl: { ca_certs: pki.otherCa, certfile: pki.clientCert, keyfile: pki.clientKey } }), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, new RegExp(`amqps://guest:\\*\\*\\*@127\\.0\\.0\\.1:${terminator.port}`));
      assert.match(err.message, /certificate/i);
      assert.doesNotMatch(err.message, /guest:guest/);
      return true;
    });
  });

  it('fails clearly when the server requires a client certificate and none is given', async () => {
    await assert.rejects(AmqpBroker.connect(url, { log: silent, ssl: { ca_certs: pki.ca }, transportOptions: { connect_timeout: 5 } }), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, new RegExp(`amqps://guest:\\*\\*\\*@127\\.0\\.0\\.1:${terminator.port}`));
      console.log(`      no client certificate: ${err.message}`);
      return true;
    });
  });
});
