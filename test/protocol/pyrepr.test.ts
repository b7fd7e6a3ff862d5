/**
 * pyRepr is Python's repr(); argsRepr/kwargsRepr/safeRepr are Celery 5.2's
 * celery.utils.saferepr, which Celery uses for the argsrepr/kwargsrepr headers and
 * the result shown in events and logs. Expected strings were printed by Python 3.11
 * and by saferepr.py from the Celery v5.2.6 tag.
 */
import { strict as assert } from 'node:assert';
import { argsRepr, kwargsRepr, pyRepr, safeRepr } from '../../src/runtime/protocol';

describe('pyRepr (Python repr)', () => {
  describe('strings', () => {
    it('uses single quotes by default', () => {
      assert.equal(pyRepr('boom'), "'boom'");
      assert.equal(pyRepr(''), "''");
    });

    it('switches to double quotes for a string with an apostrophe and no double quote', () => {
      assert.equal(pyRepr("it's"), `"it's"`);
    });

    it('keeps single quotes for a string with only double quotes', () => {
      assert.equal(pyRepr('say "hi"'), `'say "hi"'`);
    });

    it("keeps single quotes and escapes \\' when a string has both quotes", () => {
      assert.equal(pyRepr(`both ' and "`), `'both \\' and "'`);
    });

    it('escapes backslash, newline, carriage return and tab', () => {
      assert.equal(pyRepr('a\\b\nc\rd\te'), "'a\\\\b\\nc\\rd\\te'");
    });

    it('escapes other control characters as \\xNN', () => {
      assert.equal(pyRepr('\x00\x07\x1f\x7f'), "'\\x00\\x07\\x1f\\x7f'");
    });

    it('escapes characters Python does not consider printable, and keeps the rest', () => {
      assert.equal(pyRepr('\x80\xa0\xad'), "'\\x80\\xa0\\xad'");
      assert.equal(pyRepr('\u2028\u200b\u3000'), "'\\u2028\\u200b\\u3000'");
      assert.equal(pyRepr('\u{e0001}'), "'\\U000e0001'");
      assert.equal(pyRepr('\ud800'), "'\\ud800'");
      assert.equal(pyRepr('é ÿ Ā 😀'), "'é ÿ Ā 😀'");
    });
  });

  describe('numbers', () => {
    it('prints integers as ints', () => {
      assert.equal(pyRepr(0), '0');
      assert.equal(pyRepr(-7), '-7');
      assert.equal(pyRepr(2 ** 53), '9007199254740992');
    });

    it('prints non-integers as Python float repr, with its exponent form', () => {
      assert.equal(pyRepr(1.5), '1.5');
      assert.equal(pyRepr(0.1), '0.1');
      assert.equal(pyRepr(0.0001), '0.0001');
      assert.equal(pyRepr(0.00012), '0.00012');
      assert.equal(pyRepr(1e-5), '1e-05');
      assert.equal(pyRepr(2.5e-7), '2.5e-07');
      assert.equal(pyRepr(1.23456789e-5), '1.23456789e-05');
      assert.equal(pyRepr(-1.25e-300), '-1.25e-300');
      assert.equal(pyRepr(0.30000000000000004), '0.30000000000000004');
    });

    it('prints nan and infinities as Python does', () => {
      assert.equal(pyRepr(NaN), 'nan');
      assert.equal(pyRepr(Infinity), 'inf');
      assert.equal(pyRepr(-Infinity), '-inf');
    });
  });

  it('prints None, True and False', () => {
    assert.equal(pyRepr(null), 'None');
    assert.equal(pyRepr(undefined), 'None');
    assert.equal(pyRepr(true), 'True');
    assert.equal(pyRepr(false), 'False');
  });

  it('prints lists and nested dicts in insertion order', () => {
    assert.equal(pyRepr([]), '[]');
    assert.equal(pyRepr({}), '{}');
    assert.equal(pyRepr({ a: [1, { b: null }], "it's": 'x' }), `{'a': [1, {'b': None}], "it's": 'x'}`);
  });
});

