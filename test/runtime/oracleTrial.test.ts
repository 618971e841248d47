import test from 'ava';
import { ConnectorCheckError, type OracleTargetConfig } from '../../domain/connector/connectorConfig';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import { tryOnOracle } from '../../runtime/dryRun/oracleTrial';
import type { OracleConnection, OracleDriver, withOracleSession } from '../../runtime/sql/oracleCheck';
import { createTableSql, LIVE_COLUMNS_SQL, TABLE_EXISTS_SQL, writeSql } from '../../runtime/targets/oracleSql';
import type { TableSpec } from '../../runtime/targets/rowTarget';

/**
 * The Oracle dry run's flow, on a scripted session (there is no Oracle server here; the SQL
 * itself is pinned in oracleSql.test.ts): DDL reported and never run, rows tried without
 * committing, then rolled back, each batch error on its own row.
 */

const config: OracleTargetConfig = {
  host: 'oracle.example',
  port: '1521',
  database: 'ORCL',
  server_name: 'XE',
  server_id: 'x',
  user: 'etl',
  password: 'pw-secret',
};
const column = (name: string, type: MapperColumn['type'], primary_key = false): MapperColumn => ({
  name,
  type,
  nullable: !primary_key,
  primary_key,
});
const orders: TableSpec = { name: 'orders', columns: [column('id', 'int', true), column('amount', 'float')], evolution: 'add_columns' };

interface Script {
  readonly exists: boolean;
  readonly live?: readonly (readonly unknown[])[];
  readonly batchErrors?: readonly { offset: number; message: string; code?: string }[];
}

/** A session that answers the trial's queries from `script` and records every call. */
function scripted(script: Script, calls: string[]): typeof withOracleSession {
  const session: OracleConnection = {
    callTimeout: 0,
    async execute(sql, binds) {
      calls.push(`execute ${sql} ${JSON.stringify(binds ?? [])}`);
      if (sql === TABLE_EXISTS_SQL) return { rows: [[script.exists ? 1 : 0]] };
      if (sql === LIVE_COLUMNS_SQL) return { rows: script.live ?? [] };
      throw new Error(`unexpected SQL: ${sql}`);
    },
    async executeMany(sql, binds, options) {
      calls.push(`executeMany ${sql} ${JSON.stringify(binds)} autoCommit=${options.autoCommit} batchErrors=${options.batchErrors}`);
      return { batchErrors: script.batchErrors ?? [] };
    },
    async rollback() {
      calls.push('rollback');
    },
    async close() {
      calls.push('close');
    },
  };
  const driver = {
    DB_TYPE_NUMBER: 'n',
    DB_TYPE_BINARY_DOUBLE: 'd',
    DB_TYPE_VARCHAR: 'v',
    DB_TYPE_NVARCHAR: 'nv',
    DB_TYPE_CLOB: 'c',
    DB_TYPE_NCLOB: 'nc',
  } as unknown as OracleDriver;
  return async (_config, _options, work) => work(session, driver);
}

const ordersLive = [
  ['id', 'NUMBER', 0],
  ['amount', 'BINARY_DOUBLE', null],
];

test('a missing table: its CREATE TABLE is reported, never run, and the rows are not tried', async (t) => {
  const calls: string[] = [];
  const trial = await tryOnOracle(config, orders, [{ id: 1, amount: 1 }], 5000, scripted({ exists: false }, calls));
  t.deepEqual(trial.ddl, [createTableSql(orders)]);
  t.is(trial.outcomes, undefined);
  t.true(trial.reachable);
  t.regex(trial.notes.join(' '), /not run/);
  t.false(calls.some((call) => call.includes('CREATE') || call.startsWith('executeMany')));
});

test('a table that needs an ALTER: reported, not run, rows not tried', async (t) => {
  const calls: string[] = [];
  const grown: TableSpec = { ...orders, columns: [...orders.columns, column('note', 'string')] };
  const trial = await tryOnOracle(config, grown, [{ id: 1 }], 5000, scripted({ exists: true, live: ordersLive }, calls));
  t.deepEqual(trial.ddl, ['ALTER TABLE "orders" ADD ("note" NCLOB)']);
  t.is(trial.outcomes, undefined);
  t.false(calls.some((call) => call.includes('ALTER')));
});

test('a table that matches: the rows are tried without committing, then rolled back; each batch error lands on its row', async (t) => {
  const calls: string[] = [];
  const rows = [
    { id: 1, amount: 1 },
    { id: 2, amount: 'not a number' },
    { id: 3, amount: -5 },
    { id: 4, amount: 2 },
  ];
  const errors = [{ offset: 1, message: 'ORA-02290: check constraint (ETL.AMOUNT_POSITIVE) violated' }];
  const trial = await tryOnOracle(config, orders, rows, 5000, scripted({ exists: true, live: ordersLive, batchErrors: errors }, calls));
  // Row 1 cannot bind (no number): set aside before the batch, so the batch's offset 1 is row 2.
  t.deepEqual(
    trial.outcomes?.map((outcome) => outcome?.code ?? 'ok'),
    ['ok', 'INVALID_VALUE', 'ORA-02290', 'ok'],
  );
  t.regex(trial.outcomes?.[2]?.message ?? '', /check constraint/);
  t.deepEqual(trial.ddl, []);
  t.is(trial.error, undefined);
  const many = calls.find((call) => call.startsWith('executeMany'));
  t.is(many, `executeMany ${writeSql(orders)} [[1,1],[3,-5],[4,2]] autoCommit=false batchErrors=true`);
  t.is(calls[calls.length - 1], 'rollback');
});

test('a mapper the table cannot take, and a target that cannot be reached, are reported as target errors', async (t) => {
  const clash: TableSpec = { ...orders, columns: [column('id', 'int', true), column('amount', 'json')] };
  const mismatch = await tryOnOracle(config, clash, [{ id: 1 }], 5000, scripted({ exists: true, live: ordersLive }, []));
  t.is(mismatch.error?.code, 'table_mismatch');
  t.regex(mismatch.error?.message ?? '', /column "amount" is BINARY_DOUBLE/);

  const unreachable: typeof withOracleSession = async () => {
    throw new ConnectorCheckError(
      'connection_refused',
      'Connection refused by oracle.example:1521: no Oracle listener on that host and port',
    );
  };
  const trial = await tryOnOracle(config, orders, [{ id: 1 }], 5000, unreachable);
  t.false(trial.reachable);
  t.deepEqual(trial.error, {
    code: 'connection_refused',
    message: 'Connection refused by oracle.example:1521: no Oracle listener on that host and port',
  });
});
