/**
 * Which tasks the user wants to see: facets (name, state, queue, worker; an
 * empty list means "any") and a free-text search over id, args, kwargs,
 * result and exception. Compiled once per change into a predicate, so the
 * per-task check is a few Set lookups.
 */
import type { TaskRecord } from './types';

export interface TaskFilter {
  names: string[];
  states: string[];
  queues: string[];
  workers: string[];
  search: string;
}

export const EMPTY_FILTER: TaskFilter = { names: [], states: [], queues: [], workers: [], search: '' };

export function isEmptyFilter(f: TaskFilter): boolean {
  return !f.names.length && !f.states.length && !f.queues.length && !f.workers.length && !f.search.trim();
}

/** The text a search looks in, built once per task and cached until the task changes. */
export function searchTextOf(t: TaskRecord): string {
  if (t.searchText === undefined) {
    t.searchText = [t.id, t.name ?? '', t.args ?? '', t.kwargs ?? '', t.result ?? '', t.exception ?? ''].join('\u0000').toLowerCase();
  }
  return t.searchText;
}

export type TaskPredicate = (t: TaskRecord) => boolean;

export function compileFilter(f: TaskFilter): TaskPredicate {
  const names = f.names.length ? new Set(f.names) : undefined;
  const states = f.states.length ? new Set(f.states) : undefined;
  const queues = f.queues.length ? new Set(f.queues) : undefined;
  const workers = f.workers.length ? new Set(f.workers) : undefined;
  const needle = f.search.trim().toLowerCase();
  return (t) => {
    if (names && !names.has(t.name ?? '')) return false;
    if (states && !states.has(t.state)) return false;
    if (queues && !queues.has(t.queue ?? '')) return false;
    if (workers && !t.attempts.some((a) => workers.has(a.worker))) return false;
    if (needle && !searchTextOf(t).includes(needle)) return false;
    return true;
  };
}

export function sameFilter(a: TaskFilter, b: TaskFilter): boolean {
  const eq = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.names, b.names) && eq(a.states, b.states) && eq(a.queues, b.queues) && eq(a.workers, b.workers) && a.search === b.search;
}