describe("argsRepr / kwargsRepr (Celery's saferepr)", () => {
  it('prints args as a tuple: (), a 1-tuple with its comma, and several', () => {
    assert.equal(argsRepr([]), '()');
    assert.equal(argsRepr([7]), '(7,)');
    assert.equal(argsRepr([2, 3]), '(2, 3)');
    assert.equal(argsRepr([[0, 2, 4]]), '([0, 2, 4],)');
  });

  it('prints kwargs as a dict', () => {
    assert.equal(kwargsRepr({}), '{}');
    assert.equal(kwargsRepr({ x: 1, y: 2 }), "{'x': 1, 'y': 2}");
  });

  it('prints None, True, False and floats as Python does', () => {
    assert.equal(argsRepr([null, true, false, 1.5, 1e-5]), '(None, True, False, 1.5, 1e-05)');
  });

  it("always single-quotes strings and escapes only the apostrophe ('it\\'s', unlike repr)", () => {
    assert.equal(argsRepr(["it's"]), "('it\\'s',)");
    assert.equal(argsRepr(['say "hi"']), `('say "hi"',)`);
    assert.equal(argsRepr([`both ' and "`]), `('both \\' and "',)`);
    assert.equal(kwargsRepr({ "k'": 'v' }), "{'k\\'': 'v'}");
  });

  it('leaves newlines, backslashes and tabs as they are', () => {
    assert.equal(argsRepr(['line1\nline2', 'C:\\temp', 'tab\there']), "('line1\nline2', 'C:\\temp', 'tab\there')");
  });

  it('prints containers nested three levels deep as {...} / [...]', () => {
    assert.equal(argsRepr([[[{ a: 1 }]]]), '([[{...}]],)');
    assert.equal(argsRepr([{ x: 1, y: [1, { z: 2 }] }]), "({'x': 1, 'y': [1, {...}]},)");
    assert.equal(kwargsRepr({ a: { b: { c: { d: 1 } } } }), "{'a': {'b': {'c': {...}}}}");
  });

  describe('truncation at maxlen (1024 by default, as argsrepr_maxsize)', () => {
    it('cuts a long string and ends with ", ..." (the closing bracket is lost, as in Celery)', () => {
      assert.equal(argsRepr(['x'.repeat(2000)]), "('" + 'x'.repeat(1023) + "...', ...");
    });

    it('cuts a long tuple and keeps its closing bracket', () => {
      const expected = '(' + Array.from({ length: 226 }, (_, i) => i).join(', ') + ', 226..., ...)';
      assert.equal(argsRepr(Array.from({ length: 500 }, (_, i) => i)), expected);
    });

    it('cuts at a word boundary inside a string', () => {
      assert.equal(kwargsRepr({ name: 'hello big world', n: 12345 }, 12), "{'name': 'hel...', ...}");
      assert.equal(argsRepr(['hello world'], 13), "('hello world', ...");
    });

    it('prints the pending closers of nested containers', () => {
      assert.equal(argsRepr([[1, 2, [3, 4, 5]]], 8), '([1, 2, , ...]],)');
      assert.equal(kwargsRepr({ a: 'b'.repeat(50) }, 20), "{'a': 'bbbbbbbbbbbbbb...', ...");
    });

    it('counts code points, not UTF-16 units', () => {
      // 4 code points fit in the 5 left after '(' (8 UTF-16 units would not).
      assert.equal(argsRepr(['😀😀😀😀'], 6), "('😀😀😀😀', ...");
    });
  });

  it('prints a result as Celery events show it', () => {
    assert.equal(safeRepr(5), '5');
    assert.equal(safeRepr({ x: 7, retries: 1 }), "{'x': 7, 'retries': 1}");
    assert.equal(safeRepr("it's"), "'it\\'s'");
    assert.equal(safeRepr([1, [2, [3, [4]]]]), '[1, [2, [3, [...]]]]');
  });
});
