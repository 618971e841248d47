import { resolve } from 'node:path';
import type { LogLevel } from './runtime/logger';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** esdb://... for EventStoreDB; undefined for the embedded SQLite store in the data dir. */
  readonly eventStoreUrl: string | undefined;
  /** mongodb://... for MongoDB; undefined for the embedded in-memory read store. */
  readonly mongoUrl: string | undefined;
  readonly mongoDatabase: string;
  readonly logLevel: LogLevel;
  readonly bodyLimit: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Parses the environment variables the platform understands (README's configuration table). */
export function readConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const port = Number(env['PORT'] ?? '8000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a TCP port, got ${env['PORT']}`);
  const logLevel = (env['POPSINK_LOG_LEVEL'] ?? 'info') as LogLevel;
  if (!levels.includes(logLevel)) throw new ConfigError(`POPSINK_LOG_LEVEL must be one of ${levels.join(', ')}`);
  const eventStoreUrl = env['POPSINK_EVENTSTORE_URL'] || undefined;
  if (eventStoreUrl !== undefined && !/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb):\/\//.test(eventStoreUrl)) {
    throw new ConfigError('POPSINK_EVENTSTORE_URL must be an esdb:// connection string');
  }
  const mongoUrl = env['POPSINK_MONGO_URL'] || undefined;
  if (mongoUrl !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongoUrl)) {
    throw new ConfigError('POPSINK_MONGO_URL must be a mongodb:// connection string');
  }
  return {
    port,
    host: env['HOST'] ?? '0.0.0.0',
    dataDir: resolve(env['POPSINK_DATA_DIR'] ?? './data'),
    eventStoreUrl,
    mongoUrl,
    mongoDatabase: env['POPSINK_MONGO_DATABASE'] ?? 'popsink',
    logLevel,
    bodyLimit: env['POPSINK_BODY_LIMIT'] ?? '1mb',
  };
}
