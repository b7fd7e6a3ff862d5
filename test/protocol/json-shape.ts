import { strict as assert } from 'node:assert';

/** Every key of a JSON value, depth first, in order: `a`, `a.b`, `c[0].d`. */
export function keyOrder(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyOrder(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [`${path}.${k}`, ...keyOrder(v, `${path}.${k}`)]);
  }
  return [];
}

/** Same JSON: equal values, and the same keys in the same order at every depth. */
export function assertSameJson(actual: unknown, expected: unknown, message: string): void {
  assert.deepStrictEqual(actual, expected, message);
  assert.deepStrictEqual(keyOrder(actual), keyOrder(expected), `${message}: key order`);
}
