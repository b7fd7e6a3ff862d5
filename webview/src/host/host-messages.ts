/** The type guard every message from the host passes before the page acts on it. */
import { isMessageOf, type HostToWebviewMessage } from '../../../src/shared/timeline-protocol';

const HOST_TYPES: readonly HostToWebviewMessage['type'][] = ['init', 'events', 'stored-results', 'registered', 'action-result', 'reset'];

export function isHostMessage(value: unknown): value is HostToWebviewMessage {
  if (!isMessageOf<HostToWebviewMessage>(value, HOST_TYPES)) return false;
  const m = value as HostToWebviewMessage;
  switch (m.type) {
    case 'init':
      return typeof m.maxTasks === 'number' && typeof m.now === 'number' && typeof m.connection === 'string';
    case 'events':
      return Array.isArray(m.events);
    case 'stored-results':
      return Array.isArray(m.results);
    case 'registered':
      return Array.isArray(m.tasks);
    case 'action-result':
      return typeof m.requestId === 'number' && typeof m.ok === 'boolean' && typeof m.message === 'string';
    case 'reset':
      return typeof m.connection === 'string';
  }
}
