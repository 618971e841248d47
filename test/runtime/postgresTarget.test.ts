import test from 'ava';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type PostgresTargetConfig } from '../../domain/connector/connectorConfig';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import type { Logger } from '../../infrastructure/logger';
import { postgresTarget } from '../../runtime/targets/postgresTarget';
import { ERROR_TABLE_COLUMNS, TargetError, type Row, type RowTarget, type TableSpec } from '../../runtime/targets/rowTarget';
import { closedPort } from '../fixtures/tcpPeers';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';

/**
 * Against a real PostgreSQL (scripts/services/postgres.sh) at TEST_PG_URL, which `npm test`
 * sets. Unset, these tests fail: they never pass by skipping. Each test writes to a table of its
 * own in this file's schema.
 */

const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
const schema = `popsink_target_${suffix}`;
/** A role of this file's own, so that one test may drop its sessions without touching the others'. */
const loner = { user: `popsink_loner_${suffix}`, password: `loner-${suffix}` };
const tableName = (label: string) => `${label}_${randomUUID().slice(0, 8)}`;

/** The connector config of the test server, writing to this file's schema. */
const config = (overrides: Partial<PostgresTargetConfig> = {}): PostgresTargetConfig => postgresTestConfig({ schema, ...overrides });

const select = <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> =>
  admin(async (client) => (await client.query<R>(sql, params)).rows);

async function withTarget(run: (target: RowTarget) => Promise<void>, overrides: Partial<PostgresTargetConfig> = {}): Promise<void> {
  const target = postgresTarget(config(overrides));
  try {
    await run(target);
  } finally {
    await target.close();
  }
}

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

/** A keyed table: `id` int primary key, `name` string, `score` float. */
const keyed = (name = tableName('keyed')): TableSpec => ({
  name,
  columns: [column('id', 'int', { primary_key: true }), column('name', 'string'), column('score', 'float')],
});

const rowsOf = (table: TableSpec, order = 'id') => select(`SELECT * FROM "${schema}"."${table.name}" ORDER BY ${order}`);

