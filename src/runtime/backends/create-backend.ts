/** Result backends by URL scheme (Celery's BACKEND_ALIASES). */
import { ConfigError } from '../errors';
import { redactUrl, urlScheme } from '../url';
import { HubConnection } from '../brokers/memory/hub-connection';
import { resolveMemoryUrl } from '../brokers/memory/memory-url';
import type { ResultBackend } from './backend';
import { DisabledBackend } from './disabled-backend';
import { KeyValueBackend } from './key-value-backend';
import { LocalKeyValueStore, RemoteKeyValueStore } from './memory-kv-store';
import { RedisKeyValueStore } from './redis-kv-store';
import { parseRedisUrl } from '../brokers/redis/redis-options';
import { createLogger, type Logger } from '../log';
import type { Broker } from '../brokers/broker';
import { RpcBackend } from './rpc-backend';

export interface BackendFactoryOptions {
  /** Seconds results are kept (`result_expires`). */
  resultExpires?: number;
  transportOptions?: Record<string, unknown>;
  /** TLS settings (Celery's `redis_backend_use_ssl`). */
  ssl?: Record<string, unknown>;
  log?: Logger;
  /** The app's broker connection (rpc:// sends results through it). */
  broker?: () => Promise<Broker>;
  /** This client's reply queue (rpc://), the app's oid. */
  replyQueue?: string;
}

type BackendFactory = (url: string, options: BackendFactoryOptions) => Promise<ResultBackend>;

async function createMemoryBackend(url: string, options: BackendFactoryOptions): Promise<ResultBackend> {
  const target = resolveMemoryUrl(url);
  const store =
    target.kind === 'local'
      ? new LocalKeyValueStore(target.hub.store)
      : new RemoteKeyValueStore(await HubConnection.connect(target.path));
  return new KeyValueBackend(store, 'memory://', options.resultExpires);
}

const createRedisBackend: BackendFactory = async (url, o) => {
  const target = parseRedisUrl(url, o.ssl, o.transportOptions);
  return new KeyValueBackend(await RedisKeyValueStore.connect(target, o.log ?? createLogger()), target.display, o.resultExpires);
};

const createRpcBackend: BackendFactory = async (url, o) => {
  if (!o.broker || !o.replyQueue) throw new ConfigError(`the ${redactUrl(url)} result backend sends results through the broker: create it from an app`);
  return new RpcBackend(o.broker, o.replyQueue, o.log ?? createLogger());
};

const BACKEND_ALIASES: Record<string, BackendFactory> = {
  memory: createMemoryBackend,
  redis: createRedisBackend,
  rediss: createRedisBackend,
  'redis+socket': createRedisBackend,
  sentinel: createRedisBackend,
  rpc: createRpcBackend,
  disabled: async () => new DisabledBackend(),
};

export function supportedBackendSchemes(): string[] {
  return Object.keys(BACKEND_ALIASES);
}

export async function createBackend(url: string | undefined, options: BackendFactoryOptions = {}): Promise<ResultBackend> {
  if (!url) return new DisabledBackend();
  const scheme = urlScheme(url);
  const factory = BACKEND_ALIASES[scheme];
  if (!factory) {
    throw new ConfigError(
      `unsupported result backend '${redactUrl(url)}': scheme '${scheme || '(none)'}' is not one of ${supportedBackendSchemes()
        .map((s) => s + '://')
        .join(', ')}`,
    );
  }
  return factory(url, options);
}
