/** A typed event emitter whose subscriptions are disposables. */
import { toDisposable, type Disposable } from './disposable';

type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  on<K extends keyof Events>(event: K, listener: Events[K]): Disposable {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return toDisposable(() => set!.delete(listener));
  }

  has(event: keyof Events): boolean {
    const set = this.listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of set) {
      try {
        listener(...args);
      } catch {
        // A listener's bug must not break the worker loop that emitted the event.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