test.before(async () => {
  await admin(async (client) => {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE ROLE ${loner.user} LOGIN PASSWORD '${loner.password}'`);
    await client.query(`GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${loner.user}`);
  });
});

test.after.always(async () => {
  if (process.env.TEST_PG_URL === undefined || process.env.TEST_PG_URL === '') return;
  await admin((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  await admin((client) => client.query(`DROP SCHEMA IF EXISTS "weird ""schema""" CASCADE`));
  await admin((client) => client.query(`DROP ROLE IF EXISTS ${loner.user}`));
});

test("prepare creates the table with each cast's type, NOT NULL and the primary key", async (t) => {
  const table: TableSpec = {
    name: tableName('types'),
    columns: [
      column('tenant', 'string', { primary_key: true }),
      column('id', 'int', { primary_key: true }),
      column('price', 'float', { nullable: false }),
      column('active', 'bool'),
      column('day', 'date'),
      column('at', 'datetime'),
      column('clock', 'time'),
      column('doc', 'json'),
    ],
  };
  await withTarget((target) => target.prepare(table));

  const columns = await select<{ column_name: string; data_type: string; is_nullable: string }>(
    'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table.name],
  );
  t.deepEqual(
    columns.map((c) => [c.column_name, c.data_type, c.is_nullable]),
    [
      ['tenant', 'text', 'NO'],
      ['id', 'bigint', 'NO'],
      ['price', 'double precision', 'NO'],
      ['active', 'boolean', 'YES'],
      ['day', 'date', 'YES'],
      ['at', 'timestamp with time zone', 'YES'],
      ['clock', 'time without time zone', 'YES'],
      ['doc', 'jsonb', 'YES'],
    ],
  );
  const key = await select<{ column_name: string }>(
    `SELECT k.column_name FROM information_schema.table_constraints c
       JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
      WHERE c.table_schema = $1 AND c.table_name = $2 AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position`,
    [schema, table.name],
  );
  t.deepEqual(
    key.map((k) => k.column_name),
    ['tenant', 'id'],
  );
});

test('prepare keeps an existing table, and refuses one that lacks mapper columns, naming them', async (t) => {
  const table = keyed();
  await admin((client) => client.query(`CREATE TABLE "${schema}"."${table.name}" (id bigint PRIMARY KEY, name text, extra text)`));
  await admin((client) => client.query(`INSERT INTO "${schema}"."${table.name}" VALUES (1, 'kept', 'x')`));
  await withTarget(async (target) => {
    const error = await t.throwsAsync(target.prepare(table), { instanceOf: TargetError });
    t.is(error?.kind, 'permanent');
    t.is(error?.code, 'table_mismatch');
    t.regex(error?.message ?? '', /"score"/);
    await target.prepare({ ...table, columns: table.columns.filter((c) => c.name !== 'score') });
  });
  t.deepEqual(await rowsOf(table), [{ id: '1', name: 'kept', extra: 'x' }]);
});

test('a second write of the same key replaces the row', async (t) => {
  const table = keyed();
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.write(table, [
      { id: 1, name: 'one', score: 1.5 },
      { id: 2, name: 'two', score: 2.5 },
    ]);
    await target.write(table, [{ id: 1, name: 'ONE', score: null }]);
  });
  t.deepEqual(await rowsOf(table), [
    { id: '1', name: 'ONE', score: null },
    { id: '2', name: 'two', score: 2.5 },
  ]);
});

test("a key repeated within one batch ends with the batch's last row", async (t) => {
  const table: TableSpec = {
    name: tableName('dupes'),
    columns: [column('k1', 'string', { primary_key: true }), column('k2', 'int', { primary_key: true }), column('v', 'string')],
  };
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.write(table, [
      { k1: 'a', k2: 1, v: 'first' },
      { k1: 'a', k2: 2, v: 'other' },
      { k1: 'a', k2: 1, v: 'second' },
      { k1: 'a', k2: 1, v: 'last' },
    ]);
  });
  t.deepEqual(await rowsOf(table, 'k1, k2'), [
    { k1: 'a', k2: '1', v: 'last' },
    { k1: 'a', k2: '2', v: 'other' },
  ]);
});

/** 8 columns: 20,000 rows are 160,000 values, three statements of at most 65,535. */
const wide = (name: string): TableSpec => ({
  name,
  columns: [column('id', 'int', { primary_key: true }), ...Array.from({ length: 7 }, (_, i) => column(`c${i}`, 'string'))],
});
const wideRow = (id: number): Row => Object.fromEntries([['id', id], ...Array.from({ length: 7 }, (_, i) => [`c${i}`, `v${id}-${i}`])]);

test('a 20,000-row batch (more values than one statement may bind) lands entirely', async (t) => {
  const table = wide(tableName('big'));
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.write(
      table,
      Array.from({ length: 20_000 }, (_, i) => wideRow(i)),
    );
  });
  const [summary] = await select<{ n: string; low: string; high: string; sample: string }>(
    `SELECT count(*) AS n, min(id) AS low, max(id) AS high, max(c6) FILTER (WHERE id = 19999) AS sample FROM "${schema}"."${table.name}"`,
  );
  t.deepEqual(summary, { n: '20000', low: '0', high: '19999', sample: 'v19999-6' });
});

test('a batch that fails writes nothing, even past its first statement', async (t) => {
  const table = wide(tableName('atomic'));
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.write(table, [wideRow(1)]);
    const rows = Array.from({ length: 20_000 }, (_, i) => wideRow(i + 100));
    rows.push({ ...wideRow(1), c0: 'changed' }, { ...wideRow(50_000), id: 'not a number' });
    const error = await t.throwsAsync(target.write(table, rows), { instanceOf: TargetError });
    t.is(error?.kind, 'rejected');
  });
  t.deepEqual(await rowsOf(table), [{ ...wideRow(1), id: '1' }]);
});

test('every type round-trips: date, timestamptz, time, jsonb, bool, float, bigint and null', async (t) => {
  const table: TableSpec = {
    name: tableName('roundtrip'),
    columns: [
      column('id', 'int', { primary_key: true }),
      column('big', 'int'),
      column('price', 'float'),
      column('active', 'bool'),
      column('day', 'date'),
      column('at', 'datetime'),
      column('clock', 'time'),
      column('doc', 'json'),
      column('list', 'json'),
      column('label', 'string'),
    ],
  };
  const doc = { a: [1, 'two', { three: null }], 'quote"': 'é\u{1F600}' };
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.write(table, [
      {
        id: 1,
        big: 9007199254740991,
        price: 0.1,
        active: true,
        day: '2024-02-29',
        at: '2024-02-29T23:59:59.123456Z',
        clock: '13:45:07.5',
        doc,
        list: [1, 2],
        label: "it's",
      },
      {
        id: 2,
        big: -1,
        price: -1e300,
        active: false,
        day: '0001-01-01',
        at: '1970-01-01T00:00:00Z',
        clock: '00:00:00',
        doc: 'just a string',
        list: 7,
        label: '',
      },
      { id: 3, big: null, price: null, active: null, day: null, at: null, clock: null, doc: null, list: undefined, label: null },
    ]);
  });
  const rows = await select(
    `SELECT id, big, price, active, day::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at, clock::text, doc, list, label
       FROM "${schema}"."${table.name}" ORDER BY id`,
  );
  t.deepEqual(rows, [
    {
      id: '1',
      big: '9007199254740991',
      price: 0.1,
      active: true,
      day: '2024-02-29',
      at: '2024-02-29T23:59:59.123456',
      clock: '13:45:07.5',
      doc,
      list: [1, 2],
      label: "it's",
    },
    {
      id: '2',
      big: '-1',
      price: -1e300,
      active: false,
      day: '0001-01-01',
      at: '1970-01-01T00:00:00.000000',
      clock: '00:00:00',
      doc: 'just a string',
      list: 7,
      label: '',
    },
    { id: '3', big: null, price: null, active: null, day: null, at: null, clock: null, doc: null, list: null, label: null },
  ]);
});

test('hostile names are just names: quotes, semicolons, comments and reserved words', async (t) => {
  const weirdSchema = 'weird "schema"';
  await admin((client) => client.query(`CREATE SCHEMA "weird ""schema"""`));
  const table: TableSpec = {
    name: 'weird "name"; DROP TABLE x; --',
    columns: [
      column('offset', 'int', { primary_key: true }),
      column('select', 'string'),
      column('a"b', 'json'),
      column('Mixed Case', 'bool'),
    ],
  };
  await withTarget(
    async (target) => {
      await target.prepare(table);
      await target.write(table, [{ offset: 1, select: 'x', 'a"b': { ok: true }, 'Mixed Case': true }]);
      await target.write(table, [{ offset: 1, select: 'y', 'a"b': { ok: false }, 'Mixed Case': false }]);
    },
    { schema: weirdSchema },
  );
  t.deepEqual(await select('SELECT * FROM "weird ""schema"""."weird ""name""; DROP TABLE x; --"'), [
    { offset: '1', select: 'y', 'a"b': { ok: false }, 'Mixed Case': false },
  ]);
});

test('a name PostgreSQL would truncate (over 63 bytes), an empty one or one with NUL is refused before any SQL', async (t) => {
  const fits = 'é'.repeat(31) + 'x';
  const refused = ['x'.repeat(64), 'é'.repeat(32), '', 'a\0b'];
  await withTarget(async (target) => {
    for (const name of refused) {
      const asTable = await t.throwsAsync(target.prepare({ name, columns: [column('id', 'int')] }), { instanceOf: TargetError });
      t.is(asTable?.kind, 'permanent');
      t.is(asTable?.code, 'invalid_identifier');
      const asColumn = await t.throwsAsync(target.write({ name: tableName('cols'), columns: [column(name, 'int')] }, [{ [name]: 1 }]), {
        instanceOf: TargetError,
      });
      t.is(asColumn?.code, 'invalid_identifier');
    }
    await target.prepare({ name: fits, columns: [column('id', 'int')] });
    await target.write({ name: fits, columns: [column('id', 'int')] }, [{ id: 1 }]);
  });
  t.deepEqual(await select(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'é%'`, [schema]), [
    { table_name: fits },
  ]);
});

