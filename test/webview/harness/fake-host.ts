/**
 * Plays VS Code and the extension host for the timeline page in a plain
 * browser: a fake acquireVsCodeApi that records what the page posts and keeps
 * its state in sessionStorage (so a reload is "hidden and shown again"), and
 * a host that posts init and a synthetic session like the real one would.
 * Loaded before the page's bundle.
 */
import type { HostToWebviewMessage, TimelineEvent, WebviewToHostMessage } from '../../../src/shared/timeline-protocol';
import { syntheticSession, taskId, type SyntheticSession } from './synthetic';

// This file runs in the page but is type-checked with the Node tests (no DOM
// lib), so the few browser globals it touches are declared here.
declare const window: {
  addEventListener(type: 'message', listener: () => void): void;
  postMessage(message: unknown, targetOrigin: string): void;
};
declare class MessageChannel {
  port1: { onmessage: (() => void) | null };
  port2: { postMessage(m: unknown): void };
}
declare const sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };

const posted: WebviewToHostMessage[] = [];
let acquired = false;

Object.assign(window, {
  acquireVsCodeApi() {
    if (acquired) throw new Error('acquireVsCodeApi may be called once');
    acquired = true;
    return {
      postMessage: (m: WebviewToHostMessage) => posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => JSON.parse(sessionStorage.getItem('vscode-state') ?? 'null'),
      setState: (s: unknown) => sessionStorage.setItem('vscode-state', JSON.stringify(s)),
    };
  },
});

let session: SyntheticSession | undefined;
let liveSeq = 0;
let clockOffset = 0;
let sentCount = 0;
let deliveredCount = 0;
/** Messages a paced load has yet to post. */
let unsent = 0;
// Registered before the page's own listener, so a message counted here is handled by the page in the same task.
window.addEventListener('message', () => deliveredCount++);

function send(message: HostToWebviewMessage): void {
  sentCount++;
  window.postMessage(message, '*');
}

const host = {
  posted,
  /** Makes the synthetic session (kept apart from load so a bench can time only the page). */
  prepare(count: number): void {
    if (session?.ids.length !== count) session = syntheticSession(count);
  },
  /**
   * init + the synthetic history, in batches like the host sends them. All
   * at once by default; `paced` posts each after the one before was handed
   * to the page, as the extension host does (it awaits every postMessage),
   * so the page can paint between batches.
   */
  load(count: number, batch = count, paced = false): { count: number; failed: number; retried: number; revoked: number; now: number } {
    host.prepare(count);
    if (!session) throw new Error('no session');
    clockOffset = session.now - Date.now();
    const messages: HostToWebviewMessage[] = [{ type: 'init', maxTasks: 100_000, connection: 'redis://localhost:6379/0 (synthetic)', now: session.now }];
    for (let i = 0; i < session.events.length; i += batch * 4) messages.push({ type: 'events', events: session.events.slice(i, i + batch * 4) });
    messages.push({ type: 'registered', tasks: ['app.tasks.send_email', 'app.tasks.generate_report', 'app.tasks.sync_account', 'billing.charge_card'].map((name) => ({ name, hasSource: true })) });
    if (!paced) {
      for (const m of messages) send(m);
    } else {
      unsent += messages.length;
      // A task per message, without setTimeout's 4 ms clamp on nested timers.
      const tick = new MessageChannel();
      tick.port1.onmessage = () => {
        const m = messages.shift();
        if (!m) return;
        unsent--;
        send(m);
        tick.port2.postMessage(null);
      };
      tick.port2.postMessage(null);
    }
    return { count, failed: session.failed, retried: session.retried, revoked: session.revoked, now: session.now };
  },
  send,
  /** A new short task on worker-1 that just ended at the host's `now`: its id. */
  live(now: number): string {
    const id = `live-${++liveSeq}-${taskId(liveSeq)}`;
    const events: TimelineEvent[] = [
      { type: 'task-received', hostname: 'celery@worker-1', time: now - 40, id, name: 'app.tasks.send_email', args: `(${liveSeq},)`, kwargs: '{}', queue: 'celery' },
      { type: 'task-started', hostname: 'celery@worker-1', time: now - 30, id },
      { type: 'task-succeeded', hostname: 'celery@worker-1', time: now, id, result: 'None', runtime: 0.03 },
    ];
    send({ type: 'events', events });
    return id;
  },
  /** The host's clock (the synthetic session's, running on from its end). */
  now: () => Date.now() + clockOffset,
  /** Messages not yet handed to the page (posted, or still to be posted by a paced load). */
  inFlight: () => sentCount - deliveredCount + unsent,
  state: () => JSON.parse(sessionStorage.getItem('vscode-state') ?? 'null'),
  taskId,
};

Object.assign(window, { __host: host });
export type FakeHost = typeof host;
