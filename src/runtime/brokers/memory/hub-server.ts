/**
 * Serves a MemoryHub on a local socket so worker processes (and CLI commands)
 * share the embedded broker and result store. A process that disconnects —
 * crash, SIGKILL, clean exit — has its unacked deliveries requeued.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Disposable } from '../../disposable';
import type { CoreConsumer } from './memory-broker-core';
import { isLocalHub, markServedLocally, type MemoryHub } from './memory-hub';
import { fromWire, toWire, type ClientFrame, type ServerFrame } from './hub-protocol';
import { LineSocket } from './line-socket';

export interface HubServer {
  /** Socket path (or Windows pipe name) to give clients, e.g. in CELERIAC_MEMORY_SOCKET. */
  readonly path: string;
  /** Number of connected client processes. */
  readonly connections: number;
  close(): Promise<void>;
}

export function defaultHubSocketPath(): string {
  const id = `celeriac-${process.pid}-${randomUUID().slice(0, 8)}`;
  return process.platform === 'win32' ? `\\\\.\\pipe\\${id}` : path.join(os.tmpdir(), `${id}.sock`);
}

class Session {
  private readonly consumers = new Map<string, CoreConsumer>();
  private readonly subscriptions = new Map<string, Disposable>();
  private readonly broadcastSubs = new Map<number, Disposable>();
  private readonly line: LineSocket<ClientFrame, ServerFrame>;

  constructor(
    private readonly hub: MemoryHub,
    socket: net.Socket,
  ) {
    this.line = new LineSocket<ClientFrame, ServerFrame>(
      socket,
      (frame) => this.handle(frame),
      () => socket.destroy(), // a peer that sends garbage is not one of ours
    );
    socket.on('close', () => this.dispose());
    socket.on('error', () => undefined);
  }

  private reply(rid: number, value?: unknown): void {
    this.line.send({ op: 'reply', rid, value });
  }

  private handle(f: ClientFrame): void {
    const { core, store } = this.hub;
    try {
      switch (f.op) {
        case 'publish':
          core.publish(fromWire(f.msg), f.route);
          return this.reply(f.rid);
        case 'consume': {
          const inner = core.attach(
            f.queues,
            f.prefetch,
            (d) =>
              this.line.send({
                op: 'deliver',
                tag: f.tag,
                dtag: d.tag,
                queue: d.queue,
                redelivered: d.redelivered,
                exchange: d.entry.exchange,
                routingKey: d.entry.routingKey,
                msg: toWire(d.entry.message),
              }),
            f.tag,
          );
          this.consumers.set(f.tag, inner);
          return this.reply(f.rid);
        }
        case 'prefetch': {
          const c = this.consumers.get(f.tag);
          if (c) core.setPrefetch(c, f.prefetch);
          return;
        }
        case 'ack': {
          const c = this.consumers.get(f.tag);
          if (c) core.ack(c, f.dtag);
          return;
        }
        case 'reject': {
          const c = this.consumers.get(f.tag);
          if (c) core.reject(c, f.dtag, f.requeue);
          return;
        }
        case 'cancel': {
          const c = this.consumers.get(f.tag);
          if (c) core.detach(c);
          return this.reply(f.rid);
        }
        case 'close': {
          const c = this.consumers.get(f.tag);
          if (c) core.close(c);
          this.consumers.delete(f.tag);
          return this.reply(f.rid);
        }
        case 'purge':
          return this.reply(f.rid, core.purge(f.queue));
        case 'bind':
          core.bind(f.queue, f.exchange, f.routingKey);
          return this.reply(f.rid);
        case 'delq':
          core.deleteQueue(f.queue, f.exchange !== undefined ? { exchange: f.exchange, routingKey: f.routingKey ?? '' } : undefined);
          return this.reply(f.rid);
        case 'stats':
          return this.reply(f.rid, core.stats(f.queues));
        case 'queues':
          return this.reply(f.rid, core.queueNames());
        case 'get':
          return this.reply(f.rid, store.get(f.key));
        case 'mget':
          return this.reply(f.rid, f.keys.map((k) => store.get(k)));
        case 'store':
          return this.reply(f.rid, store.storeResult(f.key, f.value, f.ttl));
        case 'setnx':
          return this.reply(f.rid, store.setIfAbsent(f.key, f.value, f.ttlMs));
        case 'renew':
          return this.reply(f.rid, store.renewIfOwner(f.key, f.owner, f.ttlMs));
        case 'release':
          return this.reply(f.rid, store.deleteIfOwner(f.key, f.owner));
        case 'token':
          return this.reply(f.rid, store.takeToken(f.key, f.intervalMs, f.burst));
        case 'chord':
          return this.reply(f.rid, store.chordPart(f.base, f.index, f.part, f.ttl) ?? null);
        case 'set':
          store.set(f.key, f.value, f.ttl);
          if (f.publish) store.publish(f.publish, f.value);
          return this.reply(f.rid);
        case 'del':
          return this.reply(f.rid, store.delete(f.key));
        case 'incr':
          return this.reply(f.rid, store.incr(f.key, f.by, f.ttl));
        case 'pub':
          return this.reply(f.rid, store.publish(f.channel, f.message));
        case 'sub':
          if (!this.subscriptions.has(f.channel)) {
            const channel = f.channel;
            this.subscriptions.set(
              channel,
              store.subscribe(channel, (message) => this.line.send({ op: 'message', channel, message })),
            );
          }
          return this.reply(f.rid);
        case 'bcast':
          core.broadcast(f.exchange, f.routingKey, fromWire(f.msg));
          return this.reply(f.rid);
        case 'bsub': {
          const sid = f.sid;
          this.broadcastSubs.get(sid)?.dispose();
          this.broadcastSubs.set(
            sid,
            core.subscribeBroadcast(f.exchange, f.pattern, (message, routingKey) =>
              this.line.send({ op: 'broadcast', sid, routingKey, msg: toWire(message) }),
            ),
          );
          return this.reply(f.rid);
        }
        case 'bunsub':
          this.broadcastSubs.get(f.sid)?.dispose();
          this.broadcastSubs.delete(f.sid);
          return;
        case 'unsub':
          this.subscriptions.get(f.channel)?.dispose();
          this.subscriptions.delete(f.channel);
          return;
      }
    } catch (err) {
      if ('rid' in f) this.line.send({ op: 'error', rid: f.rid, message: (err as Error).message });
    }
  }

  private dispose(): void {
    for (const c of this.consumers.values()) this.hub.core.close(c);
    this.consumers.clear();
    for (const s of this.subscriptions.values()) s.dispose();
    this.subscriptions.clear();
    for (const s of this.broadcastSubs.values()) s.dispose();
    this.broadcastSubs.clear();
  }
}

export async function serveHub(hub: MemoryHub, socketPath = defaultHubSocketPath()): Promise<HubServer> {
  if (process.platform !== 'win32') {
    try {
      fs.unlinkSync(socketPath); // a stale socket left by a process that was killed
    } catch {
      /* not there */
    }
  }
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Session(hub, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') fs.chmodSync(socketPath, 0o600);
  // Clients in this very process then use the hub directly instead of the socket.
  const unmark = isLocalHub(hub) ? markServedLocally(socketPath) : undefined;
  let closed = false;
  return {
    path: socketPath,
    get connections() {
      return sockets.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      unmark?.();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
