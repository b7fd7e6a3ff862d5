/**
 * Property-based fuzzing of the two wire decoders (fast-check, fixed seeds, so the
 * suite is deterministic):
 *
 *  - decodeKombuEnvelope(raw) never throws, and returns either `{ok: true, ...}` with a
 *    well-formed BrokerMessage or `{ok: false, reason}` with a non-empty reason. Whether
 *    it accepts is checked against an independent oracle (JSON object with a string body).
 *  - decodeTaskMessage(message, limits) never throws, for whatever the envelope decoder
 *    produced and for arbitrary BrokerMessage-shaped junk; a rejection has a non-empty
 *    reason, an acceptance satisfies the DecodedTask invariants and agrees with an
 *    independent reading of the headers and body.
 *
 * Inputs: random strings, random JSON, envelope-shaped and message-shaped junk, and
 * mutations (character level and structural) of the real Celery captures in
 * test/fixtures/celery. A failing case prints the decoder's actual input, not only the
 * fast-check counterexample (which for mutations is the mutation plan).
 *
 * FUZZ_STATS=1 prints, per family, how many cases were rejected by which decoder and how
 * many decoded, and the distinct reasons that came from decodeTaskMessage's catch-all.
 */
import { strict as assert } from 'node:assert';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  DEFAULT_MAX_BODY_BYTES,
  bodyByteLength,
  decodeKombuEnvelope,
  decodeTaskMessage,
  parseIso,
  type BrokerMessage,
  type DecodeLimits,
  type DecodeResult,
  type EnvelopeResult,
} from '../../src/runtime/protocol';
import { fixtureNames } from '../helpers/fixtures';
import { redisEnvelopes, taskMessages, type CapturedTask } from './captured-messages';

// ---------------------------------------------------------------------------------------
// Runs per family: the sum is the number of generated cases (each is one decoder input,
// often fed through both decoders).
const RUNS = {
  randomStrings: 1500,
  randomJson: 2000,
  messageShaped: 2500,
  charMutatedEnvelopes: 1500,
  charMutatedTaskEnvelopes: 1500,
  structurallyMutatedTasks: 3000,
};
const TOTAL_RUNS = Object.values(RUNS).reduce((a, b) => a + b, 0);
/** Body limit for the mutation families: far above any captured body (< 2 KiB). */
const FUZZ_LIMIT: DecodeLimits = { maxBodyBytes: 64 * 1024 };
const CATCH_ALL = 'could not decode message (';
const CATCH_ALL_REASONS = new Set<string>();

// ---------------------------------------------------------------------------------------
// Showing a failing input.

function clip(s: string, max = 4000): string {
  return s.length <= max ? s : `${s.slice(0, max / 2)} …(${s.length - max} more chars)… ${s.slice(-max / 2)}`;
}

function show(x: unknown): string {
  if (typeof x === 'string') return clip(JSON.stringify(x));
  return clip(fc.stringify(x));
}

function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------
// The contracts, checked on one input.

/** decodeKombuEnvelope on `raw`: never throws, agrees with the oracle, well-formed result. */
function checkEnvelope(raw: string): EnvelopeResult {
  let r: EnvelopeResult;
  try {
    r = decodeKombuEnvelope(raw);
  } catch (err) {
    assert.fail(`decodeKombuEnvelope threw (${(err as Error)?.message ?? String(err)}) on input ${show(raw)}`);
  }
  const check = (cond: boolean, what: string) => {
    if (!cond) assert.fail(`decodeKombuEnvelope: ${what}\ninput ${show(raw)}\nresult ${show(r)}`);
  };
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(raw);
  } catch {
    isJson = false;
  }
  const shouldAccept = isJson && isPlainObject(parsed) && typeof parsed.body === 'string';
  check(r.ok === shouldAccept, `ok should be ${shouldAccept}: accepted iff a JSON object with a string 'body'`);
  if (r.ok) {
    const m = r.message;
    check(m.body === (parsed as Record<string, any>).body, 'body is not the envelope body');
    check(typeof m.contentType === 'string' && typeof m.contentEncoding === 'string', 'contentType/contentEncoding must be strings');
    check(isPlainObject(m.headers), 'headers must be a plain object');
    check(isPlainObject(m.properties), 'properties must be a plain object');
    check(typeof r.deliveryTag === 'string', 'deliveryTag must be a string');
    check(typeof r.deliveryInfo.exchange === 'string' && typeof r.deliveryInfo.routing_key === 'string', 'deliveryInfo exchange/routing_key must be strings');
  } else {
    check(typeof r.reason === 'string' && r.reason.length > 0, 'a rejection needs a non-empty reason');
    check(r.id === null || typeof r.id === 'string', 'id must be a string or null');
  }
  return r;
}

