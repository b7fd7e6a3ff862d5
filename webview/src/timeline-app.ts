/**
 * The page, put together: the store and the lane layout fed by host
 * messages, the chart, the toolbar and the details pane wired to each
 * other, and the view state saved so the panel looks the same when shown
 * again.
 */
import type { HostToWebviewMessage, TimelineTaskState } from '../../src/shared/timeline-protocol';
import { isHostMessage } from './host/host-messages';
import type { HostChannel } from './host/vscode-api';
import { LaneLayout } from './layout/lane-layout';
import { formatDuration } from '../../src/shared/format-duration';
import { buildTaskGraph } from './model/task-graph';
import { sameFilter, type TaskFilter } from './model/task-filter';
import { TaskStore } from './model/task-store';
import { READY_STATES, type TaskRecord } from './model/types';
import { DetailsPane } from './ui/details-pane';
import { h } from './ui/dom';
import { TimelineView } from './ui/timeline-view';
import { Toolbar } from './ui/toolbar';
import { initialViewState, type ViewState } from './view-state';

/** Most ids asked of the result backend at once. */
const FETCH_LIMIT = 500;

export class TimelineApp {
  readonly store = new TaskStore(100_000);
  readonly layout = new LaneLayout();
  readonly view: TimelineView;
  readonly toolbar: Toolbar;
  readonly details: DetailsPane;
  private state: ViewState;
  private clockOffset = 0;
  private registry: Map<string, { hasSource: boolean }> | undefined;
  private readonly connection: HTMLElement;
  private readonly summary: HTMLElement;
  /** A task to select as soon as it shows up (the new task of a retry). */
  private awaited: string | undefined;
  private askedForHistory = false;
  private saveTimer = 0;

  constructor(
    root: HTMLElement,
    private readonly channel: HostChannel<ViewState>,
  ) {
    this.state = channel.getState() ?? initialViewState();
    this.store.observe(this.layout);
    this.store.setFilter(this.state.filter);

    this.view = new TimelineView(this.store, this.layout, {
      now: () => this.now(),
      select: (t) => this.select(t),
      openDetails: () => this.details.focus(),
      viewChanged: () => {
        this.toolbar?.setFollow(this.view.follow);
        this.save();
      },
    });
    this.view.scale.start = this.state.start;
    this.view.scale.msPerPx = this.state.msPerPx;
    this.view.follow = this.state.follow;
    this.view.autoFit = this.state.autoFit;
    this.view.scrollY = this.state.scrollY;
    this.view.setWorkerFilter(this.state.filter.workers);

    this.toolbar = new Toolbar(this.store, this.state.filter, this.state.follow, {
      filterChanged: (f) => this.setFilter(f),
      nextMatch: () => this.selectNextMatch(),
      followChanged: (on) => this.view.setFollow(on),
      zoom: (kind) => (kind === 'fit' ? this.view.fitAll() : this.view.zoomAt(this.view.plotWidth / 2, kind === 'in' ? 1 / 1.5 : 1.5)),
    });

    this.details = new DetailsPane(this.store, {
      now: () => this.now(),
      select: (id) => this.selectId(id, true),
      close: () => {
        this.select(undefined);
        this.view.canvas.focus();
      },
      post: (m) => this.channel.post(m),
      registered: (name) => (this.registry ? (this.registry.get(name) ?? null) : undefined),
    });

    this.connection = h('span', { class: 'tl-counts' });
    this.summary = h('div', { class: 'tl-sr', attrs: { role: 'status', 'aria-live': 'polite' } });
    const legendRow = this.toolbar.legend;
    legendRow.append(h('span', { class: 'tl-spacer' }), this.connection);
    legendRow.style.display = 'flex';
    root.append(h('div', { class: 'tl-app' }, this.toolbar.element, h('div', { class: 'tl-body' }, this.view.element, this.details.element), legendRow, this.summary));
    this.view.requestDraw();
  }

  now(): number {
    return Date.now() + this.clockOffset;
  }

