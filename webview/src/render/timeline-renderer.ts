/**
 * Draws one frame of the timeline on a 2D canvas: axis, lane labels, waits
 * and runs of the visible lanes (only the items in the visible time window,
 * found by binary search), retry links, the selection and the live edge.
 * Pure drawing: it reads the layout and the store and keeps nothing.
 */
import { attemptSegments, emptySegments, waitStartOf } from '../layout/attempt-segments';
import type { Lane } from '../layout/lane-layout';
import type { TimeScale } from '../layout/time-scale';
import { timeTicks } from '../layout/time-ticks';
import type { Attempt, TaskRecord, WorkerRecord } from '../model/types';
import { slotAccess } from '../layout/worker-group';
import { COLOUR, COLOUR_COUNT, laneGeometry } from './lane-geometry';
import { RectBatch } from './rect-batch';
import type { Palette } from './theme';

export interface Frame {
  width: number;
  height: number;
  palette: Palette;
  /** x = 0 is the left edge of the plot (right of the gutter). */
  scale: TimeScale;
  gutter: number;
  axisHeight: number;
  lanes: readonly Lane[];
  scrollY: number;
  now: number;
  selected?: TaskRecord;
  hovered?: TaskRecord;
  workers: ReadonlyMap<string, WorkerRecord>;
  /** Draw every visible retry link (else only the selected task's). */
  allLinks: boolean;
}

export interface FrameStats {
  /** Tasks' bars drawn (attempts and queued tasks in view that pass the filters). */
  bars: number;
  ms: number;
}

const WAIT_HEIGHT = 3;
const MAX_LABELS = 3000;
const MAX_LINKS = 5000;
/** Waits are drawn lighter than runs. */
const WAIT_ALPHA = [0.45, 0.85, 1, 1, 1, 1, 1, 1, 1];
const receivedKey = (a: Attempt) => a.received ?? 0;

export class TimelineRenderer {
  private readonly batch = new RectBatch(COLOUR_COUNT);
  private readonly seg = emptySegments();

  draw(ctx: CanvasRenderingContext2D, f: Frame): FrameStats {
    const started = performance.now();
    const { palette: p, width, height, gutter, axisHeight, scale } = f;
    const plotWidth = Math.max(0, width - gutter);
    const t0 = scale.time(0);
    const t1 = scale.time(plotWidth);
    const xOf = (t: number) => gutter + Math.max(-4, Math.min(plotWidth + 4, (t - scale.start) / scale.msPerPx));

    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, width, height);
    ctx.font = `11px ${p.font.replace(/^\S+\s/, '')}`;
    ctx.textBaseline = 'middle';

    const ticks = timeTicks(scale.start, scale.msPerPx, plotWidth);
    const visible = f.lanes.filter((l) => l.top - f.scrollY + l.height > 0 && l.top - f.scrollY < height - axisHeight);
    const laneY = (l: Lane) => axisHeight + l.top - f.scrollY;

