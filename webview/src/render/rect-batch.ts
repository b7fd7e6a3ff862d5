/**
 * Rectangles collected per colour slot and filled with one path per colour,
 * so a frame costs a few fill calls however many bars it has. Neighbouring
 * bars of one colour on one row that touch at this zoom merge into one
 * rectangle: zoomed out, thousands of sub-pixel bars become a handful.
 */

export class RectBatch {
  private readonly buckets: Bucket[];

  constructor(colours: number) {
    this.buckets = Array.from({ length: colours }, () => new Bucket());
  }

  add(colour: number, x: number, y: number, w: number, h: number): void {
    this.buckets[colour].add(x, y, w, h);
  }

  /** Fills everything in colour-slot order (so earlier slots are under later ones), then empties the batch. */
  flush(ctx: CanvasRenderingContext2D, colours: readonly string[], alphas: readonly number[]): void {
    this.buckets.forEach((b, i) => {
      if (!b.count) return;
      ctx.globalAlpha = alphas[i] ?? 1;
      ctx.fillStyle = colours[i];
      ctx.beginPath();
      const r = b.rects;
      for (let k = 0; k < b.count * 4; k += 4) ctx.rect(r[k], r[k + 1], r[k + 2], r[k + 3]);
      ctx.fill();
      b.count = 0;
    });
    ctx.globalAlpha = 1;
  }
}

class Bucket {
  rects = new Float64Array(4096);
  count = 0;

  add(x: number, y: number, w: number, h: number): void {
    // Whole pixels: no anti-aliased edges to rasterise, and bars that touch at this zoom merge.
    const left = Math.round(x);
    const right = Math.max(left + 1, Math.round(x + w));
    const n = this.count * 4;
    const r = this.rects;
    if (n && r[n - 3] === y && r[n - 1] === h && left >= r[n - 4] && left <= r[n - 4] + r[n - 2]) {
      if (right - r[n - 4] > r[n - 2]) r[n - 2] = right - r[n - 4];
      return;
    }
    x = left;
    w = right - left;
    if (n + 4 > r.length) {
      const bigger = new Float64Array(r.length * 2);
      bigger.set(r);
      this.rects = bigger;
    }
    this.rects[n] = x;
    this.rects[n + 1] = y;
    this.rects[n + 2] = w;
    this.rects[n + 3] = h;
    this.count++;
  }
}
