/**
 * A report pipeline done as a chain: fetch → aggregate → render, each step a
 * task that gets the previous one's result. No task waits for another's
 * result (that would hold a worker slot and can deadlock a busy pool): the
 * broker carries each step to the next.
 */
import { chain, createApp } from 'celeriac';

export const app = createApp({ task_default_queue: 'reports', task_acks_late: true });

export const fetchSales = app.task('reports.fetch_sales', (region: string) =>
  Array.from({ length: 24 }, (_, h) => ({ region, hour: h, cents: 1000 + ((h * 37) % 500) })),
);

export const aggregate = app.task('reports.aggregate', (rows: { region: string; cents: number }[]) => ({
  region: rows[0]?.region,
  total: rows.reduce((sum, r) => sum + r.cents, 0),
}));

export const render = app.task('reports.render', (summary: { region: string; total: number }) => `${summary.region}: ${(summary.total / 100).toFixed(2)} EUR`);

/** What callers do: start the chain and go on. */
export function buildReport(region: string) {
  return chain(fetchSales.s(region), aggregate.s(), render.s()).applyAsync();
}
