/**
 * Redis connection settings from Celery-style URLs and settings:
 *   redis://[user:password@]host[:port][/db]     rediss://… (TLS)
 *   redis+socket:///path/to/redis.sock[?virtual_host=db]
 *   sentinel://[:password@]host:port[/db];sentinel://host2:port   (+ transport option master_name)
 * TLS material from `broker_use_ssl` / `redis_backend_use_ssl` or the URL's
 * `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`, `ssl_cert_reqs` parameters.
 */
import * as fs from 'node:fs';
import type { RedisOptions } from 'ioredis';
import { ConfigError } from '../../errors';
import { redactUrl } from '../../url';

export interface RedisTarget {
  options: RedisOptions;
  /** The db number (it also prefixes fanout channels, as kombu does). */
  db: number;
  /** The URL with the password removed. */
  display: string;
}

function readPem(value: unknown, what: string): string | Buffer | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (Buffer.isBuffer(value)) return value;
  const s = String(value);
  if (s.includes('-----BEGIN')) return s;
  try {
    return fs.readFileSync(s);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} file '${s}': ${(err as Error).message}`);
  }
}

/** TLS options for Node from Celery's names or Node's own (`ca`, `cert`, `key`, `rejectUnauthorized`). */
export function tlsOptions(source: Record<string, unknown>): NonNullable<RedisOptions['tls']> {
  const reqs = String(source.ssl_cert_reqs ?? source.cert_reqs ?? source.certReqs ?? '').toLowerCase();
  const tls: NonNullable<RedisOptions['tls']> = {};
  const ca = readPem(source.ca ?? source.ssl_ca_certs ?? source.ca_certs, 'CA certificate');
  const cert = readPem(source.cert ?? source.ssl_certfile ?? source.certfile, 'client certificate');
  const key = readPem(source.key ?? source.ssl_keyfile ?? source.keyfile, 'client key');
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (typeof source.rejectUnauthorized === 'boolean') tls.rejectUnauthorized = source.rejectUnauthorized;
  else if (reqs === 'none' || reqs === 'cert_none' || reqs === 'ssl.cert_none') tls.rejectUnauthorized = false;
  if (typeof source.servername === 'string') tls.servername = source.servername;
  return tls;
}

function parseDb(path: string, url: string): number {
  const m = /^\/?(\d*)\/?$/.exec(path);
  if (!m) throw new ConfigError(`Redis URL '${redactUrl(url)}': the path must be a database number, e.g. /0`);
  return m[1] ? Number(m[1]) : 0;
}

/** Reconnect quickly: a worker must be consuming again within seconds of Redis coming back. */
function retryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 10), 1000);
}

export function parseRedisUrl(
  url: string,
  ssl?: Record<string, unknown>,
  transportOptions: Record<string, unknown> = {},
): RedisTarget {
  const display = redactUrl(url);
  const base: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy,
    connectionName: 'celeriac',
  };

  if (/^sentinel:\/\//i.test(url)) {
    const parts = url.split(';').map((u) => new URL(u.trim()));
    const masterName = transportOptions.master_name ?? transportOptions.masterName;
    if (typeof masterName !== 'string' || !masterName) {
      throw new ConfigError(`Sentinel URL '${display}' needs broker_transport_options.master_name (the monitored master's name)`);
    }
    const first = parts[0];
    const db = parseDb(first.pathname, url);
    const sentinelPassword = (transportOptions.sentinel_kwargs as Record<string, unknown> | undefined)?.password;
    return {
      db,
      display,
      options: {
        ...base,
        sentinels: parts.map((p) => ({ host: p.hostname, port: p.port ? Number(p.port) : 26379 })),
        name: masterName,
        db,
        password: first.password ? decodeURIComponent(first.password) : undefined,
        username: first.username ? decodeURIComponent(first.username) : undefined,
        sentinelPassword: typeof sentinelPassword === 'string' ? sentinelPassword : undefined,
      },
    };
  }

  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`not a valid Redis URL: '${display}'`);
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  const params = Object.fromEntries(u.searchParams.entries());
  if (scheme === 'redis+socket' || scheme === 'unix') {
    const db = Number(params.virtual_host ?? params.db ?? 0);
    return { db, display, options: { ...base, path: decodeURIComponent(u.pathname), db } };
  }
  if (scheme !== 'redis' && scheme !== 'rediss') throw new ConfigError(`not a Redis URL: '${display}'`);
  const db = parseDb(u.pathname, url);
  const options: RedisOptions = {
    ...base,
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  const sslParams = Object.keys(params).some((k) => k.startsWith('ssl_'));
  if (scheme === 'rediss' || ssl || sslParams) {
    options.tls = { ...tlsOptions(params), ...tlsOptions(ssl ?? {}) };
  }
  return { db, display, options };
}
