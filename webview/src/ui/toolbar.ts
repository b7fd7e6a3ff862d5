/**
 * The bar above the chart: search, the four facet filters (values and
 * counts from the store's indexes, rebuilt only when a value appears or
 * goes), follow-live, zoom buttons, the counts and the colour legend.
 */
import type { TaskStore } from '../model/task-store';
import type { FacetIndex } from '../model/facet-index';
import type { TaskFilter } from '../model/task-filter';
import { ALL_STATES } from '../model/types';
import { clear, h } from './dom';
import { stateColour } from './state-colours';

type MultiSelect = HTMLElement & { value: string[] };
type TextField = HTMLElement & { value: string };
type Checkbox = HTMLElement & { checked: boolean };

export interface ToolbarHost {
  filterChanged(filter: TaskFilter): void;
  /** Enter in the search box: go to the next match. */
  nextMatch(): void;
  followChanged(on: boolean): void;
  zoom(kind: 'in' | 'out' | 'fit'): void;
}

const FACETS = [
  { key: 'names', label: 'Task', aria: 'Filter by task name' },
  { key: 'states', label: 'State', aria: 'Filter by state' },
  { key: 'queues', label: 'Queue', aria: 'Filter by queue' },
  { key: 'workers', label: 'Worker', aria: 'Filter by worker' },
] as const;

export class Toolbar {
  readonly element: HTMLElement;
  readonly legend: HTMLElement;
  private readonly search: TextField;
  private readonly selects: Record<(typeof FACETS)[number]['key'], MultiSelect>;
  private readonly follow: Checkbox;
  private readonly counts: HTMLElement;
  private readonly versions = new Map<string, number>();
  private filter: TaskFilter;
  private searchTimer = 0;

  constructor(
    private readonly store: TaskStore,
    initial: TaskFilter,
    follow: boolean,
    private readonly host: ToolbarHost,
  ) {
    this.filter = initial;
    this.search = h('vscode-textfield', { attrs: { placeholder: 'Search id, args, kwargs, result, error', label: 'Search tasks', 'aria-label': 'Search tasks by id, args, kwargs, result or exception', type: 'search' } }) as TextField;
    this.search.value = initial.search;
    this.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      // Searching walks every task: wait for a pause in typing.
      this.searchTimer = window.setTimeout(() => this.update({ search: this.search.value }), 150);
    });
    this.search.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      clearTimeout(this.searchTimer);
      this.update({ search: this.search.value });
      this.host.nextMatch();
    });
    const selects = {} as Record<(typeof FACETS)[number]['key'], MultiSelect>;
    for (const f of FACETS) {
      const select = h('vscode-multi-select', { attrs: { label: f.aria, 'aria-label': f.aria, combobox: f.key === 'names', placeholder: f.label, 'data-facet': f.key } }) as MultiSelect;
      select.addEventListener('change', () => this.update({ [f.key]: [...select.value] }));
      selects[f.key] = select;
    }
    this.selects = selects;
    this.follow = h('vscode-checkbox', { attrs: { label: 'Follow live', 'aria-label': 'Follow live' } }) as Checkbox;
    this.follow.checked = follow;
    this.follow.addEventListener('change', () => this.host.followChanged(!!this.follow.checked));
    const button = (text: string, aria: string, kind: 'in' | 'out' | 'fit') =>
      h('vscode-button', { text, attrs: { secondary: true, 'aria-label': aria, title: aria }, on: { click: () => this.host.zoom(kind) } });
    this.counts = h('span', { class: 'tl-counts', attrs: { 'aria-live': 'off' } });
    this.element = h(
      'div',
      { class: 'tl-toolbar', attrs: { role: 'toolbar', 'aria-label': 'Timeline filters and view' } },
      this.search,
      ...FACETS.map((f) => h('span', { class: 'tl-facet' }, h('span', { class: 'tl-facet-label', text: f.label, attrs: { 'aria-hidden': 'true' } }), selects[f.key])),
      this.follow,
      button('−', 'Zoom out', 'out'),
      button('+', 'Zoom in', 'in'),
      button('Fit', 'Fit the whole session', 'fit'),
      h('span', { class: 'tl-spacer' }),
      this.counts,
    );
    this.legend = h('div', { class: 'tl-legend', attrs: { 'aria-label': 'Colours' } });
    const swatch = (text: string, colour: string, wait = false) => {
      const s = h('span', { class: wait ? 'wait' : undefined, text });
      s.style.setProperty('--swatch', colour);
      return s;
    };
    this.legend.append(
      swatch('running', stateColour('STARTED')),
      swatch('succeeded', stateColour('SUCCESS')),
      swatch('failed', stateColour('FAILURE')),
      swatch('retried', stateColour('RETRY')),
      swatch('revoked', stateColour('REVOKED')),
      swatch('rejected', stateColour('REJECTED')),
      swatch('lost', stateColour('LOST')),
      swatch('queue wait', 'var(--vscode-charts-lines, #9d9d9d)', true),
      swatch('ETA / countdown wait', 'var(--vscode-charts-purple, #b180d7)', true),
    );
    this.refresh();
  }

  setFollow(on: boolean): void {
    if (!!this.follow.checked !== on) this.follow.checked = on;
  }

  /** Rebuilds menus whose values changed and updates the counts; cheap when nothing did. */
  refresh(): void {
    this.fill('names', this.store.byName);
    this.fill('states', this.store.byState, ALL_STATES);
    this.fill('queues', this.store.byQueue);
    this.fill('workers', this.store.byWorker, [...this.store.workers.keys()]);
    const total = this.store.size;
    const matching = this.store.matchingCount;
    this.counts.textContent = matching === total ? `${total.toLocaleString()} tasks` : `${matching.toLocaleString()} of ${total.toLocaleString()} tasks`;
  }

  private fill(key: (typeof FACETS)[number]['key'], index: FacetIndex, always: readonly string[] = []): void {
    const version = index.version * 1000 + always.length;
    if (this.versions.get(key) === version) return;
    this.versions.set(key, version);
    const select = this.selects[key];
    const chosen = new Set(this.filter[key]);
    const values = new Set([...always, ...index.counts().map((c) => c.value), ...chosen]);
    clear(select);
    for (const value of [...values].sort((a, b) => (key === 'states' ? 0 : a.localeCompare(b)))) {
      const count = index.count(value);
      const option = h('vscode-option', { text: value || '(none)', attrs: { value, description: count ? String(count) : undefined, selected: chosen.has(value) } });
      select.append(option);
    }
  }

  private update(change: Partial<TaskFilter>): void {
    this.filter = { ...this.filter, ...change };
    this.host.filterChanged(this.filter);
  }
}
