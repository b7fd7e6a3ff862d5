/** A client's connection to a hub socket: requests with replies, plus pushed deliveries and pub/sub messages. */
import * as net from 'node:net';
import { ConnectionError } from '../../errors';
import type { ClientFrame, ServerFrame } from './hub-protocol';
import { LineSocket } from './line-socket';

type DeliverFrame = Extract<ServerFrame, { op: 'deliver' }>;

// Frames that carry a request id, minus the id (the connection assigns it).
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type RequestFrame = DistributiveOmit<Extract<ClientFrame, { rid: number }>, 'rid'>;
type NotifyFrame = Exclude<ClientFrame, { rid: number }>;

export class HubConnection {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextRid = 1;
  private lost: Error | undefined;
  private closedByUs = false;
  private readonly lostListeners = new Set<(err: Error) => void>();
  readonly deliveries = new Map<string, (frame: DeliverFrame) => void>();
  readonly channelListeners = new Map<string, Set<(message: string) => void>>();
  readonly broadcastListeners = new Map<number, (routingKey: string, msg: import('./hub-protocol').WireMessage) => void>();

  private constructor(
    private readonly line: LineSocket<ServerFrame, ClientFrame>,
    readonly socketPath: string,
  ) {}

  static connect(socketPath: string): Promise<HubConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      socket.setNoDelay?.(true);
      let conn: HubConnection | undefined;
      socket.once('connect', () => {
        conn = new HubConnection(
          new LineSocket<ServerFrame, ClientFrame>(
            socket,
            (f) => conn!.handle(f),
            () => socket.destroy(new Error('hub sent a malformed frame')),
          ),
          socketPath,
        );
        socket.on('close', () => conn!.onClose());
        resolve(conn);
      });
      socket.on('error', (err) => {
        if (!conn) {
          reject(
            new ConnectionError(
              `cannot reach the embedded broker at ${socketPath} (${err.message}); is the process that hosts it still running?`,
            ),
          );
        } else conn.lost ??= err;
      });
    });
  }

  get isLost(): boolean {
    return this.lost !== undefined;
  }

  onLost(listener: (err: Error) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  request<T = unknown>(frame: RequestFrame): Promise<T> {
    if (this.lost) return Promise.reject(this.lostError());
    const rid = this.nextRid++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      this.line.send({ ...frame, rid } as ClientFrame);
    });
  }

  notify(frame: NotifyFrame): void {
    if (!this.lost) this.line.send(frame);
  }

  close(): void {
    this.closedByUs = true;
    this.line.socket.end();
  }

  private lostError(): ConnectionError {
    return new ConnectionError(`lost the embedded broker at ${this.socketPath}: ${this.lost?.message ?? 'closed'}`);
  }

  private handle(f: ServerFrame): void {
    switch (f.op) {
      case 'reply': {
        const p = this.pending.get(f.rid);
        this.pending.delete(f.rid);
        p?.resolve(f.value);
        return;
      }
      case 'error': {
        const p = this.pending.get(f.rid);
        this.pending.delete(f.rid);
        p?.reject(new ConnectionError(`embedded broker at ${this.socketPath}: ${f.message}`));
        return;
      }
      case 'deliver':
        this.deliveries.get(f.tag)?.(f);
        return;
      case 'message':
        for (const l of this.channelListeners.get(f.channel) ?? []) l(f.message);
        return;
      case 'broadcast':
        this.broadcastListeners.get(f.sid)?.(f.routingKey, f.msg);
        return;
    }
  }

  private onClose(): void {
    this.lost ??= new Error('connection closed');
    const err = this.lostError();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (!this.closedByUs) for (const l of this.lostListeners) l(err);
  }
}
