import { strict as assert } from 'node:assert';
import { bodyText, deserializeBody, serializeJson, type BrokerMessage } from '../../src/runtime/protocol';

const BODY = '[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]';

function msg(over: Partial<BrokerMessage> = {}, bodyEncoding?: string): BrokerMessage {
  return {
    body: BODY,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    headers: {},
    properties: bodyEncoding === undefined ? {} : { body_encoding: bodyEncoding },
    ...over,
  };
}

function reasonOf(r: { ok: boolean; reason?: string }): string {
  assert.equal(r.ok, false, 'expected a rejection');
  return r.reason!;
}

describe('deserializeBody', () => {
  it('parses a JSON text body', () => {
    assert.deepEqual(deserializeBody(msg()), { ok: true, value: JSON.parse(BODY) });
  });

  it('undoes base64 body encoding (kombu virtual transports)', () => {
    const b64 = Buffer.from(BODY).toString('base64');
    assert.deepEqual(deserializeBody(msg({ body: b64 }, 'base64')), { ok: true, value: JSON.parse(BODY) });
  });

  it('reads a byte body, plain or base64', () => {
    assert.deepEqual(deserializeBody(msg({ body: Buffer.from(BODY) })), { ok: true, value: JSON.parse(BODY) });
    const b64bytes = new Uint8Array(Buffer.from(Buffer.from(BODY).toString('base64'), 'latin1'));
    assert.deepEqual(deserializeBody(msg({ body: b64bytes }, 'base64')), { ok: true, value: JSON.parse(BODY) });
  });

  it('decodes UTF-8 text', () => {
    const r = deserializeBody(msg({ body: Buffer.from('["héllo 😀"]', 'utf8') }));
    assert.deepEqual(r, { ok: true, value: ['héllo 😀'] });
  });

  it('accepts the JSON content type in any case, and utf8/binary content encodings', () => {
    assert.equal(deserializeBody(msg({ contentType: 'Application/JSON' })).ok, true);
    assert.equal(deserializeBody(msg({ contentEncoding: 'UTF8' })).ok, true);
    assert.equal(deserializeBody(msg({ contentEncoding: 'binary' })).ok, true);
    assert.equal(deserializeBody(msg({ contentEncoding: '' })).ok, true);
  });

  it('rejects pickle, and says so', () => {
    const reason = reasonOf(deserializeBody(msg({ contentType: 'application/x-python-serialize' })));
    assert.match(reason, /pickle/);
    assert.match(reason, /only application\/json/);
  });

  it('rejects other content types, naming them', () => {
    assert.match(reasonOf(deserializeBody(msg({ contentType: 'application/x-msgpack' }))), /'application\/x-msgpack' is not accepted/);
    assert.match(reasonOf(deserializeBody(msg({ contentType: 'application/x-yaml' }))), /'application\/x-yaml'/);
    assert.match(reasonOf(deserializeBody(msg({ contentType: '' }))), /no content type/);
  });

  it('rejects a body that is not valid base64 when body_encoding is base64', () => {
    for (const bad of ['not base64!', 'abc', 'YWJj=YWJj', BODY]) {
      assert.match(reasonOf(deserializeBody(msg({ body: bad }, 'base64'))), /base64/, bad);
    }
  });

  it('rejects an unknown body_encoding', () => {
    assert.match(reasonOf(deserializeBody(msg({}, 'gzip'))), /unknown body_encoding 'gzip'/);
  });

  it('rejects a content encoding other than utf-8', () => {
    assert.match(reasonOf(deserializeBody(msg({ contentEncoding: 'latin-1' }))), /content encoding 'latin-1'/);
  });

  it('rejects invalid JSON, saying so', () => {
    assert.match(reasonOf(deserializeBody(msg({ body: '[[1, 2], {' }))), /not valid JSON/);
    assert.match(reasonOf(deserializeBody(msg({ body: '' }))), /not valid JSON/);
  });
});

describe('bodyText', () => {
  it('gives the text of a base64 body', () => {
    assert.deepEqual(bodyText(msg({ body: Buffer.from('{"a": 1}').toString('base64') }, 'base64')), { ok: true, text: '{"a": 1}' });
  });
});

describe('serializeJson', () => {
  it('writes JSON that deserializeBody reads back', () => {
    const value = [[1, 'two', null], { k: [true, 1.5] }, { callbacks: null, errbacks: null, chain: null, chord: null }];
    assert.deepEqual(deserializeBody(msg({ body: serializeJson(value) })), { ok: true, value });
  });
});
