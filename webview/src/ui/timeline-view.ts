/**
 * The chart: the timeline canvas, the overview strip under it and the hover
 * tooltip. Owns the viewport (time scale, lane scroll, follow-live) and turns
 * input into viewport changes and selections; draws through one coalesced
 * animation frame. Everything it draws comes from the store and the layout.
 */
import { attemptSegments, emptySegments } from '../layout/attempt-segments';
import { hitTest } from '../layout/hit-test';
import { LaneLayout, type Lane } from '../layout/lane-layout';
import { TimeScale } from '../layout/time-scale';
import { formatDuration } from '../../../src/shared/format-duration';
import type { TaskStore } from '../model/task-store';
import type { TaskRecord } from '../model/types';
import { FrameScheduler } from '../render/frame-scheduler';
import { Minimap } from '../render/minimap';
import { readPalette, watchTheme, type Palette } from '../render/theme';
import { TimelineRenderer, type FrameStats } from '../render/timeline-renderer';
import { bindCanvasInput, type KeyAction } from './canvas-input';
import { h } from './dom';

export interface TimelineViewHost {
  now(): number;
  /** A bar (or keyboard navigation) chose a task; undefined clears. */
  select(task: TaskRecord | undefined): void;
  openDetails(): void;
  /** The viewport changed (to persist it). */
  viewChanged(): void;
}

const GUTTER = 150;
const AXIS = 22;
/** Follow-live keeps the live edge this far from the right. */
const LIVE_MARGIN = 24;
/**
 * Redraws for new data wait this many of the last frame's draw times after
 * it (at most DATA_GAP_MAX_MS): a stream of history batches then spends at
 * most a quarter of the time drawing, and a live event on a cheap view
 * still shows within a frame or two.
 */
const DATA_GAP_FACTOR = 3;
const DATA_GAP_MAX_MS = 150;

