/**
 * The embedded broker and result store of one process tree. `memory://` means
 * "the hub of this process": in-process by default, or the parent's hub over
 * its socket when this process was started by one (CELERIAC_MEMORY_SOCKET).
 */
import { MemoryBrokerCore } from './memory-broker-core';
import { MemoryStore } from './memory-store';

export const MEMORY_SOCKET_ENV = 'CELERIAC_MEMORY_SOCKET';

export class MemoryHub {
  readonly core = new MemoryBrokerCore();
  readonly store = new MemoryStore();
}

let localHub: MemoryHub | undefined;
/** Socket paths at which this process serves its local hub (they resolve to it directly). */
const servedPaths = new Set<string>();

export function markServedLocally(socketPath: string): () => void {
  servedPaths.add(socketPath);
  return () => servedPaths.delete(socketPath);
}

export function isServedLocally(socketPath: string): boolean {
  return servedPaths.has(socketPath);
}

/** A socket at which this process already serves its local hub, if any. */
export function localHubSocket(): string | undefined {
  return servedPaths.values().next().value;
}

export function isLocalHub(hub: MemoryHub): boolean {
  return hub === localHub;
}

/** The hub that lives in this process, created on first use. */
export function getLocalHub(): MemoryHub {
  localHub ??= new MemoryHub();
  return localHub;
}

/**
 * The socket of the hub this process should use for `memory://`, if it was
 * started by a process that serves one; undefined means use the local hub.
 */
export function inheritedHubSocket(): string | undefined {
  const value = process.env[MEMORY_SOCKET_ENV];
  return value ? value : undefined;
}