    // Lane backgrounds and grid, under everything.
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, axisHeight, width, height - axisHeight);
    ctx.clip();
    for (const l of visible) {
      if (l.kind === 'worker' || l.kind === 'queued' || l.kind === 'stored') {
        ctx.fillStyle = p.groupBackground;
        ctx.fillRect(0, laneY(l), width, l.height);
      } else if (l.slot % 2 === 1) {
        ctx.globalAlpha = 0.35;
        ctx.fillStyle = p.laneStripe;
        ctx.fillRect(gutter, laneY(l), plotWidth, l.height);
        ctx.globalAlpha = 1;
      }
    }
    ctx.globalAlpha = 0.5;
    ctx.fillStyle = p.grid;
    for (const tick of ticks) ctx.fillRect(Math.round(gutter + tick.x), axisHeight, 1, height - axisHeight);
    ctx.globalAlpha = 1;

    // Bars: waits first, so a run covers the waits that overlap it.
    ctx.beginPath();
    ctx.rect(gutter, axisHeight, plotWidth, height - axisHeight);
    ctx.clip();
    let bars = 0;
    const labels: { x: number; y: number; w: number; text: string }[] = [];
    const links: Attempt[] = [];
    const batch = this.batch;
    const colours = [p.queueWait, p.etaWait, p.running, p.outcome.SUCCESS, p.outcome.FAILURE, p.outcome.RETRY, p.outcome.REVOKED, p.outcome.REJECTED, p.outcome.LOST];
    const start = scale.start;
    const perPx = scale.msPerPx;
    const xOfFast = (t: number) => {
      const x = (t - start) / perPx;
      return gutter + (x < -4 ? -4 : x > plotWidth + 4 ? plotWidth + 4 : x);
    };
    const wantLinks = (a: Attempt) => a.index > 0 && links.length < MAX_LINKS && (f.allLinks || a.task === f.selected);
    for (const l of visible) {
      const y = laneY(l);
      const mid = Math.round(y + l.height / 2 - WAIT_HEIGHT / 2);
      const runY = y + 2;
      const runH = l.height - 4;
      l.tasks?.forEachIn(t0, t1, (t) => {
        if (!t.matches) return;
        bars++;
        const x0 = xOf(t.sent ?? 0);
        const x1 = xOf(t.dequeued ?? f.now);
        batch.add(t.dequeued === undefined ? COLOUR.queueWait : COLOUR.REVOKED, x0, mid, Math.max(1, x1 - x0), WAIT_HEIGHT);
      });
      if (!l.attempts) continue;
      // Finished bars from the lane's flat arrays…
      const g = laneGeometry(l.attempts, l.kind === 'worker' ? receivedKey : slotAccess.key);
      const { before, after } = l.attempts.reach;
      const last = t1 + before;
      for (let i = g.lowerBound(t0 - after); i < g.n; i++) {
        if (g.key[i] > last) break;
        if (g.to[i] < t0 || g.from[i] > t1) continue;
        bars++;
        const ef = g.etaFrom[i];
        if (ef === ef) {
          const x0 = xOfFast(ef);
          batch.add(COLOUR.etaWait, x0, mid, xOfFast(g.etaTo[i]) - x0, WAIT_HEIGHT);
        }
        const qf = g.queueFrom[i];
        if (qf === qf) {
          const x0 = xOfFast(qf);
          batch.add(COLOUR.queueWait, x0, mid, xOfFast(g.queueTo[i]) - x0, WAIT_HEIGHT);
        }
        const rf = g.runFrom[i];
        if (rf === rf) {
          const x0 = xOfFast(rf);
          const w = Math.max(1, xOfFast(g.runTo[i]) - x0);
          batch.add(g.colour[i], x0, runY, w, runH);
          if (w > 48 && labels.length < MAX_LABELS) labels.push({ x: x0 + 4, y: y + l.height / 2, w: w - 8, text: g.items[i].task.name ?? g.items[i].task.id });
        } else {
          // Ended before it ran (revoked, rejected, lost): a tick where it ended.
          batch.add(g.colour[i], xOfFast(g.to[i]) - 1, y + 3, 2, l.height - 6);
        }
        if (f.allLinks || f.selected) {
          const a = g.items[i];
          if (wantLinks(a)) links.push(a);
        }
      }
      // …and the open ones (running, waiting), which grow with the clock.
      for (const a of l.attempts.openItems()) {
        if (!a.task.matches || a.task.evicted) continue;
        const s = attemptSegments(a, f.now, this.seg);
        const from = Number.isNaN(s.etaFrom) ? (Number.isNaN(s.queueFrom) ? s.runFrom : s.queueFrom) : s.etaFrom;
        if (from > t1) continue;
        bars++;
        if (!Number.isNaN(s.etaFrom)) batch.add(COLOUR.etaWait, xOf(s.etaFrom), mid, xOf(s.etaTo) - xOf(s.etaFrom), WAIT_HEIGHT);
        if (!Number.isNaN(s.queueFrom)) batch.add(COLOUR.queueWait, xOf(s.queueFrom), mid, xOf(s.queueTo) - xOf(s.queueFrom), WAIT_HEIGHT);
        if (!Number.isNaN(s.runFrom)) {
          const x0 = xOf(s.runFrom);
          const w = Math.max(1, xOf(s.runTo) - x0);
          batch.add(COLOUR.running, x0, runY, w, runH);
          if (w > 48 && labels.length < MAX_LABELS) labels.push({ x: x0 + 4, y: y + l.height / 2, w: w - 8, text: a.task.name ?? a.task.id });
        }
        if (wantLinks(a)) links.push(a);
      }
    }
    batch.flush(ctx, colours, WAIT_ALPHA);
    if (p.highContrast && p.contrastBorder) this.outlineRuns(ctx, f, visible, laneY, xOf, t0, t1);

    ctx.fillStyle = p.background;
    for (const label of labels) {
      const chars = Math.floor(label.w / 6.2);
      if (chars < 3) continue;
      // A dotted name that does not fit drops its module path first (app.tasks.send_email → send_email).
      const text = label.text.length > chars ? label.text.slice(label.text.lastIndexOf('.') + 1) : label.text;
      ctx.fillText(text.length > chars ? text.slice(0, chars - 1) + '…' : text, label.x, label.y);
    }

    this.drawLinks(ctx, f, links, xOf, laneY);
    if (f.hovered && f.hovered !== f.selected) this.outlineTask(ctx, f, f.hovered, xOf, laneY, p.foreground, 1);
    if (f.selected) this.outlineTask(ctx, f, f.selected, xOf, laneY, p.focus, 2);

    const nowX = xOf(f.now);
    if (nowX > gutter && nowX < width) {
      ctx.fillStyle = p.liveEdge;
      ctx.fillRect(Math.round(nowX), axisHeight, 1, height - axisHeight);
    }
    ctx.restore();

    this.drawAxis(ctx, f, ticks, nowX);
    this.drawGutter(ctx, f, visible, laneY);
    return { bars, ms: performance.now() - started };
  }

  private drawLinks(ctx: CanvasRenderingContext2D, f: Frame, links: Attempt[], xOf: (t: number) => number, laneY: (l: Lane) => number): void {
    if (!links.length) return;
    const byKey = laneIndex(f.lanes);
    ctx.strokeStyle = f.palette.outcome.RETRY;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 2]);
    ctx.beginPath();
    for (const a of links) {
      const prev = a.task.attempts[a.index - 1];
      const from = laneOf(byKey, prev);
      const to = laneOf(byKey, a);
      if (!from || !to || prev.finished === undefined) continue;
      const x0 = xOf(prev.finished);
      const x1 = xOf(waitStartOf(a));
      ctx.moveTo(x0, laneY(from) + from.height / 2);
      ctx.lineTo(x1, laneY(to) + to.height / 2);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }

  private outlineTask(ctx: CanvasRenderingContext2D, f: Frame, t: TaskRecord, xOf: (t: number) => number, laneY: (l: Lane) => number, colour: string, width: number): void {
    const byKey = laneIndex(f.lanes);
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    if (!t.attempts.length && t.sent !== undefined) {
      const q = f.lanes.find((l) => l.kind === 'queued');
      if (q) ctx.strokeRect(xOf(t.sent) - 1, laneY(q) + 1, Math.max(3, xOf(t.dequeued ?? f.now) - xOf(t.sent)) + 2, q.height - 2);
    }
    for (const a of t.attempts) {
      const lane = laneOf(byKey, a);
      if (!lane) continue;
      const s = attemptSegments(a, f.now, this.seg);
      const from = [s.etaFrom, s.queueFrom, s.runFrom].find((v) => !Number.isNaN(v)) ?? a.finished ?? 0;
      const to = [s.runTo, s.queueTo, s.etaTo].find((v) => !Number.isNaN(v)) ?? a.finished ?? from;
      const x0 = xOf(from);
      ctx.strokeRect(x0 - 1, laneY(lane) + 1, Math.max(3, xOf(to) - x0 + 2), lane.height - 2);
    }
  }

  private outlineRuns(ctx: CanvasRenderingContext2D, f: Frame, visible: Lane[], laneY: (l: Lane) => number, xOf: (t: number) => number, t0: number, t1: number): void {
    ctx.strokeStyle = f.palette.contrastBorder;
    ctx.lineWidth = 1;
    ctx.beginPath();
    let n = 0;
    for (const l of visible) {
      if (l.kind !== 'slot') continue;
      l.attempts?.forEachIn(t0, t1, (a) => {
        if (!a.task.matches || a.started === undefined || n++ > 5000) return;
        const x0 = xOf(a.started);
        const w = xOf(a.finished ?? f.now) - x0;
        if (w >= 4) ctx.rect(x0 + 0.5, laneY(l) + 2.5, w - 1, l.height - 5);
      });
    }
    ctx.stroke();
  }

  private drawAxis(ctx: CanvasRenderingContext2D, f: Frame, ticks: ReturnType<typeof timeTicks>, nowX: number): void {
    const p = f.palette;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, f.width, f.axisHeight);
    ctx.fillStyle = p.border;
    ctx.fillRect(0, f.axisHeight - 1, f.width, 1);
    ctx.fillStyle = p.muted;
    ctx.textBaseline = 'middle';
    for (const tick of ticks) {
      const x = f.gutter + tick.x;
      ctx.fillRect(Math.round(x), f.axisHeight - 5, 1, 4);
      if (x + 2 > f.gutter) ctx.fillText(tick.label, x + 3, f.axisHeight / 2);
    }
    if (nowX > f.gutter && nowX < f.width) {
      ctx.fillStyle = p.liveEdge;
      ctx.beginPath();
      ctx.moveTo(nowX - 4, f.axisHeight - 6);
      ctx.lineTo(nowX + 4, f.axisHeight - 6);
      ctx.lineTo(nowX, f.axisHeight - 1);
      ctx.fill();
    }
  }

  private drawGutter(ctx: CanvasRenderingContext2D, f: Frame, visible: Lane[], laneY: (l: Lane) => number): void {
    const p = f.palette;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, f.axisHeight, f.gutter, f.height - f.axisHeight);
    ctx.clip();
    ctx.fillStyle = p.background;
    ctx.fillRect(0, f.axisHeight, f.gutter, f.height - f.axisHeight);
    for (const l of visible) {
      const y = laneY(l) + l.height / 2;
      if (l.kind === 'slot') {
        ctx.fillStyle = p.muted;
        ctx.fillText(`slot ${l.slot + 1}`, 18, y);
        continue;
      }
      ctx.fillStyle = p.groupBackground;
      ctx.fillRect(0, laneY(l), f.gutter, l.height);
      const w = l.kind === 'worker' ? f.workers.get(l.worker) : undefined;
      ctx.fillStyle = w && !w.online ? p.muted : p.foreground;
      const text = l.kind === 'queued' ? 'queued' : l.kind === 'stored' ? 'stored results' : l.worker + (w && !w.online ? ' (offline)' : '');
      const chars = Math.floor((f.gutter - 10) / 6.2);
      ctx.fillText(text.length > chars ? text.slice(0, chars - 1) + '…' : text, 6, y);
    }
    ctx.fillStyle = p.border;
    ctx.fillRect(f.gutter - 1, f.axisHeight, 1, f.height - f.axisHeight);
    ctx.restore();
  }
}

const laneIndexCache = new WeakMap<readonly Lane[], Map<string, Lane>>();

/** worker + slot → lane, cached per lanes array (it changes only when the structure does). */
function laneIndex(lanes: readonly Lane[]): Map<string, Lane> {
  let index = laneIndexCache.get(lanes);
  if (!index) {
    index = new Map();
    for (const l of lanes) index.set(`${l.kind === 'stored' ? '' : l.worker}\u0000${l.kind === 'slot' || l.kind === 'stored' ? l.slot : 'w'}`, l);
    laneIndexCache.set(lanes, index);
  }
  return index;
}

function laneOf(index: Map<string, Lane>, a: Attempt): Lane | undefined {
  if (!a.worker) return index.get(`\u0000-1`);
  return index.get(`${a.worker}\u0000${a.started !== undefined && a.slot >= 0 ? a.slot : 'w'}`);
}
