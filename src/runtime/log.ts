/**
 * A small levelled logger with Celery's line format, so worker output reads
 * the same as a Python worker's:
 *   [2026-11-24 12:48:40,234: INFO/MainProcess] Task proj.add[…] succeeded in 0.001s: 5
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const LEVEL_LABEL: Record<Exclude<LogLevel, 'silent'>, string> = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
};

export interface Logger {
  readonly level: LogLevel;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  isEnabled(level: LogLevel): boolean;
}

export interface LogSink {
  write(line: string): void;
}

export function parseLogLevel(value: string): LogLevel {
  const v = value.toLowerCase();
  if (v === 'warning') return 'warn';
  if (v === 'critical' || v === 'fatal') return 'error';
  if (v in LEVEL_RANK) return v as LogLevel;
  throw new Error(`unknown log level '${value}' (use debug, info, warning, error or silent)`);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function timestamp(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`
  );
}

/** Level from CELERIAC_LOG_LEVEL (the CLI's -l sets it for the whole process tree), else info. */
function defaultLevel(): LogLevel {
  const env = process.env.CELERIAC_LOG_LEVEL;
  if (!env) return 'info';
  try {
    return parseLogLevel(env);
  } catch {
    return 'info';
  }
}

export function createLogger(options: { level?: LogLevel; processName?: string; sink?: LogSink } = {}): Logger {
  const level = options.level ?? defaultLevel();
  const rank = LEVEL_RANK[level];
  const processName = options.processName ?? 'MainProcess';
  const sink = options.sink ?? { write: (line: string) => process.stderr.write(line + '\n') };
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string) => {
    if (LEVEL_RANK[lvl] < rank) return;
    sink.write(`[${timestamp(new Date())}: ${LEVEL_LABEL[lvl]}/${processName}] ${message}`);
  };
  return {
    level,
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    isEnabled: (lvl) => LEVEL_RANK[lvl] >= rank,
  };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
