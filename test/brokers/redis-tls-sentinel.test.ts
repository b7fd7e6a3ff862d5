import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp, Worker, ConnectionError, type App } from '../../src/runtime';
import { createLogger } from '../../src/runtime/log';
import { sparePort, startRedisServer, type RedisServer } from '../helpers/redis-server';

const silent = createLogger({ level: 'silent' });

/** A CA and a server certificate for 127.0.0.1, made with openssl for this run. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=celeriac-test-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext.cnf']);
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

async function roundTrip(app: App): Promise<number> {
  const add = app.task('tls.add', (a: number, b: number) => a + b);
  const worker = new Worker(app, { concurrency: 2, log: silent });
  await worker.start();
  try {
    return await (await add.delay(20, 22)).get({ timeout: 10 });
  } finally {
    await worker.stop();
  }
}

describe('redis:// over TLS with a password (rediss://)', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let certs: { ca: string; cert: string; key: string };
  let dir: string;
  let url: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-tls-'));
    certs = makeCertificates(dir);
    const port = await sparePort();
    server = await startRedisServer(
      ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', '--requirepass', 's3cret pass'],
      { port },
    );
    url = `rediss://:${encodeURIComponent('s3cret pass')}@127.0.0.1:${port}/0`;
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a task with broker and backend on TLS, trusting the CA from broker_use_ssl / redis_backend_use_ssl', async () => {
    const app = createApp(
      { broker: url, backend: url, task_default_queue: 'tls', broker_use_ssl: { ssl_ca_certs: certs.ca }, redis_backend_use_ssl: { ssl_ca_certs: certs.ca } },
      { log: silent },
    );
    try {
      assert.equal(await roundTrip(app), 42);
    } finally {
      await app.close();
    }
  });

  it('takes the CA from the URL (ssl_ca_certs) too', async () => {
    const withCa = `${url}?ssl_ca_certs=${encodeURIComponent(certs.ca)}`;
    const app = createApp({ broker: withCa, backend: withCa, task_default_queue: 'tls-url' }, { log: silent });
    try {
      assert.equal(await roundTrip(app), 42);
    } finally {
      await app.close();
    }
  });

  it('refuses a server it cannot verify, naming the URL without the password', async () => {
    const app = createApp({ broker: url, task_default_queue: 'tls-untrusted' }, { log: silent });
    await assert.rejects(app.connectBroker(), (err: unknown) => {
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, /rediss:\/\/:\*\*\*@127\.0\.0\.1/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
    await app.close();
  });

  it('refuses a wrong password with an error that does not print it', async () => {
    const wrong = `rediss://:nope-nope@127.0.0.1:${server.port}/0`;
    const app = createApp({ broker: wrong, task_default_queue: 'tls-auth', broker_use_ssl: { ssl_ca_certs: certs.ca } }, { log: silent });
    await assert.rejects(app.connectBroker(), (err: unknown) => err instanceof ConnectionError && !/nope-nope/.test(err.message));
    await app.close();
  });
});

describe('redis:// through Sentinel (sentinel:// + master_name)', function () {
  this.timeout(30_000);
  let master: RedisServer;
  let sentinel: RedisServer;

  before(async () => {
    master = await startRedisServer([]);
    const port = await sparePort();
    const conf = path.join(master.dir, 'sentinel.conf');
    fs.writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsentinel monitor celeriac-test 127.0.0.1 ${master.port} 1\n`);
    sentinel = await startRedisServer(['--sentinel'], { port, configFile: conf, readyLine: /\+monitor master celeriac-test/ });
  });
  after(async () => {
    await sentinel.stop();
    await master.stop();
  });

  it('finds the master through the sentinel and runs a task', async () => {
    const url = `sentinel://127.0.0.1:${sentinel.port}/0`;
    const app = createApp(
      { broker: url, backend: url, task_default_queue: 'sentinel', broker_transport_options: { master_name: 'celeriac-test' }, result_backend_transport_options: { master_name: 'celeriac-test' } },
      { log: silent },
    );
    try {
      assert.equal(await roundTrip(app), 42);
    } finally {
      await app.close();
    }
  });

  it('says master_name is missing instead of guessing', async () => {
    const app = createApp({ broker: `sentinel://127.0.0.1:${sentinel.port}/0` }, { log: silent });
    await assert.rejects(app.connectBroker(), /master_name/);
    await app.close();
  });
});
