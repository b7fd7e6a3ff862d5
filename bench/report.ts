/** A bench row and the table they print as. Ratios are against a peer measured in the same run. */
export interface BenchResult {
  system: string;
  metric: string;
  value: number;
  /** The same metric for the peer it is compared with, measured in the same run. */
  peer?: number;
  /** The same metric for several peers, by short name, measured in the same run: one "vs <name>" column each. */
  peers?: Record<string, number>;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(3);
}

function ratio(value: number, peer: number | undefined): string {
  if (peer === undefined || !Number.isFinite(peer) || peer === 0 || !Number.isFinite(value)) return '';
  return `${(value / peer).toFixed(2)}×`;
}

export function printTable(title: string, rows: BenchResult[]): string {
  const single = rows.some((r) => r.peer !== undefined);
  const peerNames = [...new Set(rows.flatMap((r) => Object.keys(r.peers ?? {})))];
  const header = ['system', 'metric', 'value', ...(single ? ['vs peer'] : []), ...peerNames.map((n) => `vs ${n}`)];
  const body = rows.map((r) => [
    r.system,
    r.metric,
    fmt(r.value),
    ...(single ? [ratio(r.value, r.peer)] : []),
    ...peerNames.map((n) => ratio(r.value, r.peers?.[n])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  const legend = single || peerNames.length ? ['ratio = value / peer: above 1× is better for throughput, below 1× is better for ms and µs'] : [];
  return [`\n${title}`, line(header), sep, ...body.map(line), ...legend].join('\n') + '\n';
}
