/** `ps` shows the worker's state: `celeriac worker: w1@host [celery] 3/4 busy`. */

const MIN_INTERVAL_MS = 200;

export class ProcessTitle {
  private lastSet = 0;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private busy = 0;

  constructor(
    private readonly hostname: string,
    private readonly queues: readonly string[],
    private readonly concurrency: number,
  ) {}

  private text(state?: string): string {
    const status = state ?? `${this.busy}/${this.concurrency} busy`;
    return `celeriac worker: ${this.hostname} [${this.queues.join(',')}] ${status}`;
  }

  /** Coalesced: busy workers change state thousands of times a second. */
  update(busy: number, state?: string): void {
    this.busy = busy;
    if (state) {
      if (this.pending) clearTimeout(this.pending);
      this.pending = undefined;
      process.title = this.text(state);
      return;
    }
    const now = Date.now();
    if (now - this.lastSet >= MIN_INTERVAL_MS) {
      this.lastSet = now;
      process.title = this.text();
    } else if (!this.pending) {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        this.lastSet = Date.now();
        process.title = this.text();
      }, MIN_INTERVAL_MS);
      this.pending.unref();
    }
  }
}
