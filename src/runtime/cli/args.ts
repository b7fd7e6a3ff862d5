/**
 * Flag parsing for every verb, on Node's own util.parseArgs: declared options,
 * typed values, generated --help, and one-line errors (exit 2) for bad input.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean' | 'number';
  short?: string;
  /** Shown in help: `--queue NAME`. */
  value?: string;
  description: string;
  default?: string | boolean | number;
}

export interface CommandSpec {
  name: string;
  /** One line for the verb list. */
  summary: string;
  /** After `celeriac <name>`, e.g. `<task> [options]`. */
  usage: string;
  description?: string;
  options: Record<string, OptionSpec>;
  /** Number of positionals: [min, max]. */
  positionals?: [number, number];
  examples?: string[];
}

export type ParsedValues = Record<string, string | boolean | number | undefined>;

export interface Parsed {
  values: ParsedValues;
  positionals: string[];
  help: boolean;
}

export function parseCommandArgs(spec: CommandSpec, argv: string[]): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's messages are long and mention internals; keep the part a user needs.
    const msg = (err as Error).message.split('. ')[0].replace(/^Unknown option '(.+?)'.*/, "unknown option '$1'");
    throw new UsageError(msg.replace(/\.$/, ''));
  }
  if (parsed.values.help) return { values: {}, positionals: [], help: true };
  const values: ParsedValues = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const raw = parsed.values[name] as string | boolean | undefined;
    if (raw === undefined) {
      values[name] = o.default;
      continue;
    }
    if (o.type === 'number') {
      const num = Number(raw);
      if (raw === '' || !Number.isFinite(num) || num < 0) throw new UsageError(`--${name} must be a non-negative number, got '${raw}'`);
      values[name] = num;
    } else values[name] = raw;
  }
  const [min, max] = spec.positionals ?? [0, 0];
  if (parsed.positionals.length < min) throw new UsageError(`missing argument: celeriac ${spec.name} ${spec.usage}`);
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument '${parsed.positionals[max]}'`);
  return { values, positionals: parsed.positionals, help: false };
}

export function renderHelp(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'boolean' ? '' : ` ${o.value ?? 'VALUE'}`}`;
    const def = o.default !== undefined && o.default !== false ? ` (default ${o.default})` : '';
    return [flag, o.description + def];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = [`Usage: celeriac ${spec.name} ${spec.usage}`, '', spec.description ?? spec.summary, '', 'Options:'];
  for (const [flag, text] of rows) lines.push(`  ${flag.padEnd(width)}${text}`);
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}

/** Parse a JSON flag value, naming the flag when it is not JSON of the right shape. */
export function jsonFlag<T>(name: string, raw: string | undefined, shape: 'array' | 'object', fallback: T): T {
  if (raw === undefined) return fallback;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON: ${(err as Error).message}`);
  }
  const ok = shape === 'array' ? Array.isArray(v) : typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!ok) throw new UsageError(`--${name} must be a JSON ${shape === 'array' ? 'list, e.g. [2, 3]' : 'object, e.g. {"x": 1}'}`);
  return v as T;
}
