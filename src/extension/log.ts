/** The "Celeriac" log channel, and a runtime Logger that writes to it. */
import * as vscode from 'vscode';
import type { Logger, LogLevel } from '../runtime/log';

export function createLogChannel(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Celeriac', { log: true });
}

/** Runtime code (brokers, control, events) logs through this in the extension host. */
export function runtimeLogger(channel: vscode.LogOutputChannel): Logger {
  const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
  return {
    level: 'debug',
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
    isEnabled: (lvl) => rank[lvl] >= 10,
  };
}

/** A worker's own output line (Celery's format) into the channel at its level. */
export function forwardWorkerLine(channel: vscode.LogOutputChannel, worker: string, line: string): void {
  const m = /^\[[^\]]*: (DEBUG|INFO|WARNING|ERROR|CRITICAL)\/[^\]]*\] (.*)$/s.exec(line);
  const text = `[${worker}] ${m ? m[2] : line}`;
  switch (m?.[1]) {
    case 'DEBUG':
      return channel.debug(text);
    case 'WARNING':
      return channel.warn(text);
    case 'ERROR':
    case 'CRITICAL':
      return channel.error(text);
    default:
      return channel.info(text);
  }
}
