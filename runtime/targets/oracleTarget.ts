import { createRequire } from 'node:module';
import type { ConnectorCheckReason, OracleTargetConfig } from '../../domain/connector/connectorConfig';
import { connectStringOf, oracleCheckError, oracleErrorCode } from '../sql/oracleCheck';
import {
  createTableSql,
  deleteBatch,
  LIVE_COLUMNS_SQL,
  liveColumnsFrom,
  schemaChangesSql,
  TABLE_EXISTS_SQL,
  writeBatch,
  type OracleBatch,
  type OracleBind,
  type OracleBindDef,
} from './oracleSql';
import { TargetError, type RowTarget } from './rowTarget';

/**
 * The Oracle target: node-oracledb in Thin mode (pure JavaScript, no Instant Client) through a
 * small pool. A batch is one executeMany of the upsert with autoCommit, so one batch is one
 * transaction; the SQL and the binds come from oracleSql.ts.
 */

export interface OracleTargetOptions {
  /** Whole seconds to open a session (TCP, TLS and login); default 10. */
  readonly connectTimeoutSeconds?: number;
  /** Milliseconds one round trip may take (a batch without long texts is one); default 60 000. */
  readonly callTimeoutMs?: number;
}

/** The part of node-oracledb this target uses (the package ships no TypeScript types). */
interface Session {
  callTimeout: number;
  execute(sql: string, binds?: readonly OracleBind[]): Promise<{ readonly rows?: readonly (readonly unknown[])[] }>;
  executeMany(
    sql: string,
    binds: readonly OracleBind[][],
    options: { readonly autoCommit: boolean; readonly bindDefs: readonly { readonly type: unknown; readonly maxSize?: number }[] },
  ): Promise<unknown>;
  close(options?: { readonly drop: boolean }): Promise<void>;
}
interface Pool {
  getConnection(): Promise<Session>;
  /** Seconds to wait for sessions in use; 0 closes them at once. */
  close(drainSeconds: number): Promise<void>;
}
type DriverTypes = Readonly<Record<`DB_TYPE_${OracleBindDef['type']}`, unknown>>;
interface Driver extends DriverTypes {
  createPool(attributes: {
    readonly user: string;
    readonly password: string;
    readonly connectString: string;
    readonly poolMin: number;
    readonly poolMax: number;
    readonly poolIncrement: number;
    readonly connectTimeout: number;
  }): Promise<Pool>;
}

/** Loaded on first use, like the check: only deployments writing to Oracle pay for the driver. */
const driver = (): Driver => createRequire(import.meta.url)('oracledb') as Driver;

export function oracleTarget(config: OracleTargetConfig, options: OracleTargetOptions = {}): RowTarget {
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  let pool: Promise<Pool> | undefined;

  const poolOf = (): Promise<Pool> =>
    (pool ??= driver()
      .createPool({
        user: config.user,
        password: config.password,
        connectString: connectStringOf(config),
        // Sessions open on demand and idle ones close; two let a batch and its error-table rows go side by side.
        poolMin: 0,
        poolMax: 2,
        poolIncrement: 1,
        connectTimeout: options.connectTimeoutSeconds ?? 10,
      })
      .catch((error: unknown) => {
        pool = undefined;
        throw error;
      }));

  async function withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    let session: Session | undefined;
    try {
      session = await (await poolOf()).getConnection();
      session.callTimeout = callTimeoutMs;
      const result = await work(session);
      await session.close();
      return result;
    } catch (error: unknown) {
      // Dropped rather than pooled: the session may be dead, or hold the uncommitted part of a
      // failed batch, which ending it rolls back (a retried INSERT must not find half of it).
      await session?.close({ drop: true }).catch(() => undefined);
      throw targetError(error, config);
    }
  }

  /** One executeMany with autoCommit: the whole batch is one transaction. */
  async function run(batch: OracleBatch): Promise<void> {
    const types = driver();
    const bindDefs = batch.bindDefs.map((def) => ({ ...def, type: types[`DB_TYPE_${def.type}`] }));
    await withSession((session) => session.executeMany(batch.sql, batch.binds, { autoCommit: true, bindDefs }));
  }

  return {
    async prepare(table) {
      const ddl = createTableSql(table); // refuses a bad name before any round trip
      await withSession(async (session) => {
        // Looked up first, so that a table made by a DBA needs no CREATE TABLE privilege.
        const found = await session.execute(TABLE_EXISTS_SQL, [table.name]);
        if (Number(found.rows?.[0]?.[0]) > 0) {
          const live = liveColumnsFrom((await session.execute(LIVE_COLUMNS_SQL, [table.name])).rows ?? []);
          for (const statement of schemaChangesSql(table, live)) {
            // ORA-01430: the column exists already, added meanwhile by another worker.
            await session.execute(statement).catch((error: unknown) => {
              if (oracleErrorCode(error) !== 'ORA-01430') throw error;
            });
          }
          return;
        }
        await session.execute(ddl).catch((error: unknown) => {
          // ORA-00955: the name was taken meanwhile, by another worker creating the same table.
          if (oracleErrorCode(error) !== 'ORA-00955') throw error;
        });
      });
    },

    async write(table, rows) {
      if (rows.length > 0) await run(writeBatch(table, rows));
    },

    async delete(table, keys) {
      if (keys.length > 0) await run(deleteBatch(table, keys));
    },

    async close() {
      const closing = pool;
      pool = undefined;
      // The worker awaits its writes before closing; a pool that never opened has nothing to close.
      const opened = await closing?.catch(() => undefined);
      await opened?.close(0);
    },
  };
}

