/**
 * A key/value store next to the broker, for what workers and beats coordinate
 * through: locks, beat's last-run state, rate limits shared by all workers.
 * It is the broker's own server: Redis for `redis://`, the embedded hub for
 * `memory://`.
 */
import { ConfigError } from '../errors';
import type { Logger } from '../log';
import { urlScheme, redactUrl } from '../url';
import type { KeyValueStore } from '../backends/key-value-store';
import { LocalKeyValueStore, RemoteKeyValueStore } from '../backends/memory-kv-store';
import { RedisKeyValueStore } from '../backends/redis-kv-store';
import { HubConnection } from '../brokers/memory/hub-connection';
import { resolveMemoryUrl } from '../brokers/memory/memory-url';
import { parseRedisUrl } from '../brokers/redis/redis-options';

export async function openCoordinationStore(
  brokerUrl: string,
  options: { ssl?: Record<string, unknown>; transportOptions?: Record<string, unknown>; log: Logger },
): Promise<KeyValueStore> {
  const scheme = urlScheme(brokerUrl);
  if (scheme === 'memory') {
    const target = resolveMemoryUrl(brokerUrl);
    return target.kind === 'local' ? new LocalKeyValueStore(target.hub.store) : new RemoteKeyValueStore(await HubConnection.connect(target.path));
  }
  if (scheme === 'redis' || scheme === 'rediss' || scheme === 'redis+socket' || scheme === 'sentinel') {
    return RedisKeyValueStore.connect(parseRedisUrl(brokerUrl, options.ssl, options.transportOptions), options.log);
  }
  throw new ConfigError(
    `locks, beat state and global rate limits need a Redis or memory:// broker; ${redactUrl(brokerUrl)} has none of these (use a redis:// URL)`,
  );
}
