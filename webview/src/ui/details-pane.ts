/**
 * The details of the selected task: what it was called with, what it
 * returned or raised, every attempt with its timings, its workflow graph,
 * and the actions (retry with edited args, revoke, go to source) whose
 * outcomes the host reports back by request id.
 */
import type { ActionResultMessage, WebviewToHostMessage } from '../../../src/shared/timeline-protocol';
import { attemptSegments, emptySegments } from '../layout/attempt-segments';
import { formatDuration } from '../../../src/shared/format-duration';
import { buildTaskGraph } from '../model/task-graph';
import type { TaskStore } from '../model/task-store';
import { READY_STATES, type TaskRecord } from '../model/types';
import { clear, h } from './dom';
import { renderGraph } from './graph-view';
import { RetryEditor } from './retry-editor';
import { stateColour } from './state-colours';

export interface DetailsHost {
  now(): number;
  select(id: string): void;
  close(): void;
  post(message: WebviewToHostMessage): void;
  /** undefined while the host has not said which tasks are registered. */
  registered(name: string): { hasSource: boolean } | undefined | null;
}

export class DetailsPane {
  readonly element: HTMLElement;
  private readonly info: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly status: HTMLElement;
  private task: TaskRecord | undefined;
  private signature = '';
  private editor: RetryEditor | undefined;
  private readonly pending = new Map<number, { kind: 'retry' | 'revoke'; taskId: string }>();
  private requestId = 0;
  private readonly seg = emptySegments();

  constructor(
    private readonly store: TaskStore,
    private readonly host: DetailsHost,
  ) {
    this.info = h('div', {});
    this.actions = h('div', {});
    this.status = h('div', { class: 'tl-status', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.element = h('aside', { class: 'tl-details', attrs: { 'aria-label': 'Task details', hidden: true, tabindex: -1 } }, this.info, this.actions, this.status);
  }

  get shownId(): string | undefined {
    return this.task?.id;
  }

  show(task: TaskRecord | undefined): void {
    if (task !== this.task) {
      this.task = task;
      this.signature = '';
      this.editor = undefined;
      this.status.textContent = '';
      this.status.className = 'tl-status';
      this.renderActions();
    }
    this.element.hidden = !task;
    this.refresh();
  }

  /** Re-renders the facts if the task changed (the actions, and any edits in progress, stay). */
  refresh(): void {
    const t = this.task;
    if (!t) return;
    const last = t.attempts[t.attempts.length - 1];
    const sig = [t.state, t.attempts.length, last?.started, last?.finished, t.result?.length, t.exception?.length, t.name, this.store.childrenOf(t.id).length, t.evicted].join('|');
    const running = last && last.finished === undefined;
    if (sig === this.signature && !running) return;
    this.signature = sig;
    clear(this.info);
    this.info.append(...this.renderInfo(t));
  }

  focus(): void {
    this.element.focus();
  }

  actionResult(m: ActionResultMessage): void {
    const req = this.pending.get(m.requestId);
    if (!req) return;
    this.pending.delete(m.requestId);
    if (req.taskId !== this.task?.id) return;
    clear(this.status);
    this.status.className = `tl-status ${m.ok ? 'ok' : 'fail'}`;
    this.status.append(`${req.kind === 'retry' ? 'Retry' : 'Revoke'}: ${m.message}`);
    const newId = m.newTaskId;
    if (newId) {
      this.status.append(' ', h('button', { class: 'tl-link', text: 'Show the new task', attrs: { type: 'button' }, on: { click: () => this.host.select(newId) } }));
    }
  }

  private renderInfo(t: TaskRecord): Node[] {
    const now = this.host.now();
    const badge = h('span', { class: 'tl-state', text: t.state });
    badge.style.setProperty('--state-colour', stateColour(t.state));
    const closeButton = h('vscode-button', { text: 'Close', attrs: { secondary: true, 'aria-label': 'Close details' }, on: { click: () => this.host.close() } });
    const facts: [string, string | Node][] = [['id', t.id]];
    const workers = [...new Set(t.attempts.map((a) => a.worker).filter(Boolean))];
    if (workers.length) facts.push([workers.length > 1 ? 'workers' : 'worker', workers.join(', ')]);
    if (t.queue) facts.push(['queue', t.queue]);
    if (t.sent !== undefined) facts.push(['sent', stamp(t.sent)]);
    if (t.eta !== undefined) facts.push(['ETA', stamp(t.eta)]);
    if (t.expires !== undefined) facts.push(['expires', stamp(t.expires)]);
    if (t.retries) facts.push(['retries', String(t.retries)]);
    if (t.runtime !== undefined) facts.push(['runtime', formatDuration(t.runtime * 1000)]);
    if (t.terminated) facts.push(['revoked', 'terminated while running']);
    if (t.expired) facts.push(['revoked', 'expired']);
    if (t.evicted) facts.push(['note', 'dropped from the timeline (over the task limit)']);

    const nodes: Node[] = [
      h('div', { class: 'tl-head' }, h('h2', { text: t.name ?? '(unknown task)' }), closeButton),
      h('div', {}, badge),
      h('dl', {}, ...facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)])),
    ];

