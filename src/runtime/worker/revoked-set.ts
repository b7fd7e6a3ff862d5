/**
 * Ids of revoked tasks, kept as Celery keeps them (LimitedSet): at most
 * `maxSize` entries, each forgotten after `ttlSeconds` (default 3 hours).
 */
export class RevokedSet {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly maxSize = 50_000,
    private readonly ttlSeconds = 10_800,
    private readonly now: () => number = Date.now,
  ) {}

  add(id: string): void {
    this.entries.delete(id);
    this.entries.set(id, this.now() + this.ttlSeconds * 1000);
    while (this.entries.size > this.maxSize) this.entries.delete(this.entries.keys().next().value!);
  }

  has(id: string): boolean {
    const until = this.entries.get(id);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.entries.delete(id);
    return false;
  }

  /** Celery's mingle form (LimitedSet data): id → [revoked-at unix seconds, id]. */
  asCeleryData(): Record<string, [number, string]> {
    const now = this.now();
    const out: Record<string, [number, string]> = {};
    for (const [id, until] of this.entries) if (until > now) out[id] = [(until - this.ttlSeconds * 1000) / 1000, id];
    return out;
  }

  ids(): string[] {
    const now = this.now();
    return [...this.entries].filter(([, until]) => until > now).map(([id]) => id);
  }
}