/** The body as an independent reader sees it: JSON from text or base64 text; undefined if unreadable. */
function independentBody(message: BrokerMessage): unknown {
  const enc = message.properties?.body_encoding;
  const body = message.body;
  const text =
    typeof body === 'string'
      ? enc === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body
      : body instanceof Uint8Array
        ? enc === 'base64'
          ? Buffer.from(Buffer.from(body).toString('latin1'), 'base64').toString('utf8')
          : Buffer.from(body).toString('utf8')
        : undefined;
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const EMBED_KEYS = ['callbacks', 'chain', 'chord', 'errbacks'];

function isOptNumber(v: unknown): boolean {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}

/** decodeTaskMessage on `message`: never throws, non-empty reason or the DecodedTask invariants. */
function checkTask(message: unknown, limits: DecodeLimits | undefined, input: unknown = message): DecodeResult {
  let r: DecodeResult;
  try {
    r = decodeTaskMessage(message as BrokerMessage, limits);
  } catch (err) {
    assert.fail(`decodeTaskMessage threw (${(err as Error)?.message ?? String(err)}) on input ${show(input)}`);
  }
  // The failure message is built only on failure: showing a huge input on every case would dominate the runtime.
  const check = (cond: boolean, what: string) => {
    if (!cond) assert.fail(`decodeTaskMessage: ${what}\ninput ${show(input)}\nresult ${show(r)}`);
  };
  if (!r.ok) {
    check(typeof r.reason === 'string' && r.reason.length > 0, 'a rejection needs a non-empty reason');
    check(r.id === null || typeof r.id === 'string', 'id must be a string or null');
    return r;
  }
  const t = r.task;
  const m = message as BrokerMessage;
  check(typeof t.id === 'string' && t.id !== '', 'id must be a non-empty string');
  check(typeof t.task === 'string' && t.task !== '', 'task must be a non-empty string');
  check(Array.isArray(t.args), 'args must be an array');
  check(isPlainObject(t.kwargs), 'kwargs must be a plain object');
  check(Number.isInteger(t.retries) && t.retries >= 0, 'retries must be a non-negative integer');
  for (const [iso, ms, name] of [
    [t.eta, t.etaMs, 'eta'],
    [t.expires, t.expiresMs, 'expires'],
  ] as const) {
    if (iso === null) check(ms === null, `${name} is null but ${name}Ms is set`);
    else check(typeof iso === 'string' && typeof ms === 'number' && Number.isFinite(ms) && parseIso(iso) === ms, `${name} must parse to ${name}Ms`);
  }
  check(isPlainObject(t.embed) && isDeepStrictEqual(Object.keys(t.embed).sort(), EMBED_KEYS), 'embed must have exactly the four keys');
  for (const k of ['callbacks', 'errbacks', 'chain'] as const) {
    const v = t.embed[k];
    check(v === null || (Array.isArray(v) && v.every((s) => isPlainObject(s) && typeof s.task === 'string')), `embed.${k} must be null or signatures`);
  }
  check(t.embed.chord === null || (isPlainObject(t.embed.chord) && typeof t.embed.chord.task === 'string'), 'embed.chord must be null or a signature');
  check(Array.isArray(t.timeLimit) && t.timeLimit.length === 2 && t.timeLimit.every(isOptNumber), 'timeLimit must be [number|null, number|null]');
  check(isOptNumber(t.groupIndex) && isOptNumber(t.priority), 'groupIndex/priority must be numbers or null');
  check(typeof t.rootId === 'string' && typeof t.ignoreResult === 'boolean', 'rootId/ignoreResult types');
  // Agreement with the input, read independently.
  check(t.headers === m.headers && t.id === m.headers.id && t.task === m.headers.task, 'id/task/headers must be the headers as given');
  const max = limits?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (typeof m.body === 'string' || m.body instanceof Uint8Array) {
    check(bodyByteLength(m.body) <= max, `accepted a body over the ${max}-byte limit`);
    const b = independentBody(m);
    check(Array.isArray(b), 'accepted a body that does not read as a JSON list');
    check(isDeepStrictEqual(t.args, (b as unknown[])[0]) && isDeepStrictEqual(t.kwargs, (b as unknown[])[1]), 'args/kwargs differ from the body');
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Generators.

const PROTOCOL_KEYS = [
  'task', 'id', 'body', 'headers', 'properties', 'content-type', 'content-encoding', 'body_encoding',
  'delivery_info', 'delivery_tag', 'exchange', 'routing_key', 'eta', 'expires', 'retries', 'timelimit',
  'group_index', 'root_id', 'parent_id', 'callbacks', 'errbacks', 'chain', 'chord', 'correlation_id',
  'reply_to', 'priority', 'redelivered',
];
const NASTY_KEYS = ['toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty', 'length', 'then'];

/** Object keys: random, protocol names, and names that shadow Object.prototype. */
const keyArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOCOL_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_KEYS) },
);

const INTERESTING_STRINGS = [
  '', 'base64', 'utf-8', 'application/json', 'application/x-python-serialize', 'celery', 'x',
  '2026-11-24T12:55:11.306360+00:00', '2026-11-24T12:48:40.234861', '2026-02-30T00:00:00', '2026-11-24T24:00:00',
  '2026-11-24T12:55:11+25:00', 'not a date', '[[], {}, {}]', 'W1tdLCB7fV0=', '====', '\u0000', '\ud800', '🥬',
];
const jsonLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(...INTERESTING_STRINGS),
);
/** JSON-serializable junk, with protocol and prototype-shadowing keys. */
const junkJson: fc.Arbitrary<unknown> = fc.anything({ key: keyArb, values: [jsonLeaf], maxDepth: 3, maxKeys: 5 });
/** Anything at all a JS caller could pass: typed arrays, boxed values, Maps, null prototypes, bigints, sparse arrays. */
const anyJunk: fc.Arbitrary<unknown> = fc.anything({
  key: keyArb,
  maxDepth: 3,
  maxKeys: 5,
  withBoxedValues: true,
  withNullPrototype: true,
  withTypedArray: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withSparseArray: true,
  withBigInt: true,
  withObjectString: true,
});