test('the error table (reserved words `offset`, `partition`, composite key) upserts by topic, partition and offset', async (t) => {
  const table: TableSpec = { name: tableName('errors'), columns: ERROR_TABLE_COLUMNS };
  const failure = (offset: string, error: string): Row => ({
    topic: 'orders',
    partition: 3,
    offset,
    message_timestamp: '2024-05-01T10:00:00Z',
    payload: '{"bad": json',
    error_column: '$',
    error,
    failed_at: '2024-05-01T10:00:01.5Z',
  });
  await withTarget(async (target) => {
    await target.prepare(table);
    await target.write(table, [failure('41', 'not JSON'), failure('42', 'not JSON')]);
    await target.write(table, [failure('42', 'replayed')]);
  });
  const rows = await select<{ offset: string; error: string }>(`SELECT "offset", error FROM "${schema}"."${table.name}" ORDER BY "offset"`);
  t.deepEqual(rows, [
    { offset: '41', error: 'not JSON' },
    { offset: '42', error: 'replayed' },
  ]);
});

test('a table of key columns only ignores a replay; a table without a key appends', async (t) => {
  const keysOnly: TableSpec = {
    name: tableName('keys'),
    columns: [column('a', 'string', { primary_key: true }), column('b', 'int', { primary_key: true })],
  };
  const unkeyed: TableSpec = { name: tableName('log'), columns: [column('line', 'string')] };
  await withTarget(async (target) => {
    await target.prepare(keysOnly);
    await target.prepare(unkeyed);
    for (let i = 0; i < 2; i++) {
      await target.write(keysOnly, [
        { a: 'x', b: 1 },
        { a: 'x', b: 1 },
        { a: 'y', b: 1 },
      ]);
      await target.write(unkeyed, [{ line: 'same' }, { line: 'same' }]);
    }
  });
  t.deepEqual(await rowsOf(keysOnly, 'a'), [
    { a: 'x', b: '1' },
    { a: 'y', b: '1' },
  ]);
  t.deepEqual(
    await rowsOf(unkeyed, 'line'),
    Array.from({ length: 4 }, () => ({ line: 'same' })),
  );
});

