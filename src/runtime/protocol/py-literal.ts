/**
 * Reads back the Python literals Celery puts in events (`args='(2, 3)'`,
 * `kwargs="{'x': 1}"`, `result="[1, 'a', None]"`) as JSON values — what
 * `ast.literal_eval` accepts for these: numbers, strings, True/False/None,
 * tuples, lists and dicts. Undefined for anything else (a truncated saferepr,
 * a custom object's repr), never a throw.
 */

class Reader {
  i = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private fail(): never {
    throw new SyntaxError(`not a Python literal at ${this.i}`);
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '(' || c === '[') return this.sequence(c === '(' ? ')' : ']');
    if (c === '{') return this.dict();
    if (c === "'" || c === '"') return this.string();
    if (this.s.startsWith('None', this.i)) return this.word('None', null);
    if (this.s.startsWith('True', this.i)) return this.word('True', true);
    if (this.s.startsWith('False', this.i)) return this.word('False', false);
    return this.number();
  }

  private word<T>(w: string, v: T): T {
    this.i += w.length;
    return v;
  }

  private number(): number {
    const m = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)/.exec(this.s.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
    const t = m[0].replace(/^\+/, '');
    return t.endsWith('inf') ? (t.startsWith('-') ? -Infinity : Infinity) : t === 'nan' ? NaN : Number(t);
  }

  private string(): string {
    const quote = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++];
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += len;
      } else out += '\\' + e;
    }
    return this.fail();
  }

  private sequence(close: string): unknown[] {
    this.i++;
    const items: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return items;
      }
      items.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail();
    }
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const key = this.value();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail();
      // defineProperty: a key named __proto__ must stay a key, as in JSON.parse.
      Object.defineProperty(out, String(key), { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail();
    }
  }

  end(): void {
    this.ws();
    if (this.i !== this.s.length) this.fail();
  }
}

export function parsePyLiteral(text: string): unknown | undefined {
  try {
    const r = new Reader(text);
    const v = r.value();
    r.end();
    return v;
  } catch {
    return undefined;
  }
}
