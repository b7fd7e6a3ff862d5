/**
 * Where the time axis puts its ticks and what it writes: the smallest "nice"
 * step that leaves room for a label, with labels as precise as the step.
 */

const STEPS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500,
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];

export interface Tick {
  t: number;
  x: number;
  label: string;
}

export function tickStep(msPerPx: number, minSpacingPx: number): number {
  const wanted = msPerPx * minSpacingPx;
  return STEPS.find((s) => s >= wanted) ?? STEPS[STEPS.length - 1];
}

export function timeTicks(start: number, msPerPx: number, width: number, minSpacingPx = 90): Tick[] {
  const step = tickStep(msPerPx, minSpacingPx);
  // Steps of whole hours and days line up with local midnight, not UTC's.
  const offset = step >= 3_600_000 ? new Date(start).getTimezoneOffset() * 60_000 : 0;
  const first = Math.ceil((start - offset) / step) * step + offset;
  const ticks: Tick[] = [];
  for (let t = first, n = 0; n < 1000; t = first + ++n * step) {
    const x = (t - start) / msPerPx;
    if (x > width) break;
    ticks.push({ t, x, label: formatTime(t, step) });
  }
  return ticks;
}

export function formatTime(t: number, step: number): string {
  const d = new Date(t);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (step >= 86_400_000) return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (step >= 60_000) return hm;
  const hms = `${hm}:${pad(d.getSeconds())}`;
  if (step >= 1_000) return hms;
  if (step >= 1) return `${hms}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  // Below a millisecond: six digits of the second (µs).
  const ms = d.getMilliseconds() + (t - Math.floor(t));
  return `${hms}.${ms.toFixed(3).padStart(7, '0').replace('.', '')}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
