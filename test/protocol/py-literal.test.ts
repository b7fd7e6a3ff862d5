import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parsePyLiteral } from '../../src/runtime/protocol/py-literal';
import { argsRepr, kwargsRepr, pyRepr } from '../../src/runtime/protocol/pyrepr';

describe('parsePyLiteral (Celery event args back to JSON)', () => {
  it('reads tuples, lists, dicts, strings and constants as Celery prints them', () => {
    assert.deepEqual(parsePyLiteral('(2, 3)'), [2, 3]);
    assert.deepEqual(parsePyLiteral('(1,)'), [1]);
    assert.deepEqual(parsePyLiteral('()'), []);
    assert.deepEqual(parsePyLiteral("{'x': 1, 'y': [True, None, 'a\\'b']}"), { x: 1, y: [true, null, "a'b"] });
    assert.deepEqual(parsePyLiteral('[1.5, -2, 1e-05, "q"]'), [1.5, -2, 1e-5, 'q']);
  });

  it('gives undefined, not a throw, for what is not a literal', () => {
    for (const bad of ['', '(1, 2', "{'a' 1}", '<object at 0x7f>', "('abc', ...", 'os.system("x")']) {
      assert.equal(parsePyLiteral(bad), undefined, bad);
    }
  });

  it('round-trips every JSON value through repr, argsrepr and kwargsrepr', () => {
    const json = fc.jsonValue({ maxDepth: 2 }).filter((v) => JSON.stringify(v) !== undefined);
    fc.assert(
      fc.property(json, (v) => {
        // JSON has no -0; repr prints it as '0' or '-0'.
        const normal = JSON.parse(JSON.stringify(v));
        assert.deepEqual(parsePyLiteral(pyRepr(normal)), normal);
      }),
      { numRuns: 1000 },
    );
    // Celery's saferepr (argsrepr/kwargsrepr) does not escape backslashes, so a
    // backslash before n, t, x, … cannot be read back: it is display text. Leave them out.
    const noBackslash = (v: unknown) => !JSON.stringify(v).includes('\\\\');
    fc.assert(
      fc.property(fc.array(json, { maxLength: 3 }).filter(noBackslash), fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 3 }).filter(noBackslash), (args, kwargs) => {
        const a = JSON.parse(JSON.stringify(args));
        const k = JSON.parse(JSON.stringify(kwargs));
        if (argsRepr(a).length < 1000) assert.deepEqual(parsePyLiteral(argsRepr(a)), a);
        if (kwargsRepr(k).length < 1000) assert.deepEqual(parsePyLiteral(kwargsRepr(k)), k);
      }),
      { numRuns: 500 },
    );
  });
});
