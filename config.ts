import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { LogLevel } from './infrastructure/logger';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Durability of the embedded event store: `full` survives power loss, `normal` a process kill. */
  readonly sqliteSynchronous: 'full' | 'normal';
  /** esdb://... for EventStoreDB; undefined for the embedded SQLite store in the data dir. */
  readonly eventStoreUrl: string | undefined;
  /** mongodb://... for MongoDB; undefined for the embedded in-memory read store. */
  readonly mongoUrl: string | undefined;
  readonly mongoDatabase: string;
  readonly logLevel: LogLevel;
  readonly bodyLimit: string;
  /** HS256 signing secret; undefined = generated once into the data dir (mode 0600). */
  readonly jwtSecret: string | undefined;
  readonly jwtLifetimeSeconds: number;
  /** AES-256-GCM key for connector secrets (32 bytes, base64 or hex); undefined = generated once into the data dir. */
  readonly secretKey: string | undefined;
  readonly resetTokenLifetimeSeconds: number;
  /** First superuser, created (or promoted) at start-up when both are set. */
  readonly adminEmail: string | undefined;
  readonly adminPassword: string | undefined;
  readonly loginMaxFailures: number;
  readonly loginLockSeconds: number;
  /** What this process runs: `all` (API and data-plane runtime), `api`, or `runtime`. */
  readonly role: 'all' | 'api' | 'runtime';
  /** Names this runtime among several (transactional ids, metrics); defaults to the host name. */
  readonly runtimeId: string;
  /** How long a worker retries a transient fault while its pipeline stays live. */
  readonly retryWindowSeconds: number;
  /** Bearer token `GET /metrics` requires; undefined = unauthenticated (firewall the port). */
  readonly metricsToken: string | undefined;
  /** Shared worker processes of a runtime, each hosting many subscriptions. */
  readonly workerProcesses: number;
  /** V8 heap cap of each worker process, in MB. */
  readonly workerHeapMb: number;
  /** Port of a `runtime`-role process's probes and metrics (/livez, /readyz, /metrics). */
  readonly runtimePort: number;
  /** The built web console served at `/`; undefined = the project's dist/console/. */
  readonly consoleDir: string | undefined;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const positiveInt = (env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got ${raw}`);
  return value;
};

const tcpPort = (env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(`${name} must be a TCP port, got ${raw}`);
  return value;
};

/** Parses the environment variables the platform understands (README's configuration table). */
export function readConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const port = tcpPort(env, 'PORT', 8000);
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
    sqliteSynchronous: sqliteSynchronous(env['POPSINK_SQLITE_SYNCHRONOUS']),
    eventStoreUrl,
    mongoUrl,
    mongoDatabase: env['POPSINK_MONGO_DATABASE'] ?? 'popsink',
    logLevel,
    bodyLimit: env['POPSINK_BODY_LIMIT'] ?? '1mb',
    jwtSecret: jwtSecret(env['POPSINK_JWT_SECRET']),
    jwtLifetimeSeconds: positiveInt(env, 'POPSINK_JWT_LIFETIME_SECONDS', 86_400),
    secretKey: env['POPSINK_SECRET_KEY'] || undefined,
    resetTokenLifetimeSeconds: positiveInt(env, 'POPSINK_RESET_TOKEN_LIFETIME_SECONDS', 3_600),
    adminEmail: env['POPSINK_ADMIN_EMAIL'] || undefined,
    adminPassword: env['POPSINK_ADMIN_PASSWORD'] || undefined,
    loginMaxFailures: positiveInt(env, 'POPSINK_LOGIN_MAX_FAILURES', 5),
    loginLockSeconds: positiveInt(env, 'POPSINK_LOGIN_LOCK_SECONDS', 900),
    role: roleOf(env['POPSINK_ROLE']),
    runtimeId: env['POPSINK_RUNTIME_ID'] || hostname(),
    retryWindowSeconds: positiveInt(env, 'POPSINK_RETRY_WINDOW_SECONDS', 60),
    metricsToken: env['POPSINK_METRICS_TOKEN'] || undefined,
    workerProcesses: positiveInt(env, 'POPSINK_WORKER_PROCESSES', availableParallelism()),
    workerHeapMb: positiveInt(env, 'POPSINK_WORKER_HEAP_MB', 2048),
    runtimePort: tcpPort(env, 'POPSINK_RUNTIME_PORT', 8001),
    consoleDir: env['POPSINK_CONSOLE_DIR'] ? resolve(env['POPSINK_CONSOLE_DIR']) : undefined,
  };
}

function roleOf(raw: string | undefined): Config['role'] {
  if (raw === undefined || raw === '' || raw === 'all') return 'all';
  if (raw === 'api' || raw === 'runtime') return raw;
  throw new ConfigError(`POPSINK_ROLE must be all, api or runtime, got ${raw}`);
}

function jwtSecret(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) throw new ConfigError('POPSINK_JWT_SECRET must be at least 32 characters');
  return raw;
}

function sqliteSynchronous(raw: string | undefined): 'full' | 'normal' {
  if (raw === undefined || raw === '' || raw === 'full') return 'full';
  if (raw === 'normal') return 'normal';
  throw new ConfigError('POPSINK_SQLITE_SYNCHRONOUS must be full or normal');
}