const isoArb = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .chain((d) =>
    fc.constantFrom(
      d.toISOString(),
      d.toISOString().replace('Z', '+00:00'),
      d.toISOString().replace('Z', '000-05:30'),
      d.toISOString().slice(0, 19),
      d.toISOString().slice(0, 16).replace('T', ' '),
    ),
  );
const signatureArb = fc.record({ task: fc.string({ maxLength: 10 }), args: fc.array(jsonLeaf, { maxLength: 2 }) });
const optNumArb = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3600 }), fc.double({ noNaN: true }));

/** Header values that are sometimes right and sometimes wrong, per header. */
const headerValue: Record<string, fc.Arbitrary<unknown>> = {
  task: fc.oneof({ weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) }, { weight: 2, arbitrary: fc.constant('interop_app.add') }, { weight: 1, arbitrary: jsonLeaf }),
  id: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: jsonLeaf }),
  eta: fc.oneof(isoArb, fc.constant(null), jsonLeaf),
  expires: fc.oneof(isoArb, fc.constant(null), jsonLeaf),
  retries: fc.oneof(fc.nat(20), fc.integer({ min: -5, max: -1 }), fc.double(), fc.constant('1'), jsonLeaf),
  timelimit: fc.oneof(fc.tuple(optNumArb, optNumArb), fc.array(optNumArb, { maxLength: 3 }), jsonLeaf),
  group_index: fc.oneof(fc.constant(null), fc.nat(10), jsonLeaf),
  root_id: fc.oneof(fc.uuid(), jsonLeaf),
  parent_id: fc.oneof(fc.uuid(), jsonLeaf),
  shadow: jsonLeaf,
  lang: fc.oneof(fc.constant('py'), jsonLeaf),
  ignore_result: fc.oneof(fc.boolean(), jsonLeaf),
  argsrepr: jsonLeaf,
  origin: junkJson,
};
const headerKeyArb = fc.constantFrom(...Object.keys(headerValue));
const headerEntryArb = headerKeyArb.chain((k) => headerValue[k].map((v) => [k, v] as const));
/** Task-like headers: task and id usually present and valid, others sampled. */
const taskHeadersArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ task: headerValue.task, id: headerValue.id }) },
      { weight: 1, arbitrary: fc.record({ task: headerValue.task, id: headerValue.id }, { requiredKeys: [] }) },
    ),
    fc.array(headerEntryArb, { maxLength: 4 }),
  )
  .map(([base, rest]) => ({ ...base, ...Object.fromEntries(rest) }));

const embedArb = fc.oneof(
  fc.constant({ callbacks: null, errbacks: null, chain: null, chord: null }),
  fc.record(
    {
      callbacks: fc.oneof(fc.constant(null), fc.array(signatureArb, { maxLength: 2 }), junkJson),
      errbacks: fc.oneof(fc.constant(null), fc.array(signatureArb, { maxLength: 2 })),
      chain: fc.oneof(fc.constant(null), fc.array(signatureArb, { maxLength: 2 })),
      chord: fc.oneof(fc.constant(null), signatureArb, junkJson),
    },
    { requiredKeys: [] },
  ),
  junkJson,
);
/** A task body value: usually a 2/3-list, with right or wrong parts. */
const bodyValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(jsonLeaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), jsonLeaf, { maxKeys: 3 }), embedArb) },
  { weight: 1, arbitrary: fc.tuple(fc.array(jsonLeaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), jsonLeaf, { maxKeys: 3 })) },
  { weight: 2, arbitrary: fc.tuple(junkJson, junkJson, junkJson) },
  { weight: 2, arbitrary: junkJson },
);
const bodyTextArb = fc.oneof({ weight: 4, arbitrary: bodyValueArb.map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: fc.string() });
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
/** Cheap huge strings: a short unit repeated to 64 KiB..512 KiB. */
const hugeStringArb = fc
  .tuple(fc.constantFrom('A', 'x', 'é', '🥬', '[', 'W1s'), fc.integer({ min: 64 * 1024, max: 512 * 1024 }))
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)));

// ---------------------------------------------------------------------------------------
// The real captures.

const files = fixtureNames();
const ENVELOPES: string[] = files.flatMap((f) => redisEnvelopes(f).map((e) => e.raw));
const TASKS: CapturedTask[] = files.flatMap((f) => taskMessages(f));
const TASK_ENVELOPES: string[] = ENVELOPES.filter((raw) => isPlainObject(JSON.parse(raw).headers) && 'task' in JSON.parse(raw).headers);

// Character-level mutations.
type CharOp = { kind: 'flip' | 'delete' | 'insert' | 'replace'; pos: number; bit: number; ch: string };
const charOpArb: fc.Arbitrary<CharOp> = fc.record({
  kind: fc.constantFrom('flip', 'delete', 'insert', 'replace'),
  pos: fc.nat(),
  bit: fc.nat(15),
  ch: fc.oneof(
    fc.constantFrom('"', '{', '}', '[', ']', ':', ',', '\\', '=', 'A', '/', '+', '0', ' ', '\u0000', 'é', '\ud800', 'null'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }),
  ),
});

