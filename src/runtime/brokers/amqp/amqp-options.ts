/**
 * RabbitMQ URLs as Celery takes them: `amqp://user:pass@host:5672/vhost`,
 * `amqps://…` for TLS (CA/cert/key from broker_use_ssl), several separated by
 * `;` for failover; `pyamqp://` is accepted as Celery's alias.
 */
import type { SocketOptions } from 'amqplib';
import { ConfigError } from '../../errors';
import { redactUrl } from '../../url';
import { tlsOptions } from '../redis/redis-options';

export interface AmqpEndpoint {
  url: string;
  display: string;
  socketOptions: SocketOptions;
}

/** Seconds between heartbeats (Celery's workers ask for 60). */
const DEFAULT_HEARTBEAT = 60;

/**
 * Seconds to get from TCP connect to an open AMQP connection (Celery's
 * broker_connection_timeout default). Without one, a node that accepts TCP
 * but never answers — hung, or behind a half-open path — holds the
 * connection attempt forever and failover never reaches the next URL.
 */
const DEFAULT_CONNECT_TIMEOUT = 4;

function connectTimeoutMs(u: URL, transportOptions: Record<string, unknown>, display: string): number {
  const raw = u.searchParams.get('connect_timeout') ?? transportOptions.connect_timeout ?? transportOptions.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new ConfigError(`AMQP URL '${display}': connect_timeout must be a positive number of seconds, got '${String(raw)}'`);
  return seconds * 1000;
}

export function parseAmqpUrls(urls: string, ssl?: Record<string, unknown>, transportOptions: Record<string, unknown> = {}): AmqpEndpoint[] {
  const parts = urls.split(';').map((u) => u.trim()).filter(Boolean);
  if (parts.length === 0) throw new ConfigError('empty AMQP broker URL');
  return parts.map((raw) => {
    const display = redactUrl(raw);
    let u: URL;
    try {
      u = new URL(raw.replace(/^pyamqp:/i, 'amqp:').replace(/^pyamqps:/i, 'amqps:'));
    } catch {
      throw new ConfigError(`not a valid AMQP URL: '${display}'`);
    }
    const scheme = u.protocol.replace(':', '');
    if (scheme !== 'amqp' && scheme !== 'amqps') throw new ConfigError(`not an AMQP URL: '${display}'`);
    if (!u.searchParams.has('heartbeat')) {
      u.searchParams.set('heartbeat', String(transportOptions.heartbeat ?? DEFAULT_HEARTBEAT));
    }
    // Celery's default vhost is '/', written as a lone slash in the URL.
    if (u.pathname === '' || u.pathname === '/') u.pathname = '/%2F';
    const socketOptions: SocketOptions = {
      noDelay: true, // without it a round trip right after a publish waits ~40 ms (Nagle)
      timeout: connectTimeoutMs(u, transportOptions, display), // amqplib lifts it once the connection is open
      clientProperties: { product: 'celeriac', information: 'https://github.com/celeriac/celeriac' },
    };
    if (scheme === 'amqps' || ssl) Object.assign(socketOptions, tlsOptions({ ...Object.fromEntries(u.searchParams), ...(ssl ?? {}) }));
    return { url: u.toString(), display, socketOptions };
  });
}
