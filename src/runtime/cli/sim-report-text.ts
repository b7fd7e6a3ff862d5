/** A simulation report as text for the terminal. */
import type { SimReport } from '../sim/sim-report';
import { keyValueTable } from './ascii-table';

function dur(ms: number): string {
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(2)} h`;
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(2)} min`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms)} ms`;
}

/** Wrap `text` at `width` columns, indenting continuation lines. */
function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l)).join('\n');
}

export function formatReport(r: SimReport, scenario: string, width = 100): string {
  const out: string[] = [];
  out.push(`Simulated ${dur(r.simulatedMs)} in ${dur(r.wallMs)} (seed ${r.seed}, ${r.workers} worker${r.workers === 1 ? '' : 's'} × ${r.concurrency}) — ${scenario}`);
  out.push(
    keyValueTable([
      ['sent', String(r.tasks.sent)],
      ['succeeded', String(r.tasks.succeeded)],
      ['failed', String(r.tasks.failed)],
      ['retried (retries)', String(r.tasks.retried)],
      ['revoked', String(r.tasks.revoked)],
      ['lost', String(r.tasks.lost)],
      ['unfinished (still queued)', String(r.tasks.unfinished)],
      ['wait p50 / p90 / p99', `${dur(r.latency.waitMs.p50)} / ${dur(r.latency.waitMs.p90)} / ${dur(r.latency.waitMs.p99)}`],
      ['run p50 / p90 / p99', `${dur(r.latency.runMs.p50)} / ${dur(r.latency.runMs.p90)} / ${dur(r.latency.runMs.p99)}`],
      ...r.maxQueueDepth.map((q): [string, string] => [`deepest '${q.queue}'`, `${q.ready} ready + ${q.unacked} held at ${dur(q.t)}`]),
    ]).trimEnd(),
  );
  if (r.lostTasks.length) out.push(`Lost (started, never finished, not queued): ${r.lostTasks.slice(0, 20).join(', ')}${r.lostTasks.length > 20 ? ', …' : ''}`);
  if (r.executedMoreThanOnce.length) {
    out.push('Ran more than once for one task id (not counting retries):');
    for (const e of r.executedMoreThanOnce) out.push(`  ${e.name}: ${e.tasks} task${e.tasks === 1 ? '' : 's'}, ${e.extraRuns} extra run${e.extraRuns === 1 ? '' : 's'}`);
  }
  for (const i of r.idempotency) {
    if (i.failed === 0) out.push(`Idempotent: ${i.name} (${i.checked} checked, each run twice, same state)`);
    else {
      out.push(`NOT idempotent: ${i.name} — ${i.failed} of ${i.checked} left a different state when run twice`);
      if (i.example) out.push(`  e.g. ${i.example.task}: after one run ${i.example.afterOnce.slice(0, 200)}; after two ${i.example.afterTwice.slice(0, 200)}`);
    }
  }
  if (r.faults.length) {
    out.push(`Faults injected (${r.faults.length}):`);
    for (const f of r.faults.slice(0, 10)) out.push(`  ${f}`);
    if (r.faults.length > 10) out.push(`  … and ${r.faults.length - 10} more`);
  }
  if (r.diagnoses.length === 0) out.push('Diagnoses: none of the classic surprises happened.');
  for (const d of r.diagnoses) {
    out.push(`! ${d.title}`);
    out.push(`  ${wrap(d.detail, width - 2, '  ')}`);
    if (d.tasks.length) out.push(`  tasks: ${d.tasks.join(', ')}`);
  }
  return out.join('\n') + '\n';
}
