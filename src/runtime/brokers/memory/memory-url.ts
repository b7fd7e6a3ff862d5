/**
 * Where `memory://` points: `memory://` is this process's embedded hub (or the
 * hub of the process that started this one, via CELERIAC_MEMORY_SOCKET);
 * `memory:///path/to/hub.sock` is the hub serving that socket.
 */
import { ConfigError } from '../../errors';
import { getLocalHub, inheritedHubSocket, isServedLocally, type MemoryHub } from './memory-hub';

export type MemoryTarget = { kind: 'local'; hub: MemoryHub } | { kind: 'socket'; path: string };

export function resolveMemoryUrl(url: string): MemoryTarget {
  const m = /^memory:\/\/([^/?#]*)(\/[^?#]*)?/i.exec(url);
  if (!m) throw new ConfigError(`not a memory:// URL: '${url}'`);
  const socketPath = m[2] && m[2] !== '/' ? decodeURIComponent(m[2]) : undefined;
  const target = socketPath ?? inheritedHubSocket();
  if (!target || isServedLocally(target)) return { kind: 'local', hub: getLocalHub() };
  return { kind: 'socket', path: target };
}
