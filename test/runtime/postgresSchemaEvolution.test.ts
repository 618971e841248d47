import test from 'ava';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import { readPostgresColumns } from '../../runtime/sql/postgresCheck';
import { postgresTarget } from '../../runtime/targets/postgresTarget';
import { TargetError, type RowTarget, type TableSpec } from '../../runtime/targets/rowTarget';
import { closedPort } from '../fixtures/tcpPeers';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';

/**
 * Schema evolution of the PostgreSQL target, against the real server at TEST_PG_URL (unset, these
 * tests fail: they never pass by skipping): `prepare` adds the mapper's new columns to an
 * existing table (`evolution: 'add_columns'`), refuses them without evolution, and refuses a
 * column whose live type cannot take the mapper's values. Each test has a table of its own in
 * this file's schema.
 */

const schema = `popsink_evolution_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const tableName = (label: string) => `${label}_${randomUUID().slice(0, 8)}`;
const config = () => postgresTestConfig({ schema });

const column = (
  name: string,
  type: MapperColumn['type'],
  flags: Partial<Pick<MapperColumn, 'nullable' | 'primary_key'>> = {},
): MapperColumn => ({
  name,
  type,
  nullable: flags.nullable ?? !flags.primary_key,
  primary_key: flags.primary_key ?? false,
});

const select = <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> =>
  admin(async (client) => (await client.query<R>(sql, params)).rows);

async function withTarget(run: (target: RowTarget) => Promise<void>): Promise<void> {
  const target = postgresTarget(config());
  try {
    await run(target);
  } finally {
    await target.close();
  }
}

/** A pre-existing table of `definition`, made by "a DBA", with one row when `row` is given. */
async function existing(name: string, definition: string, row?: string): Promise<void> {
  await admin(async (client) => {
    await client.query(`CREATE TABLE "${schema}"."${name}" (${definition})`);
    if (row !== undefined) await client.query(`INSERT INTO "${schema}"."${name}" VALUES (${row})`);
  });
}

const columnsOf = (name: string) =>
  select<{ column_name: string; data_type: string; is_nullable: string }>(
    'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, name],
  );

test.before(async () => {
  await admin((client) => client.query(`CREATE SCHEMA ${schema}`));
});

test.after.always(async () => {
  if (process.env.TEST_PG_URL === undefined || process.env.TEST_PG_URL === '') return;
  await admin((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
});

test('add_columns: prepare adds the new mapper columns, nullable; old rows hold null, new rows carry them', async (t) => {
  const name = tableName('grown');
  await existing(name, 'id bigint PRIMARY KEY, name text', `1, 'old'`);
  const table: TableSpec = {
    name,
    // A non-nullable new column is added nullable all the same: the rows already there have no value for it.
    columns: [
      column('id', 'int', { primary_key: true }),
      column('name', 'string'),
      column('score', 'float', { nullable: false }),
      column('tags', 'json'),
      column('at', 'datetime'),
    ],
    evolution: 'add_columns',
  };
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.prepare(table); // a second start finds nothing to add
    await target.write(table, [{ id: 2, name: 'new', score: 1.5, tags: ['a'], at: '2024-05-01T10:00:00Z' }]);
  });
  t.deepEqual(await columnsOf(name), [
    { column_name: 'id', data_type: 'bigint', is_nullable: 'NO' },
    { column_name: 'name', data_type: 'text', is_nullable: 'YES' },
    { column_name: 'score', data_type: 'double precision', is_nullable: 'YES' },
    { column_name: 'tags', data_type: 'jsonb', is_nullable: 'YES' },
    { column_name: 'at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
  ]);
  const rows = await select<{ id: string; name: string; score: number | null; tags: unknown }>(
    `SELECT id, name, score, tags FROM "${schema}"."${name}" ORDER BY id`,
  );
  t.deepEqual(rows, [
    { id: '1', name: 'old', score: null, tags: null },
    { id: '2', name: 'new', score: 1.5, tags: ['a'] },
  ]);
});

test('without evolution (none, or not said) a missing column is still refused, naming it, and nothing is altered', async (t) => {
  const name = tableName('fixed');
  await existing(name, 'id bigint PRIMARY KEY');
  const columns = [column('id', 'int', { primary_key: true }), column('extra', 'string')];
  await withTarget(async (target) => {
    for (const table of [
      { name, columns, evolution: 'none' as const },
      { name, columns },
    ]) {
      const error = await t.throwsAsync(target.prepare(table), { instanceOf: TargetError });
      t.is(error?.kind, 'permanent');
      t.is(error?.code, 'table_mismatch');
      t.regex(error?.message ?? '', /"extra".*schema evolution is off/);
    }
  });
  t.deepEqual(
    (await columnsOf(name)).map((c) => c.column_name),
    ['id'],
  );
});

test("a column whose live type cannot take the mapper's values is refused, naming the column, its type and the mapper's", async (t) => {
  const name = tableName('clash');
  await existing(name, 'id bigint PRIMARY KEY, active boolean, payload integer, seen_at integer');
  const table: TableSpec = {
    name,
    columns: [
      column('id', 'int', { primary_key: true }),
      column('active', 'int'),
      column('payload', 'json'),
      column('seen_at', 'datetime'),
      column('added', 'string'),
    ],
    evolution: 'add_columns',
  };
  await withTarget(async (target) => {
    const error = await t.throwsAsync(target.prepare(table), { instanceOf: TargetError });
    t.is(error?.kind, 'permanent');
    t.is(error?.code, 'table_mismatch');
    t.regex(error?.message ?? '', /column "active" is boolean in the existing table, which cannot take the mapper's int values/);
    t.regex(error?.message ?? '', /column "payload" is integer .* json values/);
    t.regex(error?.message ?? '', /column "seen_at" is integer .* datetime values/);
  });
  // Refused before any change: the new column was not added either.
  t.deepEqual(
    (await columnsOf(name)).map((c) => c.column_name),
    ['id', 'active', 'payload', 'seen_at'],
  );
});

test('the rule is generous: text takes anything, numeric takes int and float, bigint a string, timestamp a date', async (t) => {
  const name = tableName('generous');
  await existing(name, 'id integer PRIMARY KEY, label varchar(40), amount numeric(12, 2), code bigint, day timestamp, note text, doc json');
  const table: TableSpec = {
    name,
    columns: [
      column('id', 'int', { primary_key: true }),
      column('label', 'int'),
      column('amount', 'float'),
      column('code', 'string'),
      column('day', 'date'),
      column('note', 'json'),
      column('doc', 'json'),
    ],
  };
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.write(table, [{ id: 1, label: 7, amount: 12.5, code: '42', day: '2024-05-01', note: { a: 1 }, doc: [1] }]);
  });
  t.deepEqual(await select(`SELECT id, label, amount, code FROM "${schema}"."${name}"`), [
    { id: 1, label: '7', amount: '12.50', code: '42' },
  ]);
});

test('a missing primary-key column cannot be added to an existing table', async (t) => {
  const name = tableName('keyless');
  await existing(name, 'name text');
  const table: TableSpec = {
    name,
    columns: [column('id', 'int', { primary_key: true }), column('name', 'string')],
    evolution: 'add_columns',
  };
  await withTarget(async (target) => {
    const error = await t.throwsAsync(target.prepare(table), { instanceOf: TargetError });
    t.is(error?.code, 'table_mismatch');
    t.regex(error?.message ?? '', /primary key column\(s\) "id"/);
  });
  t.deepEqual(
    (await columnsOf(name)).map((c) => c.column_name),
    ['name'],
  );
});

test('several workers adding the same columns at once all succeed', async (t) => {
  const name = tableName('race');
  await existing(name, 'id bigint PRIMARY KEY');
  const table: TableSpec = {
    name,
    columns: [column('id', 'int', { primary_key: true }), column('a', 'string'), column('b', 'bool')],
    evolution: 'add_columns',
  };
  const targets = Array.from({ length: 6 }, () => postgresTarget(config()));
  try {
    await Promise.all(targets.map((target) => target.prepare(table)));
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
  t.deepEqual(
    (await columnsOf(name)).map((c) => c.column_name),
    ['id', 'a', 'b'],
  );
});

test('readPostgresColumns (the PATCH check) reads the live columns, undefined for no table, and fails in time on a closed port', async (t) => {
  const name = tableName('read');
  await existing(name, 'id bigint, tags text[], mood text');
  t.deepEqual(await readPostgresColumns(config(), name), [
    { name: 'id', type: 'bigint', family: 'integer' },
    { name: 'tags', type: '_text', family: 'other' },
    { name: 'mood', type: 'text', family: 'text' },
  ]);
  t.is(await readPostgresColumns(config(), tableName('absent')), undefined);
  const started = Date.now();
  await t.throwsAsync(readPostgresColumns({ ...config(), host: '127.0.0.1', port: String(await closedPort()) }, name, { timeoutMs: 3000 }));
  t.true(Date.now() - started < 3000);
});