export class TimelineView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly minimapCanvas: HTMLCanvasElement;
  readonly scale = new TimeScale();
  scrollY = 0;
  follow = true;
  /** Fit the whole session on every frame (the default until the user moves the view). */
  autoFit = false;
  selected: TaskRecord | undefined;
  private hovered: TaskRecord | undefined;
  private readonly tooltip: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly renderer = new TimelineRenderer();
  private readonly minimap = new Minimap();
  private readonly scheduler = new FrameScheduler(() => this.draw());
  private palette: Palette;
  private lanes: readonly Lane[] = [];
  private workerFilter: ReadonlySet<string> | undefined;
  private readonly seg = emptySegments();
  private readonly paintListeners: (() => void)[] = [];
  lastStats: FrameStats = { bars: 0, ms: 0 };
  /** When the last frame was drawn, and how long the whole of it took (chart, minimap, DOM). */
  private lastPaintAt = 0;
  private lastFrameMs = 0;
  private dataTimer: ReturnType<typeof setTimeout> | undefined;
  private lastPlotWidth = 0;
  paints = 0;
  private readonly disposers: (() => void)[] = [];

  constructor(
    private readonly store: TaskStore,
    private readonly layout: LaneLayout,
    private readonly host: TimelineViewHost,
  ) {
    this.canvas = h('canvas', {
      class: 'tl-canvas',
      attrs: {
        tabindex: 0,
        role: 'application',
        'aria-roledescription': 'timeline',
        'aria-label': 'Task timeline',
        'aria-describedby': 'tl-canvas-help',
      },
    });
    this.minimapCanvas = h('canvas', { class: 'tl-minimap', attrs: { tabindex: 0, role: 'slider', 'aria-label': 'Session overview: click or use arrow keys to move the view' } });
    this.tooltip = h('div', { class: 'tl-tooltip', attrs: { role: 'tooltip' } });
    this.empty = h('div', { class: 'tl-empty', text: 'Waiting for task events…' });
    const help = h('div', {
      class: 'tl-sr',
      attrs: { id: 'tl-canvas-help' },
      text: 'Bars are task runs per worker and pool slot. Plus and minus zoom, arrows pan and scroll, Home and End jump to the start and to now, brackets select the previous or next task, Enter opens its details, F toggles follow live.',
    });
    this.element = h('div', { class: 'tl-chart' }, this.canvas, this.minimapCanvas, this.tooltip, this.empty, help);
    this.palette = readPalette();
    this.disposers.push(
      watchTheme(() => {
        this.palette = readPalette();
        this.requestDraw();
      }),
      bindCanvasInput(this.canvas, {
        plotX: (clientX) => clientX - this.canvas.getBoundingClientRect().left - GUTTER,
        zoomAt: (x, factor) => this.zoomAt(x, factor),
        pan: (dx, dy) => this.pan(dx, dy),
        click: (x, y) => this.clickAt(x, y),
        hover: (x, y) => this.hoverAt(x, y),
        leave: () => this.setHovered(undefined),
        key: (a) => this.onKey(a),
      }),
      this.bindMinimap(),
    );
    const resize = new ResizeObserver(() => this.requestDraw());
    resize.observe(this.canvas);
    this.disposers.push(() => resize.disconnect());
    // Running bars grow and the live edge moves: redraw on a clock while anything is live.
    const tick = setInterval(() => {
      if (document.visibilityState === 'visible' && (this.follow || this.store.size)) this.requestDraw();
    }, 250);
    this.disposers.push(() => clearInterval(tick));
  }

  get plotWidth(): number {
    return Math.max(1, this.canvas.clientWidth - GUTTER);
  }

  private get lanesHeight(): number {
    return Math.max(0, this.canvas.clientHeight - AXIS);
  }

  requestDraw(): void {
    this.scheduler.request();
  }

  /** A redraw because data came in: soon, but spaced out when frames are expensive (see DATA_GAP_FACTOR). */
  requestDataDraw(): void {
    if (this.dataTimer !== undefined) return;
    const wait = this.lastPaintAt + Math.min(DATA_GAP_MAX_MS, this.lastFrameMs * DATA_GAP_FACTOR) - performance.now();
    if (wait <= 0) return this.requestDraw();
    this.dataTimer = setTimeout(() => {
      this.dataTimer = undefined;
      this.requestDraw();
    }, wait);
  }

  onPaint(listener: () => void): void {
    this.paintListeners.push(listener);
  }

  setWorkerFilter(workers: readonly string[]): void {
    this.workerFilter = workers.length ? new Set(workers) : undefined;
    this.requestDraw();
  }

  setFollow(on: boolean): void {
    if (this.follow === on) return;
    this.follow = on;
    if (on) this.autoFit = false;
    this.host.viewChanged();
    this.requestDraw();
  }

  zoomAt(plotX: number, factor: number): void {
    // Following, the live edge stays put and the zoom grows to its left.
    this.autoFit = false;
    this.syncWidth();
    const anchor = this.follow ? this.plotWidth - LIVE_MARGIN : plotX;
    this.scale.zoomAt(anchor, factor);
    this.changed();
  }

  pan(dx: number, dy: number): void {
    this.syncWidth();
    if (dx) {
      this.autoFit = false;
      this.scale.panBy(dx);
      // Panning back in time leaves the live edge; panning up to it picks it up again.
      const liveX = this.scale.x(this.host.now());
      this.follow = dx > 0 && liveX <= this.plotWidth - LIVE_MARGIN + 2 && liveX > 0 ? true : dx < 0 ? false : this.follow;
    }
    if (dy) this.scrollY = this.clampScroll(this.scrollY + dy);
    this.changed();
  }

  /** Fit the whole session, and keep it fitted as it grows until the user moves the view. */
  fitAll(): void {
    this.autoFit = true;
    this.follow = false;
    this.changed();
  }

  private fitSession(now: number): void {
    if (!Number.isFinite(this.store.minTime)) return;
    // Up to now while recent events come in; an idle session is not squeezed against a distant now.
    this.scale.fit(this.store.minTime, Math.max(this.store.maxTime, Math.min(now, this.store.maxTime + 60_000)), this.plotWidth);
  }

  /** Brings a task into view: centred in time (zoomed out if it does not fit), so zooming in keeps it, and its lane scrolled in. */
  reveal(task: TaskRecord): void {
    const span = this.extentOf(task);
    if (!span) return;
    this.syncWidth();
    const width = this.plotWidth;
    this.autoFit = false;
    if ((span.to - span.from) / this.scale.msPerPx > width * 0.8) this.scale.fit(span.from, span.to, width, 0.15);
    else this.scale.placeAt((span.from + span.to) / 2, width / 2);
    if (this.scale.x(span.to) < width - LIVE_MARGIN) this.follow = false;
    this.lanes = this.layout.lanes(this.store.workers.keys(), this.workerFilter);
    const lane = this.laneOfTask(task);
    if (lane && (lane.top < this.scrollY || lane.top + lane.height > this.scrollY + this.lanesHeight)) {
      this.scrollY = this.clampScroll(lane.top - this.lanesHeight / 3);
    }
    this.changed();
  }

  /** Centre of a task's (last) run in client coordinates, or undefined when it is not drawn. */
  barCenter(task: TaskRecord): { x: number; y: number } | undefined {
    const span = this.extentOf(task);
    const lane = this.laneOfTask(task);
    if (!span || !lane) return undefined;
    this.syncWidth();
    const rect = this.canvas.getBoundingClientRect();
    const x0 = Math.max(0, this.scale.x(span.runFrom ?? span.from));
    const x1 = Math.min(this.plotWidth, this.scale.x(span.to));
    const y = AXIS + lane.top - this.scrollY + lane.height / 2;
    if (x1 < 0 || x0 > this.plotWidth || y < AXIS || y > this.canvas.clientHeight) return undefined;
    return { x: rect.left + GUTTER + (x0 + x1) / 2, y: rect.top + y };
  }

  dispose(): void {
    this.scheduler.dispose();
    if (this.dataTimer !== undefined) clearTimeout(this.dataTimer);
    for (const d of this.disposers) d();
  }

  draw(): void {
    const started = performance.now();
    const canvas = this.canvas;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const now = this.host.now();
    this.syncWidth();
    if (this.autoFit) this.fitSession(now);
    else if (this.follow) this.scale.placeAt(now, this.plotWidth - LIVE_MARGIN);
    this.lanes = this.layout.lanes(this.store.workers.keys(), this.workerFilter);
    this.scrollY = this.clampScroll(this.scrollY);
    this.lastStats = this.renderer.draw(ctx, {
      width,
      height,
      palette: this.palette,
      scale: this.scale,
      gutter: GUTTER,
      axisHeight: AXIS,
      lanes: this.lanes,
      scrollY: this.scrollY,
      now,
      selected: this.selected,
      hovered: this.hovered,
      workers: this.store.workers,
      allLinks: this.scale.msPerPx < 50,
    });
    this.drawMinimap(now, dpr);
    // DOM writes only when they change: each one costs style and accessibility work every frame.
    const display = this.store.size ? 'none' : '';
    if (this.empty.style.display !== display) this.empty.style.display = display;
    const label = `Task timeline: ${this.store.matchingCount} of ${this.store.size} tasks match the filters`;
    if (this.canvas.getAttribute('aria-label') !== label) this.canvas.setAttribute('aria-label', label);
    this.paints++;
    this.lastPaintAt = performance.now();
    this.lastFrameMs = this.lastPaintAt - started;
    for (const l of this.paintListeners) l();
  }

  private drawMinimap(now: number, dpr: number): void {
    const c = this.minimapCanvas;
    const width = c.clientWidth;
    const height = c.clientHeight;
    if (!width || !height) return;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
    }
    const ctx = c.getContext('2d', { alpha: false });
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.minimap.update(this.store, now, width, performance.now());
    this.minimap.draw(ctx, width, height, this.palette, { t0: this.scale.start, t1: this.scale.end(this.plotWidth) });
  }

  private bindMinimap(): () => void {
    const c = this.minimapCanvas;
    let dragging = false;
    const moveTo = (clientX: number) => {
      const rect = c.getBoundingClientRect();
      const t = this.minimap.time(clientX - rect.left, rect.width);
      this.autoFit = false;
      this.scale.placeAt(t, this.plotWidth / 2);
      this.follow = this.scale.x(this.host.now()) <= this.plotWidth - LIVE_MARGIN;
      if (this.follow) this.scale.placeAt(this.host.now(), this.plotWidth - LIVE_MARGIN);
      this.changed();
    };
    const down = (e: PointerEvent) => {
      dragging = true;
      c.setPointerCapture(e.pointerId);
      moveTo(e.clientX);
    };
    const move = (e: PointerEvent) => dragging && moveTo(e.clientX);
    const up = (e: PointerEvent) => {
      dragging = false;
      if (c.hasPointerCapture(e.pointerId)) c.releasePointerCapture(e.pointerId);
    };
    const key = (e: KeyboardEvent) => {
      const step = { ArrowLeft: -0.5, ArrowRight: 0.5, PageUp: -3, PageDown: 3 }[e.key];
      if (step === undefined) return;
      e.preventDefault();
      this.pan(step * this.plotWidth, 0);
    };
    c.addEventListener('pointerdown', down);
    c.addEventListener('pointermove', move);
    c.addEventListener('pointerup', up);
    c.addEventListener('keydown', key);
    return () => {
      c.removeEventListener('pointerdown', down);
      c.removeEventListener('pointermove', move);
      c.removeEventListener('pointerup', up);
      c.removeEventListener('keydown', key);
    };
  }

  private onKey(action: KeyAction): void {
    const w = this.plotWidth;
    switch (action) {
      case 'zoom-in':
        return this.zoomAt(w / 2, 1 / 1.5);
      case 'zoom-out':
        return this.zoomAt(w / 2, 1.5);
      case 'left':
        return this.pan(-w * 0.1, 0);
      case 'right':
        return this.pan(w * 0.1, 0);
      case 'far-left':
        return this.pan(-w * 0.5, 0);
      case 'far-right':
        return this.pan(w * 0.5, 0);
      case 'up':
        return this.pan(0, -18);
      case 'down':
        return this.pan(0, 18);
      case 'page-up':
        return this.pan(0, -this.lanesHeight * 0.9);
      case 'page-down':
        return this.pan(0, this.lanesHeight * 0.9);
      case 'home':
        if (Number.isFinite(this.store.minTime)) this.scale.placeAt(this.store.minTime, 8);
        this.follow = this.autoFit = false;
        return this.changed();
      case 'end':
        this.follow = true;
        this.autoFit = false;
        return this.changed();
      case 'fit':
        return this.fitAll();
      case 'follow':
        return this.setFollow(!this.follow);
      case 'prev':
      case 'next':
        return this.step(action === 'next' ? 1 : -1);
      case 'open':
        if (this.selected) this.host.openDetails();
        return;
      case 'clear':
        return this.host.select(undefined);
    }
  }

  /** Selects the previous or next matching task in the order they were first seen (≈ time order). */
  private step(direction: 1 | -1): void {
    const current = this.selected?.seq ?? (direction > 0 ? -1 : Infinity);
    let best: TaskRecord | undefined;
    for (const t of this.store.values()) {
      if (!t.matches || !this.laneOfTask(t)) continue;
      if (direction > 0 ? t.seq > current && (!best || t.seq < best.seq) : t.seq < current && (!best || t.seq > best.seq)) best = t;
      if (direction > 0 && best && t.seq > best.seq) break;
    }
    if (!best) return;
    this.host.select(best);
    this.reveal(best);
  }

  private clickAt(clientX: number, clientY: number): void {
    const hit = this.hitAt(clientX, clientY);
    this.host.select(hit?.task);
  }

  private hoverAt(clientX: number, clientY: number): void {
    const hit = this.hitAt(clientX, clientY);
    this.setHovered(hit?.task);
    if (!hit) return;
    const rect = this.element.getBoundingClientRect();
    this.tooltip.textContent = this.describe(hit.task, hit.attempt);
    this.tooltip.style.display = 'block';
    const x = Math.min(clientX - rect.left + 14, rect.width - this.tooltip.offsetWidth - 4);
    this.tooltip.style.left = `${Math.max(4, x)}px`;
    this.tooltip.style.top = `${clientY - rect.top + 16}px`;
  }

  private setHovered(task: TaskRecord | undefined): void {
    if (!task) this.tooltip.style.display = 'none';
    if (task === this.hovered) return;
    this.hovered = task;
    this.requestDraw();
  }

  private hitAt(clientX: number, clientY: number) {
    const rect = this.canvas.getBoundingClientRect();
    const x = clientX - rect.left - GUTTER;
    const y = clientY - rect.top - AXIS;
    if (x < 0 || y < 0) return undefined;
    return hitTest(this.lanes, y + this.scrollY, this.scale.time(x), this.scale.msPerPx * 4, this.host.now());
  }

  private describe(t: TaskRecord, a = t.attempts[t.attempts.length - 1]): string {
    const lines = [`${t.name ?? '(unknown task)'} · ${t.state}`, t.id];
    if (a) {
      const s = attemptSegments(a, this.host.now(), this.seg);
      const wait = (Number.isNaN(s.etaFrom) ? 0 : s.etaTo - s.etaFrom) + (Number.isNaN(s.queueFrom) ? 0 : s.queueTo - s.queueFrom);
      lines.push(`${a.worker || 'result backend'}${t.attempts.length > 1 ? ` · attempt ${a.index + 1} of ${t.attempts.length}` : ''}`);
      if (wait > 0) lines.push(`waited ${formatDuration(wait)}${Number.isNaN(s.etaFrom) ? '' : ' (ETA)'}`);
      if (!Number.isNaN(s.runFrom)) lines.push(`${a.finished === undefined ? 'running for' : 'ran'} ${formatDuration(s.runTo - s.runFrom)}`);
    } else if (t.sent !== undefined) lines.push(`queued for ${formatDuration((t.dequeued ?? this.host.now()) - t.sent)}`);
    return lines.join('\n');
  }

  private extentOf(task: TaskRecord): { from: number; to: number; runFrom?: number } | undefined {
    const now = this.host.now();
    const a = task.attempts[task.attempts.length - 1];
    if (!a) return task.sent !== undefined ? { from: task.sent, to: task.dequeued ?? now } : undefined;
    const s = attemptSegments(a, now, this.seg);
    const from = [s.etaFrom, s.queueFrom, s.runFrom].find((v) => !Number.isNaN(v)) ?? a.finished ?? a.received ?? now;
    const to = [s.runTo, s.queueTo, s.etaTo].find((v) => !Number.isNaN(v)) ?? a.finished ?? from;
    return { from, to, runFrom: Number.isNaN(s.runFrom) ? undefined : s.runFrom };
  }

  private laneOfTask(task: TaskRecord): Lane | undefined {
    const a = task.attempts[task.attempts.length - 1];
    if (!a) return task.sent !== undefined ? this.lanes.find((l) => l.kind === 'queued') : undefined;
    if (!a.worker) return this.lanes.find((l) => l.kind === 'stored');
    if (this.workerFilter && !this.workerFilter.has(a.worker)) return undefined;
    const slot = a.started !== undefined ? a.slot : -1;
    return this.lanes.find((l) => l.worker === a.worker && (slot >= 0 ? l.kind === 'slot' && l.slot === slot : l.kind === 'worker'));
  }

  /** The details pane opening or the panel resizing keeps the time at the centre where it was. */
  private syncWidth(): void {
    const width = this.plotWidth;
    if (this.lastPlotWidth && this.lastPlotWidth !== width) this.scale.panBy((this.lastPlotWidth - width) / 2);
    this.lastPlotWidth = width;
  }

  private clampScroll(y: number): number {
    return Math.max(0, Math.min(y, LaneLayout.heightOf(this.lanes) - this.lanesHeight + 8));
  }

  private changed(): void {
    this.host.viewChanged();
    this.requestDraw();
  }
}
