import pg from 'pg';
import { ConnectorCheckError, redact, type PostgresTargetConfig } from '../../domain/connector/connectorConfig';
import { withinDeadline } from '../deadline';
import { endClient, pgConnectionOf, postgresCheckError, queryLiveColumns } from '../sql/postgresCheck';
import { rowUpsertOf, schemaChangesOf } from '../targets/postgresTarget';
import { TargetError, type Row, type TableSpec } from '../targets/rowTarget';
import type { TargetTrial, TrialFailure } from './targetTrial';

/**
 * The dry run on PostgreSQL: one transaction holding the DDL a start would run (CREATE TABLE or
 * the ALTER of schema evolution: PostgreSQL rolls DDL back) and each row's upsert under a
 * savepoint of its own, so that one refused row does not hide the next; then ROLLBACK, always.
 * Past the deadline the connection is closed, which the server rolls back as well.
 */

/** Kept back from the budget to close the connection. */
const CLEANUP_MS = 1000;
/**
 * How long the DDL may wait for a lock: an ALTER of a table that a running worker writes to
 * waits behind its transactions, and then holds the table until the rollback. Short, so that a
 * dry run never stalls a live pipeline for long.
 */
const LOCK_TIMEOUT = '2s';
/** lock_not_available (lock_timeout), query_canceled (statement_timeout), deadlock_detected. */
const BUSY: ReadonlySet<string> = new Set(['55P03', '57014', '40P01']);

export async function tryOnPostgres(
  config: PostgresTargetConfig,
  table: TableSpec,
  rows: readonly Row[],
  timeoutMs: number,
): Promise<TargetTrial> {
  const notes = ['PostgreSQL: the DDL and the rows were tried in one transaction, then rolled back: nothing was kept'];
  if (config.host.startsWith('/'))
    return { reachable: false, ddl: [], error: { code: 'unknown_host', message: 'host must be a host name or an IP address' }, notes: [] };
  const workMs = Math.max(500, timeoutMs - CLEANUP_MS);
  const client = new pg.Client({
    ...pgConnectionOf(config, 'popsink-dry-run'),
    connectionTimeoutMillis: workMs,
    query_timeout: workMs,
    statement_timeout: workMs,
  });
  client.on('error', () => undefined);
  const seen: { reachable: boolean; ddl: readonly string[] } = { reachable: false, ddl: [] };
  const failureOf = (error: unknown): TrialFailure => {
    const code = error instanceof pg.DatabaseError ? error.code : undefined;
    return {
      ...(code === undefined ? {} : { code }),
      message: redact(error instanceof Error ? error.message : String(error), [config.password]),
    };
  };

  const work = async (): Promise<TargetTrial> => {
    await client.connect();
    seen.reachable = true;
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      let ddl: string[];
      try {
        ddl = schemaChangesOf(config.schema, table, await queryLiveColumns(client, config.schema, table.name));
      } catch (error: unknown) {
        if (error instanceof TargetError) return { reachable: true, ddl: [], error: { code: error.code, message: error.message }, notes };
        throw error;
      }
      seen.ddl = ddl;
      for (const statement of ddl) {
        try {
          await client.query(statement);
        } catch (error: unknown) {
          if (error instanceof pg.DatabaseError) return { reachable: true, ddl, error: failureOf(error), notes };
          throw error;
        }
      }
      const outcomes: (TrialFailure | undefined)[] = [];
      for (const row of rows) {
        const upsert = rowUpsertOf(config.schema, table, row);
        await client.query('SAVEPOINT popsink_dry_run');
        try {
          await client.query(upsert.text, upsert.values);
          await client.query('RELEASE SAVEPOINT popsink_dry_run');
          outcomes.push(undefined);
        } catch (error: unknown) {
          if (!(error instanceof pg.DatabaseError)) throw error;
          // Waiting on a lock or the clock says nothing of the row: the table is busy, not refusing it.
          if (BUSY.has(error.code ?? '')) return { reachable: true, ddl, error: failureOf(error), notes };
          await client.query('ROLLBACK TO SAVEPOINT popsink_dry_run');
          outcomes.push(failureOf(error));
        }
      }
      return { reachable: true, ddl, outcomes, notes };
    } finally {
      // A failed ROLLBACK leaves a broken connection, which closing rolls back all the same.
      await client.query('ROLLBACK').catch(() => undefined);
    }
  };

  try {
    const timeout = () => new ConnectorCheckError('timeout', `No answer from ${config.host}:${config.port} within ${timeoutMs / 1000} s`);
    return await withinDeadline(workMs, timeout, work(), () => endClient(client));
  } catch (error: unknown) {
    const said = seen.reachable ? notes : [];
    if (error instanceof TargetError)
      return { reachable: seen.reachable, ddl: seen.ddl, error: { code: error.code, message: error.message }, notes: said };
    const { reason, message } = postgresCheckError(error, config);
    return { reachable: seen.reachable, ddl: seen.ddl, error: { code: reason, message }, notes: said };
  }
}
