import { createRequire } from 'node:module';
import { CHECK_TIMEOUT_MS, ConnectorCheckError, redact, type OracleTargetConfig } from '../../domain/connector/connectorConfig';
import { withinDeadline } from '../deadline';
import { LIVE_COLUMNS_SQL, liveColumnsFrom, TABLE_EXISTS_SQL, type OracleBindDef } from '../targets/oracleSql';
import type { LiveColumn } from './columnCompatibility';

/**
 * `/connector-types/oracle-target/check-credentials`: connect with node-oracledb in Thin mode
 * (pure JavaScript, the default since oracledb 6; `initOracleClient` is never called, so no
 * Oracle Instant Client is needed) and run `SELECT 1 FROM DUAL`. Answers within
 * CHECK_TIMEOUT_MS, and fails with a ConnectorCheckError in plain words, never with the password.
 */

export interface OracleCheckOptions {
  /** Whole-call budget, cleanup included. */
  readonly timeoutMs?: number;
}

/** The part of node-oracledb this check and the dry run use (the package ships no TypeScript types). */
export interface OracleConnection {
  /** Milliseconds a round trip may take before the driver abandons it. */
  callTimeout: number;
  /** `fetchInfo` names result columns to fetch as another type (a LOB as a string: one round trip, not one per value). */
  execute(
    sql: string,
    binds?: readonly unknown[],
    options?: { readonly fetchInfo?: Readonly<Record<string, { readonly type: unknown }>> },
  ): Promise<{ readonly rows?: readonly (readonly unknown[])[] }>;
  /** With `batchErrors`, a row's failure is listed (its `offset` in `binds`) and the others still run. */
  executeMany(
    sql: string,
    binds: readonly (readonly unknown[])[],
    options: {
      readonly autoCommit: boolean;
      readonly batchErrors: boolean;
      readonly bindDefs: readonly { readonly type: unknown; readonly maxSize?: number }[];
    },
  ): Promise<{ readonly batchErrors?: readonly { readonly offset: number; readonly message: string; readonly code?: string }[] }>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}
export interface OracleDriver extends Readonly<Record<`DB_TYPE_${OracleBindDef['type']}`, unknown>> {
  getConnection(attributes: {
    readonly user: string;
    readonly password: string;
    readonly connectString: string;
    /** Seconds (integer) to establish the whole connection, Thin mode. */
    readonly connectTimeout: number;
    /** Seconds (integer) to open the TCP/TLS transport, Thin mode. */
    readonly transportConnectTimeout: number;
  }): Promise<OracleConnection>;
}

let driver: OracleDriver | undefined;
/**
 * Loaded on first use: only deployments that check Oracle pay for it. `require` of a package
 * without types is untyped; it is narrowed here, once, to the interface above.
 */
const oracle = (): OracleDriver => (driver ??= createRequire(import.meta.url)('oracledb') as OracleDriver);

/** Kept back from the budget to close the session. */
const CLEANUP_MS = 1000;

/** Easy Connect: `host:port/service_name` (an IPv6 host in brackets). */
export const connectStringOf = (config: OracleTargetConfig): string =>
  `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/${config.server_name}`;

export async function checkOracleCredentials(config: OracleTargetConfig, options: OracleCheckOptions = {}): Promise<{ status: 'ok' }> {
  return withOracleSession(config, options, async (session) => {
    await session.execute('SELECT 1 FROM DUAL');
    return { status: 'ok' as const };
  });
}

/**
 * Runs `work` on a session of its own within `timeoutMs` (connect and close included), then
 * closes the session, which rolls back whatever the work left uncommitted. Fails with a
 * ConnectorCheckError in the check's words. The PATCH check and the dry run use it.
 */
export async function withOracleSession<T>(
  config: OracleTargetConfig,
  options: OracleCheckOptions,
  work: (session: OracleConnection, driver: OracleDriver) => Promise<T>,
): Promise<T> {
  const budget = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const workMs = Math.max(1000, budget - CLEANUP_MS);
  // The driver's timeouts are whole seconds: they end a stage a little before the deadline, so
  // the usual failures keep their own reason rather than a generic timeout.
  const connectSeconds = Math.max(1, Math.floor((workMs - 1000) / 1000));
  let connection: OracleConnection | undefined;
  let abandoned = false;
  const running = (async () => {
    const opened = await oracle().getConnection({
      user: config.user,
      password: config.password,
      connectString: connectStringOf(config),
      connectTimeout: connectSeconds,
      transportConnectTimeout: Math.min(connectSeconds, 5),
    });
    // A connection that arrives after the deadline is closed at once, not leaked.
    if (abandoned) {
      await opened.close().catch(() => undefined);
      throw new ConnectorCheckError('timeout', `No answer from ${config.host}:${config.port} within ${budget / 1000} s`);
    }
    connection = opened;
    opened.callTimeout = Math.max(500, workMs - 1000);
    return work(opened, oracle());
  })();
  try {
    return await withinDeadline(
      workMs,
      () => new ConnectorCheckError('timeout', `No answer from ${config.host}:${config.port} within ${budget / 1000} s`),
      running,
      async () => {
        abandoned = true;
        if (connection !== undefined) await closeWithin(connection, CLEANUP_MS - 200);
      },
    );
  } catch (error: unknown) {
    throw oracleCheckError(error, config);
  }
}