function applyCharOps(s: string, ops: CharOp[]): string {
  for (const op of ops) {
    const i = s.length === 0 ? 0 : op.pos % (s.length + (op.kind === 'insert' ? 1 : 0));
    switch (op.kind) {
      case 'flip':
        if (s.length) s = s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << op.bit)) + s.slice(i + 1);
        break;
      case 'delete':
        s = s.slice(0, i) + s.slice(i + 1);
        break;
      case 'insert':
        s = s.slice(0, i) + op.ch + s.slice(i);
        break;
      case 'replace':
        s = s.slice(0, i) + op.ch + s.slice(i + 1);
        break;
    }
  }
  return s;
}

// Structural mutations, on an envelope-like object { body, content-type, content-encoding, headers, properties }.
type Env = Record<string, any>;

type Path = (string | number)[];
function leafPaths(v: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v) && v.length) v.forEach((x, i) => leafPaths(x, [...path, i], out));
  else if (isPlainObject(v) && Object.keys(v).length) for (const k of Object.keys(v)) leafPaths(v[k], [...path, k], out);
  else if (path.length) out.push(path);
  return out;
}
function keyPaths(v: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (isPlainObject(v)) for (const k of Object.keys(v)) (out.push([...path, k]), keyPaths(v[k], [...path, k], out));
  else if (Array.isArray(v)) v.forEach((x, i) => keyPaths(x, [...path, i], out));
  return out;
}
function setAt(root: any, path: Path, value: unknown): void {
  let node = root;
  for (const k of path.slice(0, -1)) node = node[k];
  node[path[path.length - 1]] = value;
}
function deleteAt(root: any, path: Path): void {
  let node = root;
  for (const k of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = node[k];
  }
  if (typeof node === 'object' && node !== null) delete node[path[path.length - 1]];
}

