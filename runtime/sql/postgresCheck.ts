import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { CHECK_TIMEOUT_MS, ConnectorCheckError, redact, type PostgresTargetConfig } from '../../domain/connector/connectorConfig';
import { withinDeadline } from '../deadline';
import { postgresLiveColumn, type LiveColumn } from './columnCompatibility';

/**
 * `check-credentials` for a POSTGRES_TARGET: connect, `SELECT 1`, then check that the target
 * schema exists and that the user may use it. Answers within CHECK_TIMEOUT_MS whatever the
 * server does, and fails with a ConnectorCheckError in plain words, never with the password.
 */

export interface PostgresCheckOptions {
  /** Whole-call budget, cleanup included. */
  readonly timeoutMs?: number;
}

/** Kept back from the budget to close the connection. */
const CLEANUP_MS = 1000;

/**
 * libpq's sslmode in node-postgres terms: `require` encrypts without verifying (as libpq does),
 * `verify-ca` checks the chain against the system's CAs but not the host name, `verify-full`
 * checks both.
 */
export function sslOptions(mode: PostgresTargetConfig['sslmode']): boolean | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** Where and as whom node-postgres connects for a connector config (the check's and the target's). */
export const pgConnectionOf = (config: PostgresTargetConfig, applicationName: string) => ({
  host: config.host,
  port: Number(config.port),
  database: config.database,
  user: config.user,
  password: config.password,
  ssl: sslOptions(config.sslmode),
  application_name: applicationName,
});

export async function checkPostgresCredentials(
  config: PostgresTargetConfig,
  options: PostgresCheckOptions = {},
): Promise<{ status: 'ok' }> {
  // node-postgres reads a host starting with '/' as a Unix socket directory of this server.
  if (config.host.startsWith('/')) throw new ConnectorCheckError('unknown_host', 'host must be a host name or an IP address');
  const budget = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const workMs = Math.max(100, budget - CLEANUP_MS);
  const stageMs = Math.round(workMs - Math.min(1000, workMs / 5));
  const client = new pg.Client({
    ...pgConnectionOf(config, 'popsink-check'),
    // Each stage fails with its own reason before the overall deadline does.
    connectionTimeoutMillis: stageMs,
    query_timeout: stageMs,
    statement_timeout: stageMs,
  });
  // A socket error after the failure was reported must not become an uncaught 'error' event.
  client.on('error', () => undefined);

  const work = (async () => {
    await client.connect();
    await client.query('SELECT 1');
    const schema = await client.query<{ usable: boolean }>(
      'SELECT has_schema_privilege(oid, $2) AS usable FROM pg_catalog.pg_namespace WHERE nspname = $1',
      [config.schema, 'USAGE'],
    );
    const row = schema.rows[0];
    if (row === undefined) {
      throw new ConnectorCheckError('unknown_schema', `Schema "${config.schema}" does not exist in database "${config.database}"`);
    }
    if (!row.usable)
      throw new ConnectorCheckError('not_authorized', `User "${config.user}" has no USAGE privilege on schema "${config.schema}"`);
    return { status: 'ok' as const };
  })();
  try {
    return await withinDeadline(
      workMs,
      () => new ConnectorCheckError('timeout', `No answer from ${config.host}:${config.port} within ${budget / 1000} s`),
      work,
      () => close(client),
    );
  } catch (error: unknown) {
    throw postgresCheckError(error, config);
  }
}

/** The columns of a table as `information_schema` shows them to this user, in order (binds: schema, table). */
export const LIVE_COLUMNS_SQL =
  'SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position';

