/**
 * Per-worker rate limits as Celery has them: a token bucket per task name
 * (capacity 1) refilled at the configured rate, written `'10/s'`, `'100/m'`,
 * `'1000/h'` or a plain number per second.
 */
import { ConfigError } from '../errors';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Tokens per second, or 0 for "no limit". */
export function parseRate(rate: string | number | null | undefined): number {
  if (rate === null || rate === undefined || rate === '' || rate === 0 || rate === '0') return 0;
  if (typeof rate === 'number') return rate > 0 ? rate : 0;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/i.exec(rate);
  if (!m) throw new ConfigError(`invalid rate limit '${rate}': use e.g. '10/s', '100/m', '1000/h' or a number per second`);
  return Number(m[1]) / UNIT_SECONDS[(m[2] ?? 's').toLowerCase()];
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    private readonly capacity = 1,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }

  /** Take a token if one is there. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token will be there. */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
