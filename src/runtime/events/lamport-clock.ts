/** A Lamport clock, as Celery keeps one per process for events and control messages. */
export class LamportClock {
  private value = 0;

  /** Tick for something this process sends. */
  forward(): number {
    return ++this.value;
  }

  /** Move past a clock value received from another process. */
  adjust(other: number): number {
    if (Number.isFinite(other)) this.value = Math.max(this.value, Math.floor(other)) + 1;
    return this.value;
  }

  get current(): number {
    return this.value;
  }
}