/** What runs a query: a pool, a client, or a client inside a transaction. */
export interface SqlRunner {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** A table's live columns, or undefined when the schema has no such table (or none this user may see). */
export async function queryLiveColumns(runner: SqlRunner, schema: string, table: string): Promise<LiveColumn[] | undefined> {
  const found = await runner.query<{ column_name: string; data_type: string; udt_name: string }>(LIVE_COLUMNS_SQL, [schema, table]);
  if (found.rows.length === 0) return undefined;
  return found.rows.map((row) => postgresLiveColumn(row.column_name, row.data_type, row.udt_name));
}

/**
 * The live columns of `table` in the config's schema, read on a connection of its own within
 * `timeoutMs` (the PATCH check): undefined when there is no such table; a ConnectorCheckError in
 * the check's words when the server cannot be asked.
 */
export async function readPostgresColumns(
  config: PostgresTargetConfig,
  table: string,
  options: PostgresCheckOptions = {},
): Promise<LiveColumn[] | undefined> {
  return withPostgresSession(config, options, (client) => queryLiveColumns(client, config.schema, table));
}

/**
 * Runs `work` on a connection of its own within `timeoutMs` (connect and close included), then
 * closes it; fails with a ConnectorCheckError in the check's words when the server cannot be
 * asked. The PATCH check and the error-row reader use it.
 */
export async function withPostgresSession<T>(
  config: PostgresTargetConfig,
  options: PostgresCheckOptions,
  work: (client: SqlRunner) => Promise<T>,
): Promise<T> {
  if (config.host.startsWith('/')) throw new ConnectorCheckError('unknown_host', 'host must be a host name or an IP address');
  const budget = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const workMs = Math.max(100, budget - CLEANUP_MS);
  const client = new pg.Client({
    ...pgConnectionOf(config, 'popsink-check'),
    connectionTimeoutMillis: workMs,
    query_timeout: workMs,
    statement_timeout: workMs,
  });
  client.on('error', () => undefined);
  const running = (async () => {
    await client.connect();
    return work(client);
  })();
  try {
    return await withinDeadline(
      workMs,
      () => new ConnectorCheckError('timeout', `No answer from ${config.host}:${config.port} within ${budget / 1000} s`),
      running,
      () => close(client),
    );
  } catch (error: unknown) {
    throw postgresCheckError(error, config);
  }
}

/** Ends the session, or drops the socket when the server does not answer the goodbye in time. */
async function close(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = client.end().catch(() => undefined);
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLEANUP_MS - 200)));
  if ((await Promise.race([ended, late])) === 'late') {
    // `connection` is a documented field of pg.Client; destroying its socket frees the call.
    client.connection.stream.destroy();
  }
  clearTimeout(timer);
}

/** Ends a client of another module (the dry run's) as the check ends its own: bounded. */
export const endClient = close;

/** The fields of node-postgres's errors: a server error has a SQLSTATE `code`, a socket one an errno code. */
interface PgErrorShape {
  readonly code?: unknown;
  readonly message?: unknown;
}

const tlsProblem = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

export function postgresCheckError(error: unknown, config: PostgresTargetConfig): ConnectorCheckError {
  // Only what the server or driver said is redacted: our own words quote no secret, and
  // redacting them would mask e.g. a database that happens to share the password's text.
  const say = (reason: ConnectorCheckError['reason'], message: string) => new ConnectorCheckError(reason, message);
  if (error instanceof ConnectorCheckError) return error;
  const shape: PgErrorShape = typeof error === 'object' && error !== null ? error : {};
  const code = typeof shape.code === 'string' ? shape.code : '';
  const said = redact(typeof shape.message === 'string' ? shape.message : String(error), [config.password]);
  const where = `${config.host}:${config.port}`;
  switch (code) {
    case '28P01': // invalid_password
      return say('auth_failed', `Authentication failed: ${said}`);
    case '28000': // invalid_authorization_specification: pg_hba.conf refuses, or role missing
      return say('auth_failed', `Connection refused by the server's access rules: ${said}`);
    case '3D000': // invalid_catalog_name
      return say('unknown_database', `Database "${config.database}" does not exist`);
    case '42501': // insufficient_privilege (e.g. no CONNECT on the database)
      return say('not_authorized', `Not authorized: ${said}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say('unknown_host', `Unknown host: '${config.host}' could not be resolved`);
    case 'ECONNREFUSED':
      return say('connection_refused', `Connection refused by ${where}: no PostgreSQL server listens there`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say('timeout', `Cannot reach ${where}: ${said}`);
    case 'ECONNRESET':
    case 'EPIPE':
      return say('connection_closed', `${where} closed the connection: check the port and sslmode`);
  }
  if (tlsProblem.test(code) || /does not support SSL|SSL|TLS|certificate/i.test(said)) {
    return say('tls_failed', `TLS failed with ${where}: ${said} (sslmode ${config.sslmode})`);
  }
  if (/timeout|timed out/i.test(said)) return say('timeout', `No answer from ${where} in time: ${said}`);
  if (/Connection terminated/i.test(said)) return say('connection_closed', `${where} closed the connection: ${said}`);
  return say('server_error', `PostgreSQL error${code === '' ? '' : ` ${code}`}: ${said}`);
}