    if (t.attempts.length) {
      const rows = t.attempts.map((a) => {
        const s = attemptSegments(a, now, this.seg);
        const wait = (Number.isNaN(s.etaFrom) ? 0 : s.etaTo - s.etaFrom) + (Number.isNaN(s.queueFrom) ? 0 : s.queueTo - s.queueFrom);
        const run = Number.isNaN(s.runFrom) ? '—' : formatDuration(s.runTo - s.runFrom) + (a.finished === undefined ? ' …' : '');
        const outcome = a.outcome ? a.outcome + (a.endInferred ? '?' : '') : a.started !== undefined ? 'running' : 'waiting';
        const cell = h('td', { text: outcome });
        cell.style.color = stateColour(a.outcome ?? (a.started !== undefined ? 'STARTED' : 'RECEIVED'));
        return h(
          'tr',
          {},
          h('td', { text: String(a.index + 1) }),
          h('td', { text: a.worker || 'backend' }),
          h('td', { text: a.received !== undefined ? stamp(a.received) : '—' }),
          h('td', { text: wait > 0 ? formatDuration(wait) : '—' }),
          h('td', { text: run }),
          cell,
        );
      });
      nodes.push(
        h('h3', { text: t.attempts.length > 1 ? `Attempts (${t.attempts.length})` : 'Attempt' }),
        h('table', {}, h('thead', {}, h('tr', {}, ...['#', 'worker', 'received', 'waited', 'ran', 'outcome'].map((c) => h('th', { text: c, attrs: { scope: 'col' } })))), h('tbody', {}, ...rows)),
      );
      if (t.attempts.some((a) => a.endInferred)) nodes.push(h('div', { class: 'tl-note', text: '? = the end was inferred (no event reported it).' }));
    }

    nodes.push(h('h3', { text: 'args' }), h('pre', { text: t.args ?? '—' }), h('h3', { text: 'kwargs' }), h('pre', { text: t.kwargs ?? '—' }));
    if (t.exception !== undefined) {
      nodes.push(h('h3', { text: t.state === 'RETRY' ? 'Retried because of' : 'Exception' }), h('pre', { text: t.exception }));
      if (t.traceback) nodes.push(h('h3', { text: 'Traceback' }), h('pre', { text: t.traceback }));
    }
    if (t.result !== undefined) nodes.push(h('h3', { text: 'Result' }), h('pre', { text: t.result }));

    const graph = buildTaskGraph(this.store, t.id);
    nodes.push(h('h3', { text: 'Workflow' }), h('div', { class: 'tl-note', text: graph.description }));
    // The pane's inner width (less its padding), so the nodes use the room there is.
    if (graph.nodes.length > 1) nodes.push(renderGraph(graph, t.id, (id) => this.host.select(id), this.element.clientWidth - 28));
    return nodes;
  }

  private renderActions(): void {
    clear(this.actions);
    const t = this.task;
    if (!t) return;
    const registered = t.name ? this.host.registered(t.name) : undefined;
    const retryToggle = h('vscode-button', { text: 'Retry with edited args…', attrs: { secondary: true, 'aria-expanded': 'false' } });
    const editorSlot = h('div', {});
    retryToggle.addEventListener('click', () => {
      if (this.editor) {
        this.editor = undefined;
        clear(editorSlot);
        retryToggle.setAttribute('aria-expanded', 'false');
        return;
      }
      this.editor = new RetryEditor(t, ({ args, kwargs }) => this.retry(t, args, kwargs), registered === null);
      editorSlot.append(this.editor.element);
      retryToggle.setAttribute('aria-expanded', 'true');
      editorSlot.querySelector('textarea')?.focus();
    });
    const terminate = h('vscode-checkbox', { attrs: { label: 'terminate if running' } }) as HTMLElement & { checked: boolean };
    const revoke = h('vscode-button', {
      text: 'Revoke',
      attrs: { secondary: true, 'aria-label': READY_STATES.has(t.state) ? 'Revoke (it has already finished)' : 'Revoke' },
      on: { click: () => this.revoke(t, !!terminate.checked) },
    });
    const source = h('vscode-button', {
      text: 'Go to task source',
      attrs: { secondary: true, disabled: !t.name || registered?.hasSource === false || registered === null },
      on: { click: () => t.name && this.host.post({ type: 'open-source', name: t.name }) },
    });
    this.actions.append(h('h3', { text: 'Actions' }), h('div', { class: 'tl-actions' }, retryToggle, source), editorSlot, h('div', { class: 'tl-actions' }, revoke, terminate));
  }

  private retry(t: TaskRecord, args: unknown[], kwargs: Record<string, unknown>): void {
    if (!t.name) return;
    const requestId = ++this.requestId;
    this.pending.set(requestId, { kind: 'retry', taskId: t.id });
    this.host.post({ type: 'retry', requestId, taskId: t.id, name: t.name, args, kwargs, ...(t.queue ? { queue: t.queue } : {}) });
    this.setStatus(`Retry of ${t.name} sent…`);
  }

  private revoke(t: TaskRecord, terminate: boolean): void {
    const requestId = ++this.requestId;
    this.pending.set(requestId, { kind: 'revoke', taskId: t.id });
    this.host.post({ type: 'revoke', requestId, taskId: t.id, terminate });
    this.setStatus(`Revoking${terminate ? ' (terminate)' : ''}…`);
  }

  private setStatus(text: string): void {
    this.status.className = 'tl-status';
    this.status.textContent = text;
  }
}

function stamp(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
