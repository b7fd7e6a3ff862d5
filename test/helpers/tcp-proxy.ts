/**
 * A TCP forwarder the test owns, put between a client and a server shared
 * with others (RabbitMQ on 5672): cutting, stopping or freezing it breaks only
 * the connections that go through it. With `tls` it also terminates TLS, so
 * a plain server can be reached over amqps:// with a test CA.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface TcpProxy {
  readonly port: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /** Client connections open now. */
  readonly open: number;
  /** Destroy every open connection, both sides, as a network failure would; new ones are still accepted. */
  cut(): void;
  /**
   * Stop moving bytes on the connections open now, without closing them: a
   * silent partition (no FIN, no RST) that only heartbeats can notice. New
   * connections work.
   */
  freeze(): void;
  /** Called for each connection accepted from now on. */
  onAccept(listener: (conn: ProxiedConnection) => void): void;
  /** Stop listening and cut everything; `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** One client connection through the proxy. */
export interface ProxiedConnection {
  /** Destroy this connection only. */
  cut(): void;
  /**
   * Resolves as soon as the client has sent `bytes` (e.g. an AMQP method
   * frame's class and method ids), before the server can answer it.
   */
  clientSends(bytes: Buffer): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

export interface ProxyOptions {
  /** Listen here (default: a free port). */
  port?: number;
  /** Terminate TLS with these server options. */
  tls?: tls.TlsOptions;
}

export async function startTcpProxy(target: { host: string; port: number }, options: ProxyOptions = {}): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let port = options.port ?? 0;
  const acceptListeners: ((conn: ProxiedConnection) => void)[] = [];

  const onClient = (client: net.Socket) => {
    accepted++;
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    const conn: ProxiedConnection = {
      cut: drop,
      clientSends: (bytes) =>
        new Promise((resolve) => {
          let tail = Buffer.alloc(0);
          const look = (chunk: Buffer) => {
            const seen = Buffer.concat([tail, chunk]);
            if (seen.includes(bytes)) {
              client.off('data', look);
              resolve();
            } else tail = seen.subarray(Math.max(0, seen.length - bytes.length + 1));
          };
          // Registered after pipe's own listener, so the chunk is forwarded
          // first and a cut from `resolve` lands before any reply comes back.
          client.on('data', look);
        }),
    };
    for (const l of acceptListeners) l(conn);
  };

  const makeServer = (): net.Server => {
    const server = options.tls ? tls.createServer(options.tls, onClient) : net.createServer(onClient);
    // A client that fails the TLS handshake is the test's business, not an uncaught error.
    server.on('tlsClientError', () => undefined);
    server.on('error', () => undefined);
    return server;
  };

  let server: net.Server | undefined;
  const listen = async () => {
    const s = makeServer();
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve();
      });
    });
    port = (s.address() as net.AddressInfo).port;
    server = s;
  };
  const cut = () => {
    for (const p of [...pairs]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    pairs.clear();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    cut,
    onAccept(listener) {
      acceptListeners.push(listener);
    },
    freeze() {
      for (const p of pairs) {
        p.client.unpipe(p.upstream);
        p.upstream.unpipe(p.client);
        // Read and drop whatever arrives, so neither side sees back-pressure or a close.
        p.client.on('data', () => undefined).resume();
        p.upstream.on('data', () => undefined).resume();
      }
    },
    async stop() {
      const s = server;
      server = undefined;
      cut();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async start() {
      if (!server) await listen();
    },
  };
}
