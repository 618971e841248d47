export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines, one object per line, so log shippers need no parsing rules. */
export function jsonLogger(write: (line: string) => void, minLevel: LogLevel = 'info', now: () => Date = () => new Date()): Logger {
  const log = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (order[level] < order[minLevel]) return;
    write(`${JSON.stringify({ ts: now().toISOString(), level, message, ...fields })}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
