/**
 * The overview strip: how many matching tasks started in each pixel column
 * over the whole session (failures on top in their colour), with the main
 * view's window outlined. The histogram walks every task, so it is rebuilt
 * at most twice a second and only when the data, filter or range changed.
 */
import type { TaskStore } from '../model/task-store';
import type { Palette } from './theme';

export interface MinimapRange {
  t0: number;
  t1: number;
}

export class Minimap {
  private counts = new Uint32Array(0);
  private failures = new Uint32Array(0);
  private builtFor = '';
  private builtAt = -Infinity;
  private builtFilter: unknown;
  range: MinimapRange = { t0: 0, t1: 1 };

  /** The session's span: first event to the later of the last event and now. */
  static rangeOf(store: TaskStore, now: number): MinimapRange {
    if (!Number.isFinite(store.minTime)) return { t0: now - 60_000, t1: now };
    const t1 = Math.max(store.maxTime, now);
    return { t0: store.minTime, t1: Math.max(t1, store.minTime + 1000) };
  }

  /** Rebuilds the histogram when due; true when it changed. */
  update(store: TaskStore, now: number, width: number, clock: number): boolean {
    const columns = Math.max(1, Math.floor(width));
    const range = Minimap.rangeOf(store, now);
    // The range's end moves with the clock: rebuild for data, width or a 2% change of span, not every frame.
    const key = `${store.version}|${columns}|${range.t0}|${Math.round(Math.log(range.t1 - range.t0) * 50)}`;
    // Streaming data rebuilds at most twice a second; a new filter at once (the user is looking).
    if (key === this.builtFor || (store.filter === this.builtFilter && clock - this.builtAt < 500)) return false;
    this.builtFor = key;
    this.builtFilter = store.filter;
    this.builtAt = clock;
    this.range = range;
    if (this.counts.length !== columns) {
      this.counts = new Uint32Array(columns);
      this.failures = new Uint32Array(columns);
    } else {
      this.counts.fill(0);
      this.failures.fill(0);
    }
    const perColumn = (range.t1 - range.t0) / columns;
    for (const t of store.values()) {
      if (!t.matches) continue;
      for (const a of t.attempts) {
        const at = a.started ?? a.received;
        if (at === undefined) continue;
        const c = Math.min(columns - 1, Math.max(0, Math.floor((at - range.t0) / perColumn)));
        this.counts[c]++;
        if (a.outcome === 'FAILURE') this.failures[c]++;
      }
    }
    return true;
  }

  draw(ctx: CanvasRenderingContext2D, width: number, height: number, p: Palette, view: MinimapRange): void {
    ctx.fillStyle = p.groupBackground;
    ctx.fillRect(0, 0, width, height);
    const max = this.counts.reduce((m, v) => Math.max(m, v), 0);
    const scaleX = width / Math.max(1, this.counts.length);
    if (max > 0) {
      // Log scale: a burst must not flatten everything else.
      const hOf = (v: number) => (v ? Math.max(1, (Math.log1p(v) / Math.log1p(max)) * (height - 4)) : 0);
      ctx.globalAlpha = 0.6;
      ctx.fillStyle = p.foreground;
      ctx.beginPath();
      for (let i = 0; i < this.counts.length; i++) {
        const h = hOf(this.counts[i]);
        if (h) ctx.rect(i * scaleX, height - h, Math.max(1, scaleX), h);
      }
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.fillStyle = p.outcome.FAILURE;
      ctx.beginPath();
      for (let i = 0; i < this.failures.length; i++) {
        const h = hOf(this.failures[i]);
        if (h) ctx.rect(i * scaleX, height - h, Math.max(1, scaleX), h);
      }
      ctx.fill();
    }
    const x0 = this.x(view.t0, width);
    const x1 = this.x(view.t1, width);
    ctx.globalAlpha = 0.18;
    ctx.fillStyle = p.focus;
    ctx.fillRect(x0, 0, Math.max(2, x1 - x0), height);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = p.focus;
    ctx.lineWidth = 1;
    ctx.strokeRect(Math.round(x0) + 0.5, 0.5, Math.max(2, Math.round(x1 - x0) - 1), height - 1);
  }

  x(t: number, width: number): number {
    return ((t - this.range.t0) / (this.range.t1 - this.range.t0)) * width;
  }

  time(x: number, width: number): number {
    return this.range.t0 + (x / Math.max(1, width)) * (this.range.t1 - this.range.t0);
  }
}
