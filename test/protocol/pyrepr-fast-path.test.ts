import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { argsRepr, kwargsRepr, safeRepr, safeReprReference } from '../../src/runtime/protocol/pyrepr';

// safeRepr takes a shortcut when nothing needs truncating; it must print exactly
// what the line-for-line port of Celery's saferepr prints.
describe('saferepr fast path', () => {
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom("it's", 'a\nb', 'back\\slash', '"q"', ''),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
    ),
  })).value;

  it('agrees with the port for any JSON value and length limit', () => {
    fc.assert(
      fc.property(json, fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 80 }), fc.constant(1024)), (v, max) => {
        assert.equal(safeRepr(v, max), safeReprReference(v, max));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the port for argsrepr and kwargsrepr', () => {
    fc.assert(
      fc.property(fc.array(json, { maxLength: 5 }), fc.integer({ min: 1, max: 60 }), (args, max) => {
        assert.equal(argsRepr(args, max), safeReprReference(args, max, true));
        assert.equal(argsRepr(args), safeReprReference(args, 1024, true));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 5 }), (kwargs) => {
        assert.equal(kwargsRepr(kwargs), safeReprReference(kwargs, 1024));
        assert.equal(kwargsRepr(kwargs, 20), safeReprReference(kwargs, 20));
      }),
      { numRuns: 2000 },
    );
  });
});
