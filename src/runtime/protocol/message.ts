/**
 * A broker-neutral message: what every transport carries for a task, an event,
 * a control request or an rpc result. Field names inside `headers` and
 * `properties` are the wire names (snake_case), because they go on the wire as is.
 */
export interface MessageProperties {
  correlation_id?: string;
  reply_to?: string;
  /** 2 = persistent (task messages), 1 = transient (events, replies). */
  delivery_mode?: number;
  priority?: number;
  /** Milliseconds, as a string (AMQP), set when the task has `expires`. */
  expiration?: string;
  /** `base64` when `body` is base64 text (kombu's virtual transports). */
  body_encoding?: string;
  [key: string]: unknown;
}

export interface BrokerMessage {
  /** The serialized body; base64 text when `properties.body_encoding` is `base64`. */
  body: string | Uint8Array;
  contentType: string;
  contentEncoding: string;
  headers: Record<string, unknown>;
  properties: MessageProperties;
}

/** Where a message is published: kombu's exchange + routing key. */
export interface Route {
  /** `''` is the default exchange: the routing key names the queue. */
  exchange: string;
  routingKey: string;
  /**
   * False: publish without declaring the destination first (kombu's
   * `declare=None`), for replies to a queue its consumer owns — declaring it
   * again with other arguments would be refused.
   */
  declare?: boolean;
}

export function bodyByteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
