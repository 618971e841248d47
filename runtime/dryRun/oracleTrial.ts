import type { OracleTargetConfig } from '../../domain/connector/connectorConfig';
import { oracleCheckError, withOracleSession } from '../sql/oracleCheck';
import { LIVE_COLUMNS_SQL, liveColumnsFrom, schemaChangesSql, TABLE_EXISTS_SQL, trialBatch } from '../targets/oracleSql';
import { TargetError, type Row, type TableSpec } from '../targets/rowTarget';
import type { TargetTrial, TrialFailure } from './targetTrial';

/**
 * The dry run on Oracle. Oracle commits DDL as it runs it, so the DDL a start would run is
 * reported, never run; the rows are tried only against a table that exists and needs no DDL:
 * one executeMany without autoCommit and with `batchErrors` (each refused row listed, the others
 * still run), then ROLLBACK. Closing the session would roll back too, whatever happens.
 */

const DDL_NOT_RUN =
  'Oracle: DDL cannot be rolled back there, so the DDL above was not run; rows are tried only against an existing table that needs none';

/** `withSession` opens the bounded session (a fake one in tests: there is no Oracle server in CI). */
export async function tryOnOracle(
  config: OracleTargetConfig,
  table: TableSpec,
  rows: readonly Row[],
  timeoutMs: number,
  withSession: typeof withOracleSession = withOracleSession,
): Promise<TargetTrial> {
  const seen: { reachable: boolean } = { reachable: false };
  try {
    return await withSession(config, { timeoutMs }, async (session, driver): Promise<TargetTrial> => {
      seen.reachable = true;
      const exists = Number((await session.execute(TABLE_EXISTS_SQL, [table.name])).rows?.[0]?.[0]) > 0;
      const live = exists ? liveColumnsFrom((await session.execute(LIVE_COLUMNS_SQL, [table.name])).rows ?? []) : undefined;
      let ddl: string[];
      try {
        ddl = schemaChangesSql(table, live);
      } catch (error: unknown) {
        if (error instanceof TargetError)
          return { reachable: true, ddl: [], error: { code: error.code, message: error.message }, notes: [] };
        throw error;
      }
      if (ddl.length > 0) return { reachable: true, ddl, notes: [DDL_NOT_RUN] };
      const { batch, indexes, unbound } = trialBatch(table, rows);
      const outcomes: (TrialFailure | undefined)[] = rows.map(() => undefined);
      for (const { index, error } of unbound) outcomes[index] = { code: error.code, message: error.message };
      if (batch.binds.length > 0) {
        const bindDefs = batch.bindDefs.map((def) => ({ ...def, type: driver[`DB_TYPE_${def.type}`] }));
        try {
          const result = await session.executeMany(batch.sql, batch.binds, { autoCommit: false, batchErrors: true, bindDefs });
          for (const failure of result.batchErrors ?? []) {
            const index = indexes[failure.offset];
            if (index !== undefined) outcomes[index] = { ...codeOf(failure), message: oracleCheckError(failure, config).message };
          }
        } finally {
          await session.rollback().catch(() => undefined);
        }
      }
      return {
        reachable: true,
        ddl: [],
        outcomes,
        notes: ['Oracle: the rows were tried without committing, then rolled back: nothing was kept'],
      };
    });
  } catch (error: unknown) {
    const { reason, message } = oracleCheckError(error, config);
    return { reachable: seen.reachable, ddl: [], error: { code: reason, message }, notes: [] };
  }
}

/** The ORA- code of a batch error (node-oracledb gives `code`, and the message starts with it). */
function codeOf(failure: { readonly code?: string; readonly message: string }): { code?: string } {
  const code = failure.code ?? /^(ORA-\d+)/.exec(failure.message)?.[1];
  return code === undefined ? {} : { code };
}
