import pg from 'pg';
import { redact, type PostgresTargetConfig } from '../../domain/connector/connectorConfig';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import type { Logger } from '../../infrastructure/logger';
import { incompatibilityMessage, incompatibleColumns, missingColumns, type LiveColumn } from '../sql/columnCompatibility';
import { pgConnectionOf, queryLiveColumns } from '../sql/postgresCheck';
import type { PostgresPools } from './postgresPools';
import { TargetError, type Row, type RowTarget, type TableSpec } from './rowTarget';

/**
 * The PostgreSQL target: each batch is one transaction of multi-row upserts keyed by the
 * mapper's primary key, so a batch lands whole or not at all, and a replayed batch (the worker
 * commits source offsets only after `write` resolved) rewrites the same rows harmlessly.
 * Identifiers are validated and quoted; values are always bound.
 */

export interface PostgresTargetOptions {
  /** How long to wait for a connection; past it the call fails as transient. */
  readonly connectTimeoutMs?: number;
  /** Longest a statement may run on the server (one statement carries up to 65535 values). */
  readonly statementTimeoutMs?: number;
  /** Hears connection errors that happen between calls (nobody awaits them). */
  readonly logger?: Logger;
  /** The process's shared pools; without them the target has a pool of its own. */
  readonly pools?: PostgresPools;
}

/** Connections of a pool shared by a process's targets of one server (see postgresPools.ts). */
const SHARED_POOL_CONNECTIONS = 8;

/** Bind parameters per statement: the wire protocol counts them in 16 bits. */
const MAX_PARAMETERS = 65535;
/** NAMEDATALEN - 1: PostgreSQL would silently truncate a longer name, then mix two columns up. */
const MAX_IDENTIFIER_BYTES = 63;
/** Left to the server's statement_timeout to fire first, before the driver gives up on the socket. */
const CLIENT_TIMEOUT_MARGIN_MS = 5000;

const sqlTypes: Readonly<Record<MapperColumn['type'], string>> = {
  string: 'text',
  int: 'bigint',
  float: 'double precision',
  bool: 'boolean',
  date: 'date',
  datetime: 'timestamptz',
  time: 'time',
  json: 'jsonb',
};

/**
 * A pool of PostgresTargetConfig's server. Throws a permanent TargetError when the host names a
 * Unix socket directory, which would reach a server of this machine rather than the user's.
 */
