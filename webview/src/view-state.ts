/**
 * What the panel remembers across being hidden and shown (VS Code's
 * getState/setState): the zoom and position, follow-live, filters, the
 * selection and the lane scroll. Data is not kept: the host replays it.
 */
import { EMPTY_FILTER, type TaskFilter } from './model/task-filter';

export interface ViewState {
  version: 1;
  start: number;
  msPerPx: number;
  follow: boolean;
  scrollY: number;
  filter: TaskFilter;
  selectedId?: string;
  /** Keep the whole session in view as it grows, until the user zooms or pans. */
  autoFit: boolean;
}

export function initialViewState(): ViewState {
  return { version: 1, start: Date.now() - 5 * 60_000, msPerPx: 300, follow: false, scrollY: 0, filter: EMPTY_FILTER, autoFit: true };
}

export function isViewState(v: unknown): v is ViewState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<ViewState>;
  const list = (x: unknown) => Array.isArray(x) && x.every((i) => typeof i === 'string');
  const f = s.filter as Partial<TaskFilter> | undefined;
  return (
    s.version === 1 &&
    Number.isFinite(s.start) &&
    Number.isFinite(s.msPerPx) &&
    (s.msPerPx ?? 0) > 0 &&
    typeof s.follow === 'boolean' &&
    Number.isFinite(s.scrollY) &&
    typeof s.autoFit === 'boolean' &&
    !!f &&
    list(f.names) &&
    list(f.states) &&
    list(f.queues) &&
    list(f.workers) &&
    typeof f.search === 'string' &&
    (s.selectedId === undefined || typeof s.selectedId === 'string')
  );
}
