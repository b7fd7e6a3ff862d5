/** What a worker reports about the tasks it handles (typed; Celery event names). */
import type { SerializedError } from '../protocol/result-meta';

export interface TaskReceivedEvent {
  id: string;
  name: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  retries: number;
  eta: string | null;
  expires: string | null;
  rootId: string;
  parentId: string | null;
  queue: string;
  redelivered: boolean;
  timestamp: number;
}

export interface TaskStartedEvent {
  id: string;
  name: string;
  pid: number;
  timestamp: number;
}

export interface TaskSucceededEvent {
  id: string;
  name: string;
  result: unknown;
  runtimeMs: number;
  timestamp: number;
}

export interface TaskFailedEvent {
  id: string;
  name: string;
  error: SerializedError;
  runtimeMs: number;
  cause?: 'time-limit' | 'worker-lost' | 'unregistered';
  timestamp: number;
}

export interface TaskRetriedEvent {
  id: string;
  name: string;
  reason: string;
  exc: SerializedError | null;
  etaMs: number;
  timestamp: number;
}

export interface TaskRevokedEvent {
  id: string;
  name: string;
  expired: boolean;
  /** Stopped while running (revoke with terminate). */
  terminated?: boolean;
  signum?: number | null;
  timestamp: number;
}

/** A message that was not run: malformed, unknown task, or given back at shutdown. */
export interface TaskRejectedEvent {
  id: string | null;
  name: string | null;
  queue: string;
  reason: string;
  requeued: boolean;
  timestamp: number;
}

export interface WorkerEvents {
  'task-received': (e: TaskReceivedEvent) => void;
  'task-started': (e: TaskStartedEvent) => void;
  'task-succeeded': (e: TaskSucceededEvent) => void;
  'task-failed': (e: TaskFailedEvent) => void;
  'task-retried': (e: TaskRetriedEvent) => void;
  'task-revoked': (e: TaskRevokedEvent) => void;
  'task-rejected': (e: TaskRejectedEvent) => void;
  'worker-online': (e: { hostname: string; timestamp: number }) => void;
  'worker-offline': (e: { hostname: string; timestamp: number }) => void;
}
