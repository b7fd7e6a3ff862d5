/**
 * Time ↔ x for the plot: `start` is the time at x = 0 and `msPerPx` the zoom.
 * Zooming keeps the time under the pointer where it is.
 */

/** 1 µs per pixel at most zoomed in, 1 day per 10 px at most zoomed out. */
export const MIN_MS_PER_PX = 0.001;
export const MAX_MS_PER_PX = 86_400_000 / 10;

export class TimeScale {
  constructor(
    public start = 0,
    public msPerPx = 100,
  ) {}

  x(t: number): number {
    return (t - this.start) / this.msPerPx;
  }

  time(x: number): number {
    return this.start + x * this.msPerPx;
  }

  end(width: number): number {
    return this.time(width);
  }

  /** factor > 1 zooms out, < 1 zooms in, around pixel `x`. */
  zoomAt(x: number, factor: number): void {
    const t = this.time(x);
    this.msPerPx = clamp(this.msPerPx * factor, MIN_MS_PER_PX, MAX_MS_PER_PX);
    this.start = t - x * this.msPerPx;
  }

  panBy(dx: number): void {
    this.start += dx * this.msPerPx;
  }

  /** Show [t0, t1] across `width` pixels, with a small margin each side. */
  fit(t0: number, t1: number, width: number, margin = 0.02): void {
    const span = Math.max(t1 - t0, 1);
    const w = Math.max(width, 1);
    this.msPerPx = clamp((span * (1 + 2 * margin)) / w, MIN_MS_PER_PX, MAX_MS_PER_PX);
    this.start = t0 - span * margin;
    if (span * (1 + 2 * margin) < w * this.msPerPx) this.start = (t0 + t1) / 2 - (w * this.msPerPx) / 2;
  }

  /** Put time `t` at pixel `x` without changing the zoom. */
  placeAt(t: number, x: number): void {
    this.start = t - x * this.msPerPx;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
