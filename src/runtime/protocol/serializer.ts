/**
 * The only serializer Celeriac accepts is JSON: no pickle, no code from messages.
 * Bodies may arrive base64-encoded (kombu's virtual transports set
 * `properties.body_encoding = "base64"`) and as text or bytes.
 */
import type { BrokerMessage } from './message';

export const JSON_CONTENT_TYPE = 'application/json';
export const UTF8 = 'utf-8';

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export type BodyResult = { ok: true; value: unknown } | { ok: false; reason: string };

function describeContentType(contentType: string): string {
  switch (contentType) {
    case 'application/x-python-serialize':
      return `content type '${contentType}' (pickle) is not accepted: only application/json is`;
    case '':
      return 'message has no content type: only application/json is accepted';
    default:
      return `content type '${contentType}' is not accepted: only application/json is`;
  }
}

/** The body as UTF-8 text, undoing base64 body encoding; or why it cannot be read. */
export function bodyText(message: BrokerMessage): { ok: true; text: string } | { ok: false; reason: string } {
  const encoding = message.properties.body_encoding;
  let raw = message.body;
  if (encoding === 'base64') {
    const b64 = typeof raw === 'string' ? raw : Buffer.from(raw).toString('latin1');
    if (b64.length % 4 !== 0 || !BASE64_RE.test(b64)) {
      return { ok: false, reason: 'body_encoding is base64 but the body is not valid base64' };
    }
    raw = Buffer.from(b64, 'base64');
  } else if (encoding !== undefined && encoding !== null && encoding !== 'utf-8' && encoding !== '') {
    return { ok: false, reason: `unknown body_encoding '${String(encoding)}'` };
  }
  const ce = (message.contentEncoding || UTF8).toLowerCase();
  if (ce !== 'utf-8' && ce !== 'utf8' && ce !== 'binary') {
    return { ok: false, reason: `content encoding '${message.contentEncoding}' is not supported: only utf-8 is` };
  }
  return { ok: true, text: typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8') };
}

/** Deserialize a message body: content type, body encoding and JSON checked. */
export function deserializeBody(message: BrokerMessage): BodyResult {
  const ct = (message.contentType || '').toLowerCase();
  if (ct !== JSON_CONTENT_TYPE) return { ok: false, reason: describeContentType(message.contentType || '') };
  const text = bodyText(message);
  if (!text.ok) return text;
  try {
    return { ok: true, value: JSON.parse(text.text) };
  } catch (err) {
    return { ok: false, reason: `body is not valid JSON (${(err as Error).message})` };
  }
}

export function serializeJson(value: unknown): string {
  return JSON.stringify(value);
}
