import { strict as assert } from 'node:assert';
import { reprToEditorText, reprToValue } from '../../webview/src/model/py-literal';
import { validateRetryInput } from '../../webview/src/model/retry-input';

describe('webview: Python reprs to JSON (retry editor)', () => {
  const ok = (text: string) => {
    const r = reprToValue(text);
    assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error}`);
    return r.value;
  };

  it('reads tuples, lists, dicts, sets, strings, numbers and True/False/None', () => {
    assert.deepEqual(ok('(2, 3)'), [2, 3]);
    assert.deepEqual(ok('(1,)'), [1]);
    assert.deepEqual(ok('()'), []);
    assert.deepEqual(ok("{'x': 1, 'ok': True, 'none': None, 'f': False}"), { x: 1, ok: true, none: null, f: false });
    assert.deepEqual(ok("[1.5, -2, 1e3, 'it\\'s', \"q\\\"uote\", 'tab\\tnl\\n', '\\x41\\u00e9']"), [1.5, -2, 1000, "it's", 'q"uote', 'tab\tnl\n', 'Aé']);
    assert.deepEqual(ok("{1, 2}"), [1, 2]);
    assert.deepEqual(ok("{1: 'a', None: 'b'}"), { '1': 'a', None: 'b' });
    assert.deepEqual(ok("(b'bytes', r'\\d+', u'x')"), ['bytes', '\\d+', 'x']);
    assert.deepEqual(ok("{'nested': ({'a': [1, (2,)]},)}"), { nested: [{ a: [1, [2]] }] });
    assert.deepEqual(ok('1_000'), 1000);
  });

  it('takes JSON as it is (Celeriac workers send JSON)', () => {
    assert.deepEqual(ok('[1, "two", {"three": 3}]'), [1, 'two', { three: 3 }]);
  });

  it('refuses what has no JSON form, saying where', () => {
    for (const text of ["(1, datetime.datetime(2025, 1, 1))", "[1, 2, ...]", "(float('nan'),)", '(inf,)', '(1j,)', "('unterminated", '(1 2)']) {
      const r = reprToValue(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.ok(r.at >= 0 && r.error.length > 0);
    }
  });

  it('gives the editor compact JSON, or the original text with the reason', () => {
    assert.deepEqual(reprToEditorText("(2, 'x')", '[]'), { text: '[2,"x"]', converted: true });
    assert.deepEqual(reprToEditorText(undefined, '{}'), { text: '{}', converted: true });
    const bad = reprToEditorText('(<object at 0x1>,)', '[]');
    assert.equal(bad.converted, false);
    assert.equal(bad.text, '(<object at 0x1>,)');
    assert.match(bad.error!, /character 2/);
  });

  it('validates the retry editor: args a JSON array, kwargs a JSON object', () => {
    assert.deepEqual(validateRetryInput('[1, "a"]', '{"x": 1}'), { ok: true, args: [1, 'a'], kwargs: { x: 1 } });
    assert.deepEqual(validateRetryInput('', ''), { ok: true, args: [], kwargs: {} });
    const r = validateRetryInput('{"a": 1}', '[1]');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.argsError!, /must be a JSON array/);
      assert.match(r.kwargsError!, /must be a JSON object/);
    }
    const bad = validateRetryInput('[1,', '{}');
    assert.ok(!bad.ok && /not valid JSON/.test(bad.argsError!) && !bad.kwargsError);
  });
});
