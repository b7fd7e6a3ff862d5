/**
 * `celeriac.*` settings read into a typed, immutable snapshot per workspace
 * folder, each value checked on the way in.
 */
import * as vscode from 'vscode';

export interface FolderSettings {
  taskModules: readonly string[];
  watch: string;
  restartGraceMs: number;
  autoStartWorkers: boolean;
  pool: 'async' | 'process';
  concurrency: number;
  queues: readonly string[];
  logLevel: 'debug' | 'info' | 'warning' | 'error';
}

export interface GlobalSettings {
  refreshIntervalMs: number;
  maxTasks: number;
  timelineMaxTasks: number;
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim() !== '') : [];
}

function number(v: unknown, fallback: number, min: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : fallback;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(v as T) ? (v as T) : fallback;
}

export function readFolderSettings(folder?: vscode.WorkspaceFolder): FolderSettings {
  const c = vscode.workspace.getConfiguration('celeriac', folder);
  return Object.freeze({
    taskModules: Object.freeze(stringArray(c.get('taskModules'))),
    watch: typeof c.get('watch') === 'string' && c.get<string>('watch') ? c.get<string>('watch')! : '**/*.{ts,js,mjs,cjs}',
    restartGraceMs: number(c.get('restartGraceMs'), 5000, 0),
    autoStartWorkers: c.get('autoStartWorkers') !== false,
    pool: oneOf(c.get('pool'), ['async', 'process'] as const, 'async'),
    concurrency: Math.floor(number(c.get('concurrency'), 4, 1)),
    queues: Object.freeze(stringArray(c.get('queues'))),
    logLevel: oneOf(c.get('logLevel'), ['debug', 'info', 'warning', 'error'] as const, 'info'),
  });
}

export function readGlobalSettings(): GlobalSettings {
  const c = vscode.workspace.getConfiguration('celeriac');
  return Object.freeze({
    refreshIntervalMs: number(c.get('refreshIntervalMs'), 1500, 250),
    maxTasks: Math.floor(number(c.get('maxTasks'), 10_000, 100)),
    timelineMaxTasks: Math.floor(number(c.get('timeline.maxTasks'), 100_000, 1000)),
  });
}