  handle(message: unknown): void {
    if (!isHostMessage(message)) return;
    const m: HostToWebviewMessage = message;
    switch (m.type) {
      case 'init':
        this.store.maxTasks = m.maxTasks;
        this.clockOffset = m.now - Date.now();
        this.connection.textContent = m.connection;
        break;
      case 'events':
        this.store.applyEvents(m.events);
        this.afterData();
        break;
      case 'stored-results':
        this.store.applyStoredResults(m.results);
        this.afterData();
        break;
      case 'registered':
        this.registry = new Map(m.tasks.map((t) => [t.name, { hasSource: t.hasSource }]));
        this.details.show(undefined);
        this.details.show(this.view.selected);
        break;
      case 'action-result':
        this.details.actionResult(m);
        if (m.ok && m.newTaskId) this.awaited = m.newTaskId;
        break;
      case 'reset':
        this.store.clear();
        this.select(undefined);
        this.connection.textContent = m.connection;
        this.askedForHistory = false;
        this.toolbar.refresh();
        this.view.requestDraw();
        break;
    }
  }

  select(task: TaskRecord | undefined, reveal = false): void {
    this.view.selected = task;
    this.details.show(task);
    if (task && reveal) this.view.reveal(task);
    this.state = { ...this.state, selectedId: task?.id };
    this.summary.textContent = task ? describeSelection(task, this.now()) : 'Selection cleared';
    if (task) this.fetchUnfinished(task);
    this.save();
    this.view.requestDraw();
  }

  selectId(id: string, reveal: boolean): void {
    const t = this.store.get(id);
    if (t) this.select(t, reveal);
    else this.channel.post({ type: 'fetch-results', ids: [id] });
  }

  private afterData(): void {
    if (!this.askedForHistory && this.store.size) {
      // Tasks the events left unfinished may have ended before the panel opened.
      this.askedForHistory = true;
      const ids: string[] = [];
      for (const t of this.store.values()) {
        if (!READY_STATES.has(t.state) && ids.length < FETCH_LIMIT) ids.push(t.id);
      }
      if (ids.length) this.channel.post({ type: 'fetch-results', ids });
    }
    const wanted = this.awaited ?? (this.view.selected ? undefined : this.state.selectedId);
    if (wanted) {
      const t = this.store.get(wanted);
      if (t) {
        this.awaited = undefined;
        this.select(t, true);
      }
    }
    if (this.view.selected?.evicted) this.details.refresh();
    else if (this.view.selected) this.details.refresh();
    this.toolbar.refresh();
    this.view.requestDataDraw();
  }

  private setFilter(f: TaskFilter): void {
    if (sameFilter(f, this.store.filter)) return;
    this.store.setFilter(f);
    this.view.setWorkerFilter(f.workers);
    this.state = { ...this.state, filter: f };
    this.toolbar.refresh();
    this.save();
    this.view.requestDraw();
  }

  /** Enter in search: the next matching task after the selection, in order of first sight. */
  private selectNextMatch(): void {
    const after = this.view.selected?.seq ?? -1;
    let first: TaskRecord | undefined;
    for (const t of this.store.values()) {
      if (!t.matches) continue;
      first ??= t;
      if (t.seq > after) return this.select(t, true);
    }
    if (first) this.select(first, true);
  }

  private fetchUnfinished(task: TaskRecord): void {
    const graph = buildTaskGraph(this.store, task.id, 60);
    const ids = graph.nodes.filter((n) => !n.state || !READY_STATES.has(n.state as TimelineTaskState)).map((n) => n.id);
    if (ids.length) this.channel.post({ type: 'fetch-results', ids });
  }

  private save(): void {
    if (this.saveTimer) return;
    this.saveTimer = window.setTimeout(() => {
      this.saveTimer = 0;
      const s = this.view.scale;
      this.state = { ...this.state, start: s.start, msPerPx: s.msPerPx, follow: this.view.follow, autoFit: this.view.autoFit, scrollY: this.view.scrollY };
      this.channel.setState(this.state);
    }, 200);
  }
}

function describeSelection(t: TaskRecord, now: number): string {
  const a = t.attempts[t.attempts.length - 1];
  const parts = [`Selected ${t.name ?? 'unknown task'} ${t.id}, ${t.state}`];
  if (a?.worker) parts.push(`on ${a.worker}`);
  if (a?.started !== undefined) parts.push(`${a.finished === undefined ? 'running for' : 'ran'} ${formatDuration((a.finished ?? now) - a.started)}`);
  if (t.attempts.length > 1) parts.push(`${t.attempts.length} attempts`);
  return parts.join(', ') + '. Press Enter for details.';
}