export function postgresTarget(config: PostgresTargetConfig, options: PostgresTargetOptions = {}): RowTarget {
  if (config.host.startsWith('/')) throw new TargetError('permanent', 'invalid_host', 'host must be a host name or an IP address');
  const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
  const fail = (error: unknown) => postgresTargetError(error, config);
  const newPool = (max: number) => {
    const created = new pg.Pool({
      ...pgConnectionOf(config, 'popsink-target'),
      max,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
      keepAlive: true,
    });
    // An idle connection's error reaches the pool; a checked-out one's between two queries of a
    // transaction reaches the client, and the query after it fails anyway. Unheard, either would
    // be an uncaught 'error' event, which ends the process.
    created.on('error', (error) => options.logger?.warn('PostgreSQL target connection lost', { error: fail(error).message }));
    created.on('connect', (client) => client.on('error', () => undefined));
    return created;
  };
  // Two connections let a batch and its error-table rows go side by side; a shared pool serves many targets.
  const ownPool = (): { pool: pg.Pool; release(): Promise<void> } => {
    const own = newPool(2);
    return { pool: own, release: () => own.end() };
  };
  const lease = options.pools?.acquire(config, () => newPool(SHARED_POOL_CONNECTIONS)) ?? ownPool();
  const { pool } = lease;

  async function inTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
      client.release();
    } catch (error: unknown) {
      // A connection that cannot even roll back is in an unknown state: drop it, not reuse it.
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack);
      throw error;
    }
  }

  /**
   * Runs `work` on a pooled connection. An error the server answered leaves the connection
   * sound, and it goes back to the pool (pool.query would drop it, and a feed that rejects rows
   * would then pay a new connection and its authentication for each); any other error drops it.
   */
  async function onConnection(work: (client: pg.PoolClient) => Promise<unknown>): Promise<void> {
    const client = await pool.connect();
    try {
      await work(client);
      client.release();
    } catch (error: unknown) {
      client.release(!(error instanceof pg.DatabaseError));
      throw error;
    }
  }

  /**
   * Runs the statements of `rows` (as many rows per statement as the bind parameters allow):
   * one statement is atomic on its own and goes alone, a round trip instead of three; several
   * go in one transaction, so that the call lands whole or not at all either way.
   */
  async function inStatements(
    rows: readonly Row[],
    valuesPerRow: number,
    statementOf: (chunk: readonly Row[]) => [string, unknown[]],
  ): Promise<void> {
    if (rows.length === 0) return;
    const rowsPerStatement = Math.floor(MAX_PARAMETERS / valuesPerRow);
    try {
      if (rows.length <= rowsPerStatement) {
        await onConnection((client) => client.query(...statementOf(rows)));
        return;
      }
      await inTransaction(async (client) => {
        for (let start = 0; start < rows.length; start += rowsPerStatement)
          await client.query(...statementOf(rows.slice(start, start + rowsPerStatement)));
      });
    } catch (error: unknown) {
      throw fail(error);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    async prepare(table) {
      const plan = planOf(config.schema, table);
      try {
        await pool.query(createTableSql(plan)).catch((error: unknown) => {
          // IF NOT EXISTS is not atomic: a concurrent creator makes ours fail on a catalog
          // unique index (23505), as duplicate_table (42P07) or on the table's row type
          // (42710). The table exists either way.
          if (!hasSqlState(error, '23505', '42P07', '42710')) throw error;
        });
        const live = await queryLiveColumns(pool, config.schema, table.name);
        for (const statement of schemaChangesOf(config.schema, table, live)) {
          // ADD COLUMN IF NOT EXISTS races like CREATE: a concurrent worker that added the
          // column first makes ours fail as duplicate_column (42701) or on the catalog (23505).
          await pool.query(statement).catch((error: unknown) => {
            if (!hasSqlState(error, '42701', '23505')) throw error;
          });
        }
      } catch (error: unknown) {
        throw fail(error);
      }
    },

    async write(table, rows) {
      const plan = planOf(config.schema, table);
      const unique = lastRowPerKey(plan, rows);
      await inStatements(unique, plan.columns.length, (chunk) => [
        upsertSql(plan, chunk.length),
        chunk.flatMap((row) => plan.columns.map((column) => bound(column, row[column.name]))),
      ]);
    },

    async delete(table, keys) {
      const plan = planOf(config.schema, table);
      const keyColumns = plan.columns.filter((column) => column.primary_key);
      if (keys.length === 0) return;
      if (keyColumns.length === 0)
        throw new TargetError('permanent', 'table_mismatch', `Table ${plan.qualified} has no primary key to delete by`);
      await inStatements(keys, keyColumns.length, (chunk) => [
        deleteSql(plan, chunk.length),
        chunk.flatMap((key) => keyColumns.map((column) => bound(column, key[column.name]))),
      ]);
    },

    close() {
      closing ??= lease.release();
      return closing;
    },
  };
}

/** A TableSpec checked and quoted once per call: every name that reaches SQL goes through here. */
interface TablePlan {
  readonly qualified: string;
  readonly columns: readonly MapperColumn[];
  readonly quoted: readonly string[];
  readonly quotedKeys: readonly string[];
  /** The columns an upsert overwrites: all but the key. */
  readonly quotedValues: readonly string[];
}

function planOf(schema: string, table: TableSpec): TablePlan {
  if (table.columns.length === 0)
    throw new TargetError('permanent', 'table_mismatch', `Table ${quoteIdentifier(table.name)} has no columns`);
  const quoted = table.columns.map((column) => quoteIdentifier(column.name));
  return {
    qualified: `${quoteIdentifier(schema)}.${quoteIdentifier(table.name)}`,
    columns: table.columns,
    quoted,
    quotedKeys: quoted.filter((_, i) => table.columns[i]?.primary_key === true),
    quotedValues: quoted.filter((_, i) => table.columns[i]?.primary_key === false),
  };
}