/** The live columns of the user's table `table`, or undefined when there is no such table (the PATCH check). */
export async function readOracleColumns(
  config: OracleTargetConfig,
  table: string,
  options: OracleCheckOptions = {},
): Promise<LiveColumn[] | undefined> {
  return withOracleSession(config, options, async (session) => {
    const found = await session.execute(TABLE_EXISTS_SQL, [table]);
    if (!(Number(found.rows?.[0]?.[0]) > 0)) return undefined;
    return liveColumnsFrom((await session.execute(LIVE_COLUMNS_SQL, [table])).rows ?? []);
  });
}

async function closeWithin(connection: OracleConnection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connection.close().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** node-oracledb errors: `code` is `NJS-nnn` (driver) or `ORA-nnnnn` (server), also at the message's start. */
interface OracleErrorShape {
  readonly code?: unknown;
  readonly message?: unknown;
}

/** The driver's or the server's code of an error (`NJS-503`, `ORA-00942`), '' when it has none. */
export function oracleErrorCode(error: unknown): string {
  const shape: OracleErrorShape = typeof error === 'object' && error !== null ? error : {};
  if (typeof shape.code === 'string') return shape.code;
  return /^(NJS-\d+|ORA-\d+)/.exec(typeof shape.message === 'string' ? shape.message : String(error))?.[1] ?? '';
}

export function oracleCheckError(error: unknown, config: OracleTargetConfig): ConnectorCheckError {
  if (error instanceof ConnectorCheckError) return error;
  const shape: OracleErrorShape = typeof error === 'object' && error !== null ? error : {};
  // Only what the driver or server said is redacted; our own words quote no secret.
  const said = redact(typeof shape.message === 'string' ? shape.message : String(error), [config.password]);
  const code = oracleErrorCode(error);
  // The driver's first line is the reason; the next ones are diagnostics such as CONNECTION_ID.
  const firstLine = said.split('\n')[0] ?? said;
  const where = `${config.host}:${config.port}`;
  const say = (reason: ConnectorCheckError['reason'], message: string) => new ConnectorCheckError(reason, message);
  switch (code) {
    case 'ORA-01017':
      return say('auth_failed', `Authentication failed: invalid user name or password for "${config.user}" (ORA-01017)`);
    case 'ORA-28000':
      return say('auth_failed', `Authentication failed: the account "${config.user}" is locked (ORA-28000)`);
    case 'ORA-28001':
      return say('auth_failed', `Authentication failed: the password of "${config.user}" has expired (ORA-28001)`);
    case 'ORA-01045':
      return say('not_authorized', `User "${config.user}" lacks the CREATE SESSION privilege (ORA-01045)`);
    case 'ORA-12514': // Thick mode's words for NJS-518
    case 'NJS-518':
      return say('unknown_service', `The listener at ${where} does not know the service "${config.server_name}" (ORA-12514)`);
    case 'NJS-530':
      return say('unknown_host', `Unknown host: '${config.host}' could not be resolved (NJS-530)`);
    case 'NJS-510':
      return say('timeout', `No answer from ${where} in time (NJS-510)`);
    case 'NJS-500':
    case 'NJS-521':
      return say('connection_closed', `${where} closed the connection: is it an Oracle listener, and the right port? (${firstLine})`);
  }
  if (code === 'NJS-503' || code === 'NJS-511') {
    if (/ECONNREFUSED/.test(said))
      return say('connection_refused', `Connection refused by ${where}: no Oracle listener on that host and port`);
    if (/ENOTFOUND|EAI_AGAIN/.test(said)) return say('unknown_host', `Unknown host: '${config.host}' could not be resolved`);
    if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(said)) return say('timeout', `Cannot reach ${where}: ${firstLine}`);
    return say('server_error', `Cannot connect to ${where}: ${oneLine(said)}`);
  }
  return say('server_error', `Oracle error: ${oneLine(firstLine)}`);
}

/** A driver message on one line, without the per-attempt CONNECTION_ID noise. */
const oneLine = (message: string): string =>
  message
    .replace(/\s*\(CONNECTION_ID=[^)]*\)/g, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
