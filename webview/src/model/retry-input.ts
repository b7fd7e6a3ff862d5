/**
 * Validation of the retry editor: args must be a JSON array and kwargs a
 * JSON object, with a message that says what is wrong and where.
 */

export type RetryInput =
  | { ok: true; args: unknown[]; kwargs: Record<string, unknown> }
  | { ok: false; argsError?: string; kwargsError?: string };

export function validateRetryInput(argsText: string, kwargsText: string): RetryInput {
  const args = parseAs(argsText, 'args', (v): v is unknown[] => Array.isArray(v), 'a JSON array, e.g. [1, "two"]');
  const kwargs = parseAs(kwargsText, 'kwargs', (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v), 'a JSON object, e.g. {"x": 1}');
  if (args.ok && kwargs.ok) return { ok: true, args: args.value, kwargs: kwargs.value };
  return { ok: false, argsError: args.ok ? undefined : args.error, kwargsError: kwargs.ok ? undefined : kwargs.error };
}

function parseAs<T>(text: string, what: string, is: (v: unknown) => v is T, expected: string): { ok: true; value: T } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (!trimmed) return what === 'args' ? { ok: true, value: [] as unknown as T } : { ok: true, value: {} as T };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { ok: false, error: `${what} is not valid JSON: ${(err as Error).message}` };
  }
  if (!is(value)) return { ok: false, error: `${what} must be ${expected}` };
  return { ok: true, value };
}
