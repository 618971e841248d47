import { pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Field names whose values never reach a log line, at the top level or one or two objects down
 * (a connector config inside a request's fields). Secrets are sealed before they are logged
 * anyway; this is the net under that rule.
 */
const SECRET_FIELDS = ['password', 'sasl_password', 'new_password', 'current_password', 'authorization', 'cookie'];
const REDACTED_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/**
 * pino writing JSON lines, one object per line (`ts`, `level` as a word, `message`, then the
 * fields), so log shippers need no parsing rules. `write` receives each whole line.
 */
export function jsonLogger(write: (line: string) => void, minLevel: LogLevel = 'info', now: () => Date = () => new Date()): Logger {
  const logger = pino(
    {
      level: minLevel,
      base: undefined,
      messageKey: 'message',
      timestamp: () => `,"ts":"${now().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '********' },
    },
    { write },
  );
  const log =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      logger[level](fields, message);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