/**
 * Failures a retry can cure: the database unreachable, starting, stopping or busy. The check's
 * reasons cover a refused, closed or silent connection, an unresolved host and a service the
 * listener does not know (yet: a restarting database registers late); the codes the rest.
 */
const TRANSIENT_REASONS: ReadonlySet<ConnectorCheckReason> = new Set([
  'timeout',
  'connection_refused',
  'connection_closed',
  'unknown_host',
  'unknown_service',
]);
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'NJS-003', // the session was closed under the call
  'NJS-040', // no free session in the pool in time
  'NJS-123', // a round trip outlasted callTimeout
  'NJS-501', // the connection lost contact
  'NJS-503', // the connection could not be established, for any other network reason
  'ORA-00054', // a resource busy with another session's lock
  'ORA-00060', // a deadlock, resolved by rolling this statement back
  'ORA-01013', // the call was cancelled (a call timeout in Thick mode)
  'ORA-01033', // the database is starting up or shutting down
  'ORA-01034', // the database is not open
  'ORA-01089', // a shutdown is in progress
  'ORA-03113', // end of file on the communication channel
  'ORA-03114', // not connected any more
  'ORA-03135', // the connection lost contact
  'ORA-12170', // a connect timeout
  'ORA-12516', // the listener found no handler for the service
  'ORA-12520', // no handler for the server type
  'ORA-12528', // the database is blocking new connections
  'ORA-12537', // the listener closed the connection
  'ORA-12541', // no listener
]);

/**
 * What Oracle says of a row's data, not of the table or the session: the worker isolates the
 * rows it refused and writes the others.
 */
const REJECTED_CODES: ReadonlySet<string> = new Set([
  'ORA-00001', // a unique index other than the key (the key itself is merged, never duplicated)
  'ORA-01400', // NULL into a NOT NULL column
  'ORA-01407', // an update to NULL of a NOT NULL column
  'ORA-01401', // a value too large for its column (older servers)
  'ORA-01438', // a number larger than its column's precision
  'ORA-01722', // not a number
  'ORA-01830', // a date format picture ends early
  'ORA-01841', // a year out of range
  'ORA-01843', // not a valid month
  'ORA-01847', // a day of month out of range
  'ORA-01861', // a literal that does not match the format
  'ORA-02290', // a CHECK constraint
  'ORA-02291', // a foreign key without its parent
  'ORA-12899', // a value too large for its column
  'ORA-40441', // JSON syntax (an IS JSON check)
]);

/**
 * A driver or server failure as a TargetError: its words are the check's (plain, one line, never
 * the password); its kind tells the worker whether to retry. Anything not known as passing is
 * permanent (bad credentials, a missing table or column, a value a column refuses): retrying
 * would fail the same way forever.
 */
function targetError(error: unknown, config: OracleTargetConfig): TargetError {
  if (error instanceof TargetError) return error;
  const { reason, message } = oracleCheckError(error, config);
  const code = oracleErrorCode(error) || 'ORACLE_ERROR';
  if (REJECTED_CODES.has(code)) return new TargetError('rejected', code, message, code);
  return new TargetError(TRANSIENT_REASONS.has(reason) || TRANSIENT_CODES.has(code) ? 'transient' : 'permanent', code, message);
}