test('several workers preparing the same new table at once all succeed', async (t) => {
  const table = keyed();
  const targets = Array.from({ length: 6 }, () => postgresTarget(config()));
  try {
    await Promise.all(targets.map((target) => target.prepare(table)));
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
  t.deepEqual(await rowsOf(table), []);
});

test('a closed port is transient (retry later)', async (t) => {
  const port = String(await closedPort());
  await withTarget(
    async (target) => {
      const error = await t.throwsAsync(target.write(keyed(), [{ id: 1 }]), { instanceOf: TargetError });
      t.is(error?.kind, 'transient');
      t.is(error?.code, 'unreachable');
      const again = await t.throwsAsync(target.prepare(keyed()), { instanceOf: TargetError });
      t.is(again?.kind, 'transient');
    },
    { host: '127.0.0.1', port },
  );
});

test('a wrong password is permanent, and never echoed', async (t) => {
  const wrong = `wrong-${randomUUID()}`;
  await withTarget(
    async (target) => {
      const error = await t.throwsAsync(target.prepare(keyed()), { instanceOf: TargetError });
      t.is(error?.kind, 'permanent');
      t.is(error?.code, 'auth_failed');
      t.false(error?.message.includes(wrong));
      t.false(error?.stack?.includes(wrong));
    },
    { password: wrong },
  );
});

test('a value the existing column refuses is a rejection of the row, with its SQLSTATE', async (t) => {
  const table = keyed();
  await admin((client) =>
    client.query(`CREATE TABLE "${schema}"."${table.name}" (id bigint PRIMARY KEY, name bigint, score double precision)`),
  );
  await withTarget(async (target) => {
    await target.prepare(table);
    const error = await t.throwsAsync(target.write(table, [{ id: 1, name: 'not a number', score: 1 }]), { instanceOf: TargetError });
    t.is(error?.kind, 'rejected');
    t.is(error?.code, 'invalid_value');
    t.is(error?.targetCode, '22P02');
    t.regex(error?.message ?? '', /SQLSTATE 22P02/);
    // The failure left the pool usable.
    await target.write(table, [{ id: 1, name: '7', score: 1 }]);
  });
  t.deepEqual(await rowsOf(table), [{ id: '1', name: '7', score: 1 }]);
});

test('a connection the server drops while idle is logged, not fatal, and replaced', async (t) => {
  const table = keyed();
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => warnings.push(message),
    error: () => undefined,
  };
  const target = postgresTarget(config(loner), { logger });
  try {
    await target.prepare(table);
    await target.write(table, [{ id: 1, name: 'before' }]);
    const [killed] = await select<{ n: number }>(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE usename = $1',
      [loner.user],
    );
    t.true((killed?.n ?? 0) > 0);
    for (let waited = 0; warnings.length === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    t.true(warnings.length > 0);
    await target.write(table, [{ id: 1, name: 'after' }]);
  } finally {
    await target.close();
    await target.close();
  }
  t.deepEqual(await rowsOf(table), [{ id: '1', name: 'after', score: null }]);
});
