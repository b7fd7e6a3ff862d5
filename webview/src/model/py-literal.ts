/**
 * Celery events carry args and kwargs as reprs: Python literals from Python
 * workers (`(2, 3)`, `{'x': 1, 'ok': True}`), JSON from Celeriac. The retry
 * editor wants JSON, so this reads the common Python literal forms (tuples,
 * lists, dicts, sets, quoted strings with escapes, True/False/None, numbers)
 * and gives up, saying where, on anything else (objects, `...` truncation),
 * for the user to fix by hand. It only parses: nothing is ever evaluated.
 */

export type LiteralResult = { ok: true; value: unknown } | { ok: false; error: string; at: number };

/** JSON as is, else a Python literal read into the equivalent JSON value. */
export function reprToValue(text: string): LiteralResult {
  const trimmed = text.trim();
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch {
    // not JSON: try Python
  }
  try {
    const p = new PyParser(trimmed);
    const value = p.value(0);
    p.end();
    return { ok: true, value };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, error: err.message, at: err.at };
    throw err;
  }
}

/** Pretty JSON for the editor, or the raw text when it cannot be converted (the validation says why). */
export function reprToEditorText(text: string | undefined, fallback: string): { text: string; converted: boolean; error?: string } {
  if (text === undefined || text.trim() === '') return { text: fallback, converted: true };
  const r = reprToValue(text);
  if (r.ok) {
    const compact = JSON.stringify(r.value);
    return { text: compact.length <= 72 ? compact : JSON.stringify(r.value, null, 2), converted: true };
  }
  return { text, converted: false, error: `${r.error} (at character ${r.at + 1})` };
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 100;
const CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

class PyParser {
  private i = 0;
  constructor(private readonly s: string) {}

  end(): void {
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected '${this.s[this.i]}'`);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('unexpected end');
    if (c === '(' || c === '[') return this.sequence(depth, c);
    if (c === '{') return this.braces(depth);
    if (c === "'" || c === '"') return this.string('');
    const prefixed = /^([bBuUrR]{1,2})(['"])/.exec(this.s.slice(this.i, this.i + 3));
    if (prefixed) {
      this.i += prefixed[1].length;
      return this.string(prefixed[1].toLowerCase());
    }
    if (/[-+0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (word) {
      if (word[0] === 'True' || word[0] === 'False' || word[0] === 'None') {
        this.i += word[0].length;
        return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
      }
      this.fail(`'${word[0]}…' is not a plain value: replace it with JSON`);
    }
    if (this.s.startsWith('...', this.i) || c === '…') this.fail('the text was cut short (…): complete it');
    return this.fail(`unexpected '${c}'`);
  }

  /** Tuples and lists both become arrays. */
  private sequence(depth: number, open: string): unknown[] {
    const close = CLOSE[open];
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  /** A dict, or a set (which becomes an array). */
  private braces(depth: number): unknown {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return {};
    }
    const first = this.value(depth + 1);
    this.ws();
    if (this.s[this.i] !== ':') {
      const items = [first];
      for (;;) {
        this.ws();
        if (this.s[this.i] === ',') this.i++;
        this.ws();
        if (this.s[this.i] === '}') {
          this.i++;
          return items;
        }
        items.push(this.value(depth + 1));
        this.ws();
        if (this.s[this.i] !== ',' && this.s[this.i] !== '}') this.fail("expected ',' or '}'");
      }
    }
    const out: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      this.i++; // ':'
      // JSON keys are strings: Python's 1 or None keys become "1", "None".
      out[typeof key === 'string' ? key : key === null ? 'None' : String(key)] = this.value(depth + 1);
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail("expected ',' or '}'");
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      key = this.value(depth + 1);
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
    }
  }

  private string(prefix: string): string {
    const quote = this.s[this.i];
    const triple = this.s.startsWith(quote.repeat(3), this.i);
    this.i += triple ? 3 : 1;
    const raw = prefix.includes('r');
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (triple ? this.s.startsWith(quote.repeat(3), this.i) : c === quote) {
        this.i += triple ? 3 : 1;
        return out;
      }
      if (c === '\\' && !raw) {
        out += this.escape();
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private escape(): string {
    const start = this.i;
    const c = this.s[this.i + 1];
    this.i += 2;
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
    if (c !== undefined && c in simple) return simple[c];
    const hex = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (hex) {
      const digits = this.s.slice(this.i, this.i + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) throw new ParseError('bad escape', start);
      this.i += hex;
      return String.fromCodePoint(parseInt(digits, 16));
    }
    return '\\' + (c ?? '');
  }

  private number(): number {
    const m = /^[-+]?(\d[\d_]*\.?[\d_]*([eE][-+]?\d+)?|\.\d[\d_]*([eE][-+]?\d+)?)/.exec(this.s.slice(this.i));
    if (!m) {
      if (/^[-+]?(inf|nan)/i.test(this.s.slice(this.i))) this.fail('inf and nan have no JSON form');
      this.fail('bad number');
    }
    if (/^[jJL]/.test(this.s.slice(this.i + m[0].length))) this.fail('complex and long numbers have no JSON form');
    this.i += m[0].length;
    const n = Number(m[0].replace(/_/g, ''));
    if (!Number.isFinite(n)) this.fail('number out of range');
    return n;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private fail(message: string): never {
    throw new ParseError(message, this.i);
  }
}
