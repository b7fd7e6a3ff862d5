/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence on
 * every machine, which is what makes a simulation repeatable.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = Math.floor(seed) >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mean ± jitter, uniformly. */
export function draw(random: Random, mean: number, jitter: number): number {
  return jitter ? Math.max(0, mean + (random() * 2 - 1) * jitter) : mean;
}
