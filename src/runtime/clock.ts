/**
 * Time as the runtime sees it. Everything that waits (ETA, countdown, retry
 * back-off, time limits, visibility timeouts) goes through a Clock, so the
 * simulator can replace wall time with a virtual one.
 */
export interface TimerHandle {
  /** Let the process exit even if this timer is pending. */
  unref?(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
