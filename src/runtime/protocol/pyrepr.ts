/**
 * Python's repr() of JSON values, and Celery's `saferepr` (celery.utils.saferepr,
 * Celery 5.2) for the `argsrepr`/`kwargsrepr` headers and event fields that Celery
 * tools (Flower, `celery events`) display.
 */

const DEFAULT_MAX = 1024;

// Characters Python's str.isprintable() rejects: categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs
// (except the ASCII space). repr() escapes them.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hexEscape(code: number): string {
  if (code <= 0xff) return '\\x' + code.toString(16).padStart(2, '0');
  if (code <= 0xffff) return '\\u' + code.toString(16).padStart(4, '0');
  return '\\U' + code.toString(16).padStart(8, '0');
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) out += hexEscape(code);
    else out += ch;
  }
  return out + quote;
}

/** A JSON number as Python prints it: integers as `int`, others as `float` repr. */
function reprNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n)) return String(n);
  // float repr: shortest round-trip digits, exponent form when exp < -4 or exp >= 16,
  // with at least two exponent digits (1e-05).
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(n);
}

export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return reprNumber(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return reprString(value);
    case 'object':
      if (Array.isArray(value)) return '[' + value.map(pyRepr).join(', ') + ']';
      return (
        '{' +
        Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`)
          .join(', ') +
        '}'
      );
    default:
      return reprString(String(value));
  }
}

// ---------------------------------------------------------------------------
// celery.utils.saferepr, ported token for token so truncation matches character for character.
// Differences from repr(): strings are always single-quoted with only `'` escaped
// (`'it\'s'`, newlines raw); containers nested deeper than 3 levels print as `[...]`;
// past `maxlen` characters the output ends with `, ...` and the closing brackets
// still pending.

const MAX_LEVELS = 3;

class Lit {
  constructor(
    readonly value: string,
    readonly truncate: boolean,
    readonly direction: number,
  ) {}
}
class Key {
  constructor(readonly value: string) {}
}
class Quoted {
  constructor(readonly value: string) {}
}
/** A Python tuple: how Celery holds a task's positional args. */
class Tuple {
  constructor(readonly items: readonly unknown[]) {}
}
const DIRTY = Symbol('dirty');

const LIT_DICT_START = new Lit('{', false, +1);
const LIT_DICT_KVSEP = new Lit(': ', true, 0);
const LIT_DICT_END = new Lit('}', false, -1);
const LIT_LIST_START = new Lit('[', false, +1);
const LIT_LIST_END = new Lit(']', false, -1);
const LIT_LIST_SEP = new Lit(', ', true, 0);
const LIT_TUPLE_START = new Lit('(', false, +1);
const LIT_TUPLE_END = new Lit(')', false, -1);
const LIT_TUPLE_END_SV = new Lit(',)', false, -1);

function* chain(...parts: Iterable<unknown>[]): Generator<unknown> {
  for (const part of parts) yield* part;
}

function* chainList(items: readonly unknown[]): Generator<unknown> {
  for (let i = 0; i < items.length; i++) {
    yield items[i];
    if (i < items.length - 1) yield LIT_LIST_SEP;
  }
}

function* chainDict(obj: Record<string, unknown>): Generator<unknown> {
  const entries = Object.entries(obj);
  for (let i = 0; i < entries.length; i++) {
    yield new Key(entries[i]![0]);
    yield LIT_DICT_KVSEP;
    yield entries[i]![1];
    if (i < entries.length - 1) yield LIT_LIST_SEP;
  }
}

type Token = Lit | Key | Quoted | string;

/** Python's len() and slicing count code points, not UTF-16 units. */
function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** celery.utils.text.truncate */
function truncateText(s: string, maxlen: number | null): string {
  if (maxlen && pyLen(s) >= maxlen) {
    const cut = Array.from(s).slice(0, maxlen).join('');
    const space = cut.lastIndexOf(' ');
    return (space >= 0 ? cut.slice(0, space) : cut) + '...';
  }
  return s;
}

function* reprStream(stack: Iterator<unknown>[]): Generator<[Token, Iterator<unknown>]> {
  let level = 0;
  while (stack.length > 0) {
    const it = stack.shift()!;
    // Not for..of: breaking out of it would close `it`, which lives on inside the chain.
    for (let r = it.next(); !r.done; r = it.next()) {
      const val = r.value;
      if (val === DIRTY) continue;
      if (val instanceof Lit) {
        level += val.direction;
        yield [val, it];
        continue;
      }
      if (val instanceof Key) {
        yield [val, it];
        continue;
      }
      if (typeof val === 'number' || typeof val === 'boolean' || typeof val === 'bigint' || val === null || val === undefined) {
        yield [pyRepr(val), it];
        continue;
      }
      if (typeof val === 'string') {
        yield [new Quoted(val), it];
        continue;
      }
      let start: Lit;
      let end: Lit;
      let children: Iterable<unknown>;
      if (val instanceof Tuple) {
        [start, end, children] = [LIT_TUPLE_START, val.items.length === 1 ? LIT_TUPLE_END_SV : LIT_TUPLE_END, chainList(val.items)];
      } else if (Array.isArray(val)) {
        [start, end, children] = [LIT_LIST_START, LIT_LIST_END, chainList(val)];
      } else if (typeof val === 'object') {
        [start, end, children] = [LIT_DICT_START, LIT_DICT_END, chainDict(val as Record<string, unknown>)];
      } else {
        yield [pyRepr(val), it];
        continue;
      }
      if (level >= MAX_LEVELS) {
        yield [`${start.value}...${end.value}`, it];
        continue;
      }
      stack.push(chain([start], children, [DIRTY, end], { [Symbol.iterator]: () => it }));
      break;
    }
  }
}

/**
 * The common case without the port's token machinery: when the whole output is
 * shorter than `maxlen`, nothing is truncated and saferepr's result is just this.
 * `undefined` for values it does not handle (the port then decides).
 */
function fastRepr(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case 'string':
      return "'" + (v.includes("'") ? v.replace(/'/g, "\\'") : v) + "'";
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return pyRepr(v);
    case 'object': {
      if (v === null) return 'None';
      const isTuple = v instanceof Tuple;
      const items = isTuple ? (v as Tuple).items : Array.isArray(v) ? v : undefined;
      if (items) {
        const [open, close] = isTuple ? ['(', items.length === 1 ? ',)' : ')'] : ['[', ']'];
        if (depth >= MAX_LEVELS) return `${open}...${close}`;
        let out = open;
        for (let i = 0; i < items.length; i++) {
          const r = fastRepr(items[i], depth + 1);
          if (r === undefined) return undefined;
          out += i === 0 ? r : ', ' + r;
        }
        return out + close;
      }
      if (depth >= MAX_LEVELS) return '{...}';
      let out = '{';
      let first = true;
      for (const k in v as Record<string, unknown>) {
        const r = fastRepr((v as Record<string, unknown>)[k], depth + 1);
        if (r === undefined) return undefined;
        out += (first ? "'" : ", '") + (k.includes("'") ? k.replace(/'/g, "\\'") : k) + "': " + r;
        first = false;
      }
      return out + '}';
    }
    default:
      return undefined;
  }
}

function saferepr(o: unknown, maxlen: number | null): string {
  const fast = fastRepr(o, 0);
  // UTF-16 length ≥ code points, so shorter than maxlen means no token was cut.
  if (fast !== undefined && (maxlen === null || fast.length < maxlen)) return fast;
  return safereprPort(o, maxlen);
}

function safereprPort(o: unknown, maxlen: number | null): string {
  const out: string[] = [];
  const stack: Iterator<unknown>[] = [[o][Symbol.iterator]()];
  const stream = reprStream(stack);
  for (let r = stream.next(); !r.done; r = stream.next()) {
    const [token, it] = r.value;
    if (maxlen !== null && maxlen <= 0) {
      out.push(', ...');
      // The rest goes back on the stack so the dangling closing brackets are printed.
      stack.push(it);
      break;
    }
    let val: string;
    if (token instanceof Lit) val = token.value;
    else if (token instanceof Key) val = safereprPort(token.value, maxlen);
    else if (token instanceof Quoted) val = "'" + truncateText(token.value, maxlen).replace(/'/g, "\\'") + "'";
    else val = truncateText(token, maxlen);
    out.push(val);
    if (maxlen !== null) maxlen -= pyLen(val);
  }
  for (const rest of stack) {
    for (let r = rest.next(); !r.done; r = rest.next()) {
      if (r.value instanceof Lit && !r.value.truncate) out.push(r.value.value);
    }
  }
  return out.join('');
}

/** Celery's `saferepr(value, maxlen)`: what its events and logs show for a result. */
export function safeRepr(value: unknown, maxlen: number | null = DEFAULT_MAX): string {
  return saferepr(value, maxlen);
}

/** The direct port alone, without the fast path (to check the two agree). */
export function safeReprReference(value: unknown, maxlen: number | null = DEFAULT_MAX, asArgsTuple = false): string {
  return safereprPort(asArgsTuple ? new Tuple(value as unknown[]) : value, maxlen);
}

/** Celery's `argsrepr` header: saferepr of the args tuple, `(1,)` for one. */
export function argsRepr(args: readonly unknown[], max = DEFAULT_MAX): string {
  return saferepr(new Tuple(args), max);
}

/** Celery's `kwargsrepr` header: saferepr of the kwargs dict. */
export function kwargsRepr(kwargs: Record<string, unknown>, max = DEFAULT_MAX): string {
  return saferepr(kwargs, max);
}
