/** Between the runtime's BrokerMessage and AMQP's content + basic properties. */
import type * as amqp from 'amqplib';
import type { BrokerMessage, MessageProperties } from '../../protocol/message';

/** AMQP carries bytes: a base64-encoded body (from a Redis envelope) is decoded first. */
export function toBuffer(message: BrokerMessage): Buffer {
  if (typeof message.body === 'string') {
    return message.properties.body_encoding === 'base64' ? Buffer.from(message.body, 'base64') : Buffer.from(message.body, 'utf8');
  }
  return Buffer.from(message.body);
}

export function toPublishOptions(message: BrokerMessage): amqp.Options.Publish {
  const p = message.properties;
  const options: amqp.Options.Publish = {
    contentType: message.contentType,
    contentEncoding: message.contentEncoding,
    headers: message.headers,
    deliveryMode: p.delivery_mode ?? 2,
  };
  if (typeof p.priority === 'number') options.priority = p.priority;
  if (typeof p.correlation_id === 'string') options.correlationId = p.correlation_id;
  if (typeof p.reply_to === 'string' && p.reply_to) options.replyTo = p.reply_to;
  if (p.expiration !== undefined && p.expiration !== null) options.expiration = String(p.expiration);
  return options;
}

export function fromAmqpMessage(msg: amqp.Message): BrokerMessage {
  const p = msg.properties;
  const properties: MessageProperties = {};
  if (p.correlationId !== undefined) properties.correlation_id = p.correlationId;
  if (p.replyTo !== undefined) properties.reply_to = p.replyTo;
  if (p.deliveryMode !== undefined) properties.delivery_mode = p.deliveryMode;
  if (p.priority !== undefined) properties.priority = p.priority;
  if (p.expiration !== undefined) properties.expiration = String(p.expiration);
  return {
    body: msg.content,
    contentType: p.contentType ?? '',
    contentEncoding: p.contentEncoding ?? '',
    headers: (p.headers as Record<string, unknown>) ?? {},
    properties,
  };
}