/** Any name PostgreSQL can hold exactly, double-quoted (so `offset` or `a"; DROP` are just names). */
export function quoteIdentifier(name: string): string {
  if (name === '' || name.includes('\0') || Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new TargetError(
      'permanent',
      'invalid_identifier',
      `Not a valid PostgreSQL name (1 to ${MAX_IDENTIFIER_BYTES} bytes, no NUL): ${JSON.stringify(name.slice(0, 80))}`,
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}

function createTableSql(plan: TablePlan): string {
  const definitions = plan.columns.map((column, i) => `${plan.quoted[i]} ${sqlTypes[column.type]}${column.nullable ? '' : ' NOT NULL'}`);
  if (plan.quotedKeys.length > 0) definitions.push(`PRIMARY KEY (${plan.quotedKeys.join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${plan.qualified} (${definitions.join(', ')})`;
}

/**
 * The DDL that `prepare` runs for a table whose live columns are `live` (undefined: no such
 * table): its CREATE TABLE, or, with schema evolution, one ALTER TABLE adding the mapper's
 * missing columns (always nullable and never a key: the rows already there have no value for
 * them); nothing for a table that matches. Throws a permanent `table_mismatch` for a column
 * whose live type cannot take the mapper's values (see columnCompatibility.ts), for missing
 * columns without evolution, and for a missing key column (a key cannot be added to rows that
 * exist). Columns are never dropped or altered. The dry run runs the same list.
 */
export function schemaChangesOf(schema: string, table: TableSpec, live: readonly LiveColumn[] | undefined): string[] {
  const plan = planOf(schema, table);
  if (live === undefined) return [createTableSql(plan)];
  const incompatible = incompatibleColumns('postgres', live, table.columns);
  if (incompatible.length > 0)
    throw new TargetError('permanent', 'table_mismatch', `Table ${plan.qualified}: ${incompatible.map(incompatibilityMessage).join('; ')}`);
  const missing = missingColumns(live, table.columns);
  if (missing.length === 0) return [];
  const names = missing.map((column) => quoteIdentifier(column.name)).join(', ');
  if (table.evolution !== 'add_columns')
    throw new TargetError(
      'permanent',
      'table_mismatch',
      `Table ${plan.qualified} exists without the column(s) ${names} (schema evolution is off)`,
    );
  const keys = missing.filter((column) => column.primary_key);
  if (keys.length > 0) {
    throw new TargetError(
      'permanent',
      'table_mismatch',
      `Table ${plan.qualified} exists without the primary key column(s) ${keys.map((column) => quoteIdentifier(column.name)).join(', ')}, which cannot be added to an existing table`,
    );
  }
  const additions = missing.map((column) => `ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${sqlTypes[column.type]}`);
  return [`ALTER TABLE ${plan.qualified} ${additions.join(', ')}`];
}

/** One row's upsert, statement and values: the dry run tries each row on its own. */
export function rowUpsertOf(schema: string, table: TableSpec, row: Row): { readonly text: string; readonly values: unknown[] } {
  const plan = planOf(schema, table);
  return { text: upsertSql(plan, 1), values: plan.columns.map((column) => bound(column, row[column.name])) };
}

function upsertSql(plan: TablePlan, rowCount: number): string {
  const width = plan.columns.length;
  const tuples = Array.from({ length: rowCount }, (_, row) => {
    const placeholders = plan.columns.map((column, i) => `$${row * width + i + 1}${column.type === 'json' ? '::jsonb' : ''}`);
    return `(${placeholders.join(', ')})`;
  });
  return `INSERT INTO ${plan.qualified} (${plan.quoted.join(', ')}) VALUES ${tuples.join(', ')}${onConflict(plan)}`;
}

/** `DELETE … WHERE (k1, k2) IN (($1, $2), …)`: one statement for a chunk of keys. */
function deleteSql(plan: TablePlan, keyCount: number): string {
  const width = plan.quotedKeys.length;
  const tuples = Array.from({ length: keyCount }, (_, key) => `(${plan.quotedKeys.map((_, i) => `$${key * width + i + 1}`).join(', ')})`);
  return `DELETE FROM ${plan.qualified} WHERE (${plan.quotedKeys.join(', ')}) IN (${tuples.join(', ')})`;
}

function onConflict(plan: TablePlan): string {
  if (plan.quotedKeys.length === 0) return '';
  const target = `ON CONFLICT (${plan.quotedKeys.join(', ')})`;
  const updates = plan.quotedValues.map((name) => `${name} = EXCLUDED.${name}`);
  return updates.length === 0 ? ` ${target} DO NOTHING` : ` ${target} DO UPDATE SET ${updates.join(', ')}`;
}

/**
 * One row per primary key, the batch's last: one statement may not upsert a row twice, and the
 * last message of a key is the one the table must end with.
 */
function lastRowPerKey(plan: TablePlan, rows: readonly Row[]): readonly Row[] {
  const keys = plan.columns.filter((column) => column.primary_key).map((column) => column.name);
  if (keys.length === 0) return rows;
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(JSON.stringify(keys.map((key) => row[key] ?? null)), row);
  return [...byKey.values()];
}

/** The driver would turn an array into a PostgreSQL array literal: JSON is sent as its text. */
function bound(column: MapperColumn, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return column.type === 'json' ? JSON.stringify(value) : value;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** What the driver throws: a server error carries a SQLSTATE `code`, a socket one an errno code and a syscall. */
interface PgErrorShape {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly syscall?: unknown;
}

const hasSqlState = (error: unknown, ...states: string[]): boolean =>
  error instanceof pg.DatabaseError && states.includes(error.code ?? '');

const unreachable = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const tlsProblem = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/**
 * Retry, isolate or give up: the server unreachable, restarting, overloaded or losing a
 * serialization race is transient; a value or a constraint it refused is a rejection of some
 * row; what else it refused on the merits (credentials, names) is permanent, as is anything
 * unrecognised, which a retry would only repeat.
 */
function postgresTargetError(error: unknown, config: PostgresTargetConfig): TargetError {
  if (error instanceof TargetError) return error;
  const shape: PgErrorShape = typeof error === 'object' && error !== null ? error : {};
  const code = typeof shape.code === 'string' ? shape.code : '';
  const said = redact(typeof shape.message === 'string' ? shape.message : String(error), [config.password]);
  const where = `PostgreSQL at ${config.host}:${config.port}`;
  if (error instanceof pg.DatabaseError) {
    const [kind, reason] = sqlStateClass(code);
    return new TargetError(kind, reason, `${where}: ${said} (SQLSTATE ${code})`, code);
  }
  const transient = (reason: string) => new TargetError('transient', reason, `${where}: ${said}`);
  if (typeof shape.syscall === 'string') {
    if (unreachable.has(code)) return transient('unreachable');
    return transient(code === 'ETIMEDOUT' ? 'timeout' : 'connection_lost');
  }
  if (tlsProblem.test(code) || /SSL|TLS|certificate/i.test(said))
    return new TargetError('permanent', 'tls_failed', `${where}: ${said} (sslmode ${config.sslmode})`);
  if (/timeout|timed out/i.test(said)) return transient('timeout');
  if (/terminated|not queryable/i.test(said)) return transient('connection_lost');
  return new TargetError('permanent', 'unexpected', `${where}: ${said}`);
}

function sqlStateClass(code: string): [TargetError['kind'], string] {
  switch (code) {
    case '40001': // serialization_failure
    case '40P01': // deadlock_detected
    case '55P03': // lock_not_available
      return ['transient', 'conflict'];
    case '57014': // query_canceled: statement_timeout
      return ['transient', 'timeout'];
    case '57P01': // admin_shutdown
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now: starting up or in recovery
      return ['transient', 'server_unavailable'];
    case '3D000':
      return ['permanent', 'unknown_database'];
    case '3F000':
      return ['permanent', 'unknown_schema'];
    case '42501':
      return ['permanent', 'not_authorized'];
    case '42P01': // undefined_table
    case '42703': // undefined_column
    case '42804': // datatype_mismatch
    case '42P10': // no unique index matching the ON CONFLICT columns
      return ['permanent', 'table_mismatch'];
  }
  switch (code.slice(0, 2)) {
    case '08':
      return ['transient', 'connection_lost'];
    case '53': // insufficient resources: too many connections, out of memory, disk full
      return ['transient', 'server_busy'];
    case '28':
      return ['permanent', 'auth_failed'];
    case '22': // data exception: a value too long, out of range, not of the column's type
      return ['rejected', 'invalid_value'];
    case '23': // integrity constraint: CHECK, NOT NULL, a unique index other than the key, a foreign key
      return ['rejected', 'constraint_violation'];
  }
  return ['permanent', 'server_error'];
}
