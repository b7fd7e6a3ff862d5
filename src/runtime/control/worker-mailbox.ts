/**
 * A worker's side of remote control: listens on `celery.pidbox`, answers the
 * requests addressed to it (Celery's method names and reply shapes, so
 * `celery inspect` works against Celeriac workers), and replies on
 * `reply.celery.pidbox`.
 */
import type { Broker } from '../brokers/broker';
import type { Disposable } from '../disposable';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import type { Worker } from '../worker/worker';
import { CONTROL_HANDLERS, NO_REPLY } from './control-handlers';
import { addressedTo, CONTROL_EXCHANGE, decodeRequest, replyMessage, type ControlRequest } from './pidbox';

export async function startMailbox(worker: Worker, broker: Broker, log: Logger): Promise<Disposable> {
  const handle = async (request: ControlRequest): Promise<void> => {
    const handler = CONTROL_HANDLERS[request.method];
    let value: unknown;
    try {
      value = handler ? await handler(worker, request.arguments) : { error: `No such control command: ${request.method}` };
    } catch (err) {
      value = { error: errorMessage(err) };
    }
    if (value === NO_REPLY || !request.reply_to) return;
    const reply = replyMessage(worker.hostname, value, request.ticket, worker.clock.forward());
    await broker.publish(reply, { exchange: request.reply_to.exchange, routingKey: request.reply_to.routing_key });
  };
  return broker.subscribe(CONTROL_EXCHANGE, '', (message) => {
    const request = decodeRequest(message);
    if (!request) {
      log.warn('ignoring an unreadable remote-control request');
      return;
    }
    if (typeof message.headers.clock === 'number') worker.clock.adjust(message.headers.clock);
    if (!addressedTo(request, worker.hostname)) return;
    log.debug(`remote control: ${request.method} ${JSON.stringify(request.arguments)}`);
    handle(request).catch((err) => log.error(`remote control '${request.method}' failed: ${errorMessage(err)}`));
  });
}