const usesBase64 = (e: Env) => isPlainObject(e.properties) && e.properties.body_encoding === 'base64';
function bodyTextOf(e: Env): string | undefined {
  if (typeof e.body !== 'string') return undefined;
  return usesBase64(e) ? Buffer.from(e.body, 'base64').toString('utf8') : e.body;
}
function setBodyText(e: Env, text: string): void {
  e.body = usesBase64(e) ? b64(text) : text;
}
function bodyJsonOf(e: Env): unknown {
  const text = bodyTextOf(e);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Mutation =
  | { op: 'replaceLeaf'; pick: number; value: unknown }
  | { op: 'deleteKey'; path: Path }
  | { op: 'deleteRandomKey'; pick: number }
  | { op: 'setHeader'; key: string; value: unknown }
  | { op: 'corruptBase64'; how: 'badChar' | 'stripPadding' | 'addPadding' | 'dropChar' | 'appendChar'; pos: number; ch: string }
  | { op: 'bodyText'; text: string }
  | { op: 'bodyValue'; value: unknown }
  | { op: 'bodyPart'; how: 'argsNotList' | 'kwargsList' | 'embedJunk' | 'callbacksJunk' | 'chordJunk' | 'extra' | 'dropEmbed' | 'leaf'; value: unknown; pick: number }
  | { op: 'contentType'; value: unknown }
  | { op: 'contentEncoding'; value: unknown }
  | { op: 'bodyEncoding'; value: unknown }
  | { op: 'huge'; size: number }
  | { op: 'truncateBody'; keep: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('replaceLeaf' as const), pick: fc.nat(), value: junkJson }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('deleteKey' as const),
      path: fc.constantFrom<Path>(
        ['headers', 'task'], ['headers', 'id'], ['properties'], ['body'], ['headers'], ['content-type'],
        ['content-encoding'], ['properties', 'body_encoding'], ['properties', 'delivery_info'],
        ['properties', 'delivery_tag'], ['properties', 'delivery_info', 'exchange'], ['headers', 'eta'],
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteRandomKey' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: headerEntryArb.map(([key, value]) => ({ op: 'setHeader' as const, key, value })) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('corruptBase64' as const),
      how: fc.constantFrom('badChar', 'stripPadding', 'addPadding', 'dropChar', 'appendChar'),
      pos: fc.nat(),
      ch: fc.constantFrom('!', '-', '_', '.', ' ', '\n', '=', '*', 'é', '\u0000'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bodyText' as const), text: fc.oneof(fc.string(), fc.constantFrom('', '[', '[[],{}', 'null', '[[], {}, {}, {}]', '"x"')) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bodyValue' as const), value: fc.oneof(junkJson, bodyValueArb) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('bodyPart' as const),
      how: fc.constantFrom('argsNotList', 'kwargsList', 'embedJunk', 'callbacksJunk', 'chordJunk', 'extra', 'dropEmbed', 'leaf'),
      value: junkJson,
      pick: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('contentType' as const),
      value: fc.constantFrom('application/json', 'Application/JSON', 'application/x-python-serialize', 'application/x-yaml', 'text/plain', '', null, 42, ['application/json']),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('contentEncoding' as const),
      value: fc.constantFrom('utf-8', 'UTF8', 'binary', 'latin-1', 'gzip', '', null, 7, { x: 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('bodyEncoding' as const),
      value: fc.constantFrom('base64', 'BASE64', 'utf-8', '', 'gzip', 'base32', null, 3, {}, { toString: 1 }, ['base64']),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('huge' as const), size: fc.integer({ min: FUZZ_LIMIT.maxBodyBytes + 1, max: 4 * FUZZ_LIMIT.maxBodyBytes }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncateBody' as const), keep: fc.nat() }) },
);

function mutate(e: Env, m: Mutation): void {
  switch (m.op) {
    case 'replaceLeaf': {
      const leaves = leafPaths(e);
      if (leaves.length) setAt(e, leaves[m.pick % leaves.length], m.value);
      return;
    }
    case 'deleteKey':
      return deleteAt(e, m.path);
    case 'deleteRandomKey': {
      const keys = keyPaths(e);
      if (keys.length) deleteAt(e, keys[m.pick % keys.length]);
      return;
    }
    case 'setHeader':
      if (isPlainObject(e.headers)) e.headers[m.key] = m.value;
      return;
    case 'corruptBase64': {
      if (typeof e.body !== 'string') return;
      const s = e.body;
      const i = s.length ? m.pos % s.length : 0;
      e.body =
        m.how === 'badChar' ? s.slice(0, i) + m.ch + s.slice(i + 1)
        : m.how === 'stripPadding' ? s.replace(/=+$/, '')
        : m.how === 'addPadding' ? s + '='
        : m.how === 'dropChar' ? s.slice(0, i) + s.slice(i + 1)
        : s + 'A';
      return;
    }
    case 'bodyText':
      return setBodyText(e, m.text);
    case 'bodyValue':
      return setBodyText(e, JSON.stringify(m.value) ?? 'null');
    case 'bodyPart': {
      const b = bodyJsonOf(e);
      if (!Array.isArray(b)) return;
      switch (m.how) {
        case 'argsNotList':
          b[0] = Array.isArray(m.value) ? { args: m.value } : m.value;
          break;
        case 'kwargsList':
          b[1] = Array.isArray(m.value) ? m.value : [m.value];
          break;
        case 'embedJunk':
          b[2] = m.value;
          break;
        case 'callbacksJunk':
          if (isPlainObject(b[2])) b[2].callbacks = m.value;
          break;
        case 'chordJunk':
          if (isPlainObject(b[2])) b[2].chord = m.value;
          break;
        case 'extra':
          b.push(m.value);
          break;
        case 'dropEmbed':
          b.length = Math.min(b.length, 2);
          break;
        case 'leaf': {
          const leaves = leafPaths(b);
          if (leaves.length) setAt(b, leaves[m.pick % leaves.length], m.value);
          break;
        }
      }
      return setBodyText(e, JSON.stringify(b));
    }
    case 'contentType':
      e['content-type'] = m.value;
      return;
    case 'contentEncoding':
      e['content-encoding'] = m.value;
      return;
    case 'bodyEncoding':
      if (isPlainObject(e.properties)) e.properties.body_encoding = m.value;
      return;
    case 'huge': {
      // A well-formed body whose only fault is its size.
      const b = bodyJsonOf(e);
      const list = Array.isArray(b) ? b : [[], {}, null];
      list[0] = ['x'.repeat(m.size)];
      return setBodyText(e, JSON.stringify(list));
    }
    case 'truncateBody':
      if (typeof e.body === 'string') e.body = e.body.slice(0, m.keep % (e.body.length + 1));
      return;
  }
}

/** A captured task as an envelope-like object, a deep copy. */
const TASK_ENVELOPE_BY_ID = new Map<string, string>();
for (const raw of TASK_ENVELOPES) {
  const id = JSON.parse(raw).headers.id;
  if (!TASK_ENVELOPE_BY_ID.has(id)) TASK_ENVELOPE_BY_ID.set(id, raw);
}

function envOf(t: CapturedTask): { env: Env; transport: 'redis' | 'amqp' } {
  if (t.transport === 'redis') {
    // The raw envelope as it sat in Redis, with delivery_info/tag/body_encoding.
    const raw = TASK_ENVELOPE_BY_ID.get(t.headers.id);
    if (raw) return { env: JSON.parse(raw), transport: 'redis' };
  }
  const m = structuredClone(t.message) as BrokerMessage;
  return {
    env: { body: m.body, 'content-type': m.contentType, 'content-encoding': m.contentEncoding, headers: m.headers, properties: m.properties },
    transport: t.transport,
  };
}

// ---------------------------------------------------------------------------------------
// Outcome counting.

type Outcome = 'envelope-rejected' | 'task-rejected' | 'decoded';
function counter() {
  return { runs: 0, 'envelope-rejected': 0, 'task-rejected': 0, decoded: 0, catchAll: 0 };
}
type Counter = ReturnType<typeof counter>;
function count(c: Counter, outcome: Outcome, r?: DecodeResult | EnvelopeResult): void {
  c[outcome]++;
  if (r && !r.ok && r.reason.startsWith(CATCH_ALL)) {
    c.catchAll++;
    if (process.env.FUZZ_STATS) CATCH_ALL_REASONS.add(r.reason.replace(/ Received .*$/, ''));
  }
}
function report(name: string, c: Counter): void {
  if (process.env.FUZZ_STATS) console.log(`      [${name}] ${JSON.stringify(c)}`);
}
function assertNotDegenerate(c: Counter): void {
  const rejected = c['envelope-rejected'] + c['task-rejected'];
  const total = rejected + c.decoded;
  assert.ok(rejected / total > 0.05, `only ${rejected}/${total} cases rejected: the mutations are too mild (${JSON.stringify(c)})`);
  assert.ok(c.decoded / total > 0.05, `only ${c.decoded}/${total} cases still decode: the mutations are too destructive (${JSON.stringify(c)})`);
}

/** Envelope string -> envelope decoder -> task decoder, counting what happened. */
function pipeline(raw: string, limits: DecodeLimits | undefined, c: Counter): void {
  c.runs++;
  const env = checkEnvelope(raw);
  if (!env.ok) return count(c, 'envelope-rejected', env);
  const r = checkTask(env.message, limits, raw);
  count(c, r.ok ? 'decoded' : 'task-rejected', r);
}

// ---------------------------------------------------------------------------------------

describe(`protocol decoders under fuzzing (fast-check, fixed seeds, ${TOTAL_RUNS.toLocaleString('en-US')} generated cases)`, function () {
  this.timeout(30_000);
  after(() => {
    if (process.env.FUZZ_STATS) console.log(`      [reasons from the catch-all]\n${[...CATCH_ALL_REASONS].join('\n')}`);
  });

  before(() => {
    assert.equal(ENVELOPES.length, 741);
    assert.equal(TASK_ENVELOPES.length, 105);
    assert.equal(TASKS.length, 238);
    // The unmutated captures all pass the contract and decode.
    const c = counter();
    for (const raw of ENVELOPES) checkEnvelope(raw);
    for (const raw of TASK_ENVELOPES) pipeline(raw, FUZZ_LIMIT, c);
    for (const t of TASKS) assert.ok(checkTask(t.message, FUZZ_LIMIT).ok, `${t.file} ${t.path}`);
    assert.equal(c.decoded, TASK_ENVELOPES.length);
  });

  it(`1a. decodeKombuEnvelope on ${RUNS.randomStrings} random strings (and JSON-token soup) never throws`, () => {
    const c = counter();
    const tokenSoup = fc
      .array(fc.constantFrom('{', '}', '[', ']', ':', ',', '"', '"body"', '"headers"', '"properties"', '"x"', 'null', '1', '{}', '[]', ' ', '"task"', '"id"'), { maxLength: 30 })
      .map((parts) => parts.join(''));
    const arb = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 50 }),
      tokenSoup,
      fc.json({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(arb, (raw) => pipeline(raw, undefined, c)),
      { seed: 0x5eed_0001, numRuns: RUNS.randomStrings },
    );
    report('1a', c);
    assert.equal(c.runs, RUNS.randomStrings);
  });

  it(`1b. ${RUNS.randomJson} random JSON values and envelope-shaped objects, through both decoders`, () => {
    const c = counter();
    const bodyArb = fc.oneof(
      { weight: 3, arbitrary: bodyTextArb.map(b64) },
      { weight: 1, arbitrary: bodyTextArb },
      { weight: 1, arbitrary: fc.base64String({ maxLength: 40 }) },
      { weight: 1, arbitrary: junkJson },
    );
    const propsArb = fc.record(
      {
        body_encoding: fc.oneof(fc.constant('base64'), jsonLeaf, junkJson),
        delivery_info: fc.oneof(fc.record({ exchange: junkJson, routing_key: junkJson, redelivered: jsonLeaf }, { requiredKeys: [] }), junkJson),
        delivery_tag: fc.oneof(fc.uuid(), junkJson),
        correlation_id: fc.oneof(fc.uuid(), jsonLeaf),
        reply_to: jsonLeaf,
        priority: fc.oneof(fc.nat(9), jsonLeaf),
      },
      { requiredKeys: [] },
    );
    const envelopeShaped = fc.record(
      {
        body: bodyArb,
        'content-type': fc.oneof(fc.constant('application/json'), jsonLeaf),
        'content-encoding': fc.oneof(fc.constant('utf-8'), jsonLeaf),
        headers: fc.oneof({ weight: 3, arbitrary: taskHeadersArb }, { weight: 1, arbitrary: junkJson }),
        properties: fc.oneof({ weight: 3, arbitrary: propsArb }, { weight: 1, arbitrary: junkJson }),
      },
      { requiredKeys: [] },
    );
    // Coherent envelopes (base64 body of a generated task body, body_encoding set) with random headers and properties.
    const coherent = fc
      .tuple(bodyTextArb, taskHeadersArb, propsArb, fc.constantFrom('application/json', 'application/JSON', 'text/plain'), fc.constantFrom('utf-8', 'utf8', 'binary', 'ascii'))
      .map(([text, headers, props, ct, ce]) => ({
        body: b64(text),
        'content-encoding': ce,
        'content-type': ct,
        headers,
        properties: { ...props, body_encoding: 'base64' },
      }));
    const arb = fc
      .oneof({ weight: 1, arbitrary: junkJson }, { weight: 3, arbitrary: envelopeShaped }, { weight: 3, arbitrary: coherent })
      .map((v) => JSON.stringify(v) ?? 'undefined');
    const limitsArb = fc.option(fc.record({ maxBodyBytes: fc.nat(4096) }), { nil: undefined });
    fc.assert(
      fc.property(arb, limitsArb, (raw, limits) => pipeline(raw, limits, c)),
      { seed: 0x5eed_0002, numRuns: RUNS.randomJson },
    );
    report('1b', c);
    assert.equal(c.runs, RUNS.randomJson);
    assert.ok(c.decoded > 0, 'some envelope-shaped objects decode to tasks');
  });

  it(`1c. decodeTaskMessage on ${RUNS.messageShaped} arbitrary BrokerMessage-shaped objects (any types, Uint8Array and huge bodies)`, () => {
    const c = counter();
    const encodedBody = fc.tuple(bodyTextArb, fc.constantFrom('base64', 'utf-8', '', undefined, null, 'gzip')).map(([text, enc]) => ({
      body: enc === 'base64' ? b64(text) : text,
      enc,
    }));
    const bodyArb: fc.Arbitrary<{ body: unknown; enc?: unknown }> = fc.oneof(
      { weight: 4, arbitrary: encodedBody },
      { weight: 2, arbitrary: encodedBody.map(({ body, enc }) => ({ body: Buffer.from(body as string, 'utf8'), enc })) },
      { weight: 1, arbitrary: encodedBody.map(({ body, enc }) => ({ body: new Uint8Array(Buffer.from(body as string, 'utf8')), enc })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((body) => ({ body })) },
      { weight: 1, arbitrary: hugeStringArb.map((body) => ({ body })) },
      { weight: 1, arbitrary: hugeStringArb.map((s) => ({ body: JSON.stringify([[s], {}]) })) },
      { weight: 2, arbitrary: anyJunk.map((body) => ({ body })) },
    );
    const propsArb = fc.oneof(
      { weight: 5, arbitrary: fc.record({ correlation_id: fc.oneof(fc.uuid(), anyJunk), reply_to: anyJunk, priority: fc.oneof(fc.nat(9), anyJunk), delivery_tag: anyJunk }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: anyJunk },
    );
    const messageArb = fc
      .record(
        {
          b: bodyArb,
          contentType: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom('application/json', 'APPLICATION/JSON', 'application/json', 'application/x-python-serialize', '') },
            { weight: 1, arbitrary: anyJunk },
          ),
          contentEncoding: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom('utf-8', 'utf8', 'binary', 'utf-8', 'latin-1', '') },
            { weight: 1, arbitrary: anyJunk },
          ),
          headers: fc.oneof({ weight: 5, arbitrary: taskHeadersArb }, { weight: 1, arbitrary: anyJunk }),
          properties: propsArb,
          setEncoding: fc.boolean(),
        },
        { requiredKeys: ['b', 'setEncoding', 'contentType', 'contentEncoding', 'headers', 'properties'] },
      )
      .map(({ b, setEncoding, ...rest }) => {
        const m: Record<string, unknown> = { ...rest, body: b.body };
        if (setEncoding && 'enc' in b && isPlainObject(m.properties)) m.properties = { ...m.properties, body_encoding: b.enc };
        return m;
      });
    // Missing fields and whole-message junk (null, numbers, arrays, Maps, ...) too.
    const arb = fc.oneof(
      { weight: 12, arbitrary: messageArb },
      { weight: 1, arbitrary: messageArb.chain((m) => fc.subarray(Object.keys(m)).map((keep) => Object.fromEntries(keep.map((k) => [k, m[k]])))) },
      { weight: 1, arbitrary: anyJunk },
    );
    const limitsArb = fc.oneof(fc.constant(undefined), fc.constant(FUZZ_LIMIT), fc.record({ maxBodyBytes: fc.nat(2048) }));
    fc.assert(
      fc.property(arb, limitsArb, (message, limits) => {
        c.runs++;
        const r = checkTask(message, limits);
        count(c, r.ok ? 'decoded' : 'task-rejected', r);
      }),
      { seed: 0x5eed_0003, numRuns: RUNS.messageShaped },
    );
    report('1c', c);
    assert.equal(c.runs, RUNS.messageShaped);
    assert.ok(c.decoded > 0, 'some generated messages decode');
  });

  describe('mutations of the real captures', () => {
    it(`2a. ${RUNS.charMutatedEnvelopes} character-mutated envelopes (all ${ENVELOPES.length} captured envelopes): flip/delete/insert/replace`, () => {
      const c = counter();
      const arb = fc.tuple(fc.nat(ENVELOPES.length - 1), fc.array(charOpArb, { minLength: 1, maxLength: 3 }));
      fc.assert(
        fc.property(arb, ([i, ops]) => pipeline(applyCharOps(ENVELOPES[i], ops), FUZZ_LIMIT, c)),
        { seed: 0x5eed_0004, numRuns: RUNS.charMutatedEnvelopes },
      );
      report('2a', c);
      assert.equal(c.runs, RUNS.charMutatedEnvelopes);
      // Not degenerate at the envelope level: many break the JSON, many do not.
      assert.ok(c['envelope-rejected'] / c.runs > 0.05, JSON.stringify(c));
      assert.ok((c['task-rejected'] + c.decoded) / c.runs > 0.05, JSON.stringify(c));
    });

    it(`2b. ${RUNS.charMutatedTaskEnvelopes} character-mutated task envelopes (${TASK_ENVELOPES.length} captured), through both decoders`, () => {
      const c = counter();
      const arb = fc.tuple(fc.nat(TASK_ENVELOPES.length - 1), fc.array(charOpArb, { minLength: 1, maxLength: 2 }));
      fc.assert(
        fc.property(arb, ([i, ops]) => pipeline(applyCharOps(TASK_ENVELOPES[i], ops), FUZZ_LIMIT, c)),
        { seed: 0x5eed_0005, numRuns: RUNS.charMutatedTaskEnvelopes },
      );
      report('2b', c);
      assert.equal(c.runs, RUNS.charMutatedTaskEnvelopes);
      assertNotDegenerate(c);
    });

    it(`2c. ${RUNS.structurallyMutatedTasks} structurally mutated task messages (${TASKS.length} captured, Redis and AMQP): wrong types, missing keys, corrupt base64/JSON/list shape, encodings, huge bodies`, () => {
      const c = counter();
      const byOp: Record<string, { decoded: number; rejected: number }> = {};
      const arb = fc.tuple(
        fc.nat(TASKS.length - 1),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('envelope', 'message', 'bytes'),
      );
      fc.assert(
        fc.property(arb, ([i, mutations, delivery]) => {
          const { env, transport } = envOf(TASKS[i]);
          for (const m of mutations) mutate(env, m);
          let outcome: Outcome;
          if (transport === 'redis' || delivery === 'envelope') {
            // The Redis path: what sits in the list, read back by the envelope decoder.
            const before = { ...c };
            pipeline(JSON.stringify(env), FUZZ_LIMIT, c);
            outcome = c.decoded > before.decoded ? 'decoded' : c['task-rejected'] > before['task-rejected'] ? 'task-rejected' : 'envelope-rejected';
          } else {
            // The AMQP path: the transport hands over the fields as they are (bytes or text).
            const body = delivery === 'bytes' && typeof env.body === 'string' ? Buffer.from(env.body, 'utf8') : env.body;
            const message = { body, contentType: env['content-type'], contentEncoding: env['content-encoding'], headers: env.headers, properties: env.properties };
            c.runs++;
            const r = checkTask(message, FUZZ_LIMIT);
            outcome = r.ok ? 'decoded' : 'task-rejected';
            count(c, outcome, r);
            // Independent oracles for the most common faults.
            if ((!isPlainObject(env.headers) || typeof env.headers.task !== 'string' || env.headers.task === '') && r.ok) assert.fail(`accepted without a task header: ${show(message)}`);
            if ((typeof body === 'string' || body instanceof Uint8Array) && bodyByteLength(body) > FUZZ_LIMIT.maxBodyBytes) {
              if (r.ok || !/over the limit/.test(r.reason)) assert.fail(`body over the limit not rejected as such: ${show(message)}`);
            }
          }
          for (const m of mutations) {
            const s = (byOp[m.op] ??= { decoded: 0, rejected: 0 });
            if (outcome === 'decoded') s.decoded++;
            else s.rejected++;
          }
        }),
        { seed: 0x5eed_0006, numRuns: RUNS.structurallyMutatedTasks },
      );
      report('2c', c);
      if (process.env.FUZZ_STATS) console.log(`      [2c by op] ${JSON.stringify(byOp)}`);
      assert.equal(c.runs, RUNS.structurallyMutatedTasks);
      assertNotDegenerate(c);
      // Every mutation kind was exercised, and the faults a mutation always introduces are always caught.
      for (const op of ['replaceLeaf', 'deleteKey', 'deleteRandomKey', 'setHeader', 'corruptBase64', 'bodyText', 'bodyValue', 'bodyPart', 'contentType', 'contentEncoding', 'bodyEncoding', 'huge', 'truncateBody']) {
        assert.ok(byOp[op] && byOp[op].decoded + byOp[op].rejected > 20, `mutation '${op}' barely exercised: ${JSON.stringify(byOp)}`);
      }
    });
  });

  it('rejects a real captured task padded past the default 8 MiB limit, and honours the limit to the byte', () => {
    const raw = TASK_ENVELOPES[0];
    const env = JSON.parse(raw);
    const list = JSON.parse(Buffer.from(env.body, 'base64').toString('utf8'));
    list[0] = ['x'.repeat(DEFAULT_MAX_BODY_BYTES)];
    env.body = b64(JSON.stringify(list));
    const d = checkEnvelope(JSON.stringify(env));
    assert.ok(d.ok);
    const r = checkTask(d.message, undefined);
    assert.ok(!r.ok && /over the limit of 8388608 bytes/.test(r.reason), show(r));
    // Exactly at the limit is accepted, one byte under it is not.
    const small = checkEnvelope(raw);
    assert.ok(small.ok);
    const size = bodyByteLength(small.message.body);
    assert.ok(checkTask(small.message, { maxBodyBytes: size }).ok);
    assert.ok(!checkTask(small.message, { maxBodyBytes: size - 1 }).ok);
  });

  it('regressions found by the fuzzer: objects that cannot be turned into strings', () => {
    // delivery_info.exchange / routing_key / delivery_tag of {"toString": ...} made String() throw.
    for (const raw of [
      '{"body":"","properties":{"delivery_info":{"exchange":{"toString":1}}}}',
      '{"body":"","properties":{"delivery_info":{"routing_key":[{"toString":1}]}}}',
      '{"body":"","properties":{"delivery_tag":{"toString":1,"valueOf":2}}}',
      '{"body":"","properties":[1,2]}',
    ]) {
      const d = checkEnvelope(raw);
      assert.ok(d.ok, raw);
      checkTask(d.message, undefined, raw);
    }
  });
});
