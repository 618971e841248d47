import test, { type ExecutionContext } from 'ava';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import { bindValue, createTableSql, PLAIN_TEXT_MAX, quoteIdentifier, writeBatch, writeSql } from '../../runtime/targets/oracleSql';
import { ERROR_TABLE_COLUMNS, TargetError, type TableSpec } from '../../runtime/targets/rowTarget';
import { addColumnsSql, LIVE_COLUMNS_SQL, liveColumnsFrom, schemaChangesSql, trialBatch } from '../../runtime/targets/oracleSql';

const column = (name: string, type: MapperColumn['type'], nullable = true): MapperColumn => ({ name, type, nullable, primary_key: false });
const key = (name: string, type: MapperColumn['type']): MapperColumn => ({ name, type, nullable: false, primary_key: true });

const orders: TableSpec = { name: 'orders', columns: [key('id', 'int'), column('amount', 'float'), column('note', 'string')] };
/** The first eight columns of an error table: its original layout, enough to pin the SQL down. */
const errorTable: TableSpec = { name: 'orders_errors', columns: ERROR_TABLE_COLUMNS.slice(0, 8) };

const refusal = (t: ExecutionContext, run: () => unknown, code: string): TargetError | undefined => {
  const error = t.throws(run, { instanceOf: TargetError });
  t.is(error?.kind, 'permanent');
  t.is(error?.code, code);
  return error;
};

test('names are quoted as they are, keywords and spaces included', (t) => {
  t.is(quoteIdentifier('offset'), '"offset"');
  t.is(quoteIdentifier('a b'), '"a b"');
  t.is(quoteIdentifier('Order'), '"Order"');
  t.is(quoteIdentifier('é'.repeat(64)), `"${'é'.repeat(64)}"`); // 128 bytes
});

test('a name Oracle cannot quote is refused, never escaped', (t) => {
  const quote = refusal(t, () => quoteIdentifier('a"b'), 'INVALID_IDENTIFIER');
  t.is(quote?.message, `"a\\"b" cannot be an Oracle name: it needs 1 to 128 bytes, without '"' or NUL`);
  refusal(t, () => quoteIdentifier('a\0b'), 'INVALID_IDENTIFIER');
  refusal(t, () => quoteIdentifier(''), 'INVALID_IDENTIFIER');
  refusal(t, () => quoteIdentifier('x'.repeat(129)), 'INVALID_IDENTIFIER');
  // 65 characters, but 130 bytes: the limit is in bytes.
  refusal(t, () => quoteIdentifier('é'.repeat(65)), 'INVALID_IDENTIFIER');
});

test('every cast has its column type; NOT NULL and checks where due', (t) => {
  const table: TableSpec = {
    name: 'all types',
    columns: [
      column('s', 'string', false),
      column('i', 'int'),
      column('f', 'float'),
      column('b', 'bool'),
      column('d', 'date'),
      column('dt', 'datetime'),
      column('tm', 'time'),
      column('j', 'json'),
    ],
  };
  t.is(
    createTableSql(table),
    'CREATE TABLE "all types" ("s" NCLOB NOT NULL, "i" NUMBER(19), "f" BINARY_DOUBLE, "b" NUMBER(1) CHECK ("b" IN (0, 1)), ' +
      '"d" DATE, "dt" TIMESTAMP(6) WITH TIME ZONE, "tm" VARCHAR2(15), "j" CLOB CHECK ("j" IS JSON))',
  );
});

test('a key column gets a type Oracle accepts in a key: no LOB, no zoned timestamp', (t) => {
  const table: TableSpec = { name: 'keys', columns: [key('s', 'string'), key('dt', 'datetime'), key('j', 'json'), key('b', 'bool')] };
  t.is(
    createTableSql(table),
    'CREATE TABLE "keys" ("s" NVARCHAR2(1000) NOT NULL, "dt" TIMESTAMP(6) NOT NULL, "j" VARCHAR2(2000) NOT NULL CHECK ("j" IS JSON), ' +
      '"b" NUMBER(1) NOT NULL CHECK ("b" IN (0, 1)), PRIMARY KEY ("s", "dt", "j", "b"))',
  );
});

test('the error table: a composite key over topic, partition and offset', (t) => {
  t.is(
    createTableSql(errorTable),
    'CREATE TABLE "orders_errors" ("topic" NVARCHAR2(1000) NOT NULL, "partition" NUMBER(19) NOT NULL, "offset" NVARCHAR2(1000) NOT NULL, ' +
      '"message_timestamp" TIMESTAMP(6) WITH TIME ZONE, "payload" NCLOB, "error_column" NCLOB, "error" NCLOB NOT NULL, ' +
      '"failed_at" TIMESTAMP(6) WITH TIME ZONE NOT NULL, PRIMARY KEY ("topic", "partition", "offset"))',
  );
});

test('a bad column or table name is refused before any SQL is made', (t) => {
  refusal(t, () => createTableSql({ name: 'ok', columns: [column('x"y', 'int')] }), 'INVALID_IDENTIFIER');
  refusal(t, () => writeSql({ name: 'a"; DROP TABLE users; --', columns: [column('x', 'int')] }), 'INVALID_IDENTIFIER');
});

test('one key: a MERGE on it that updates the other columns', (t) => {
  t.is(
    writeSql(orders),
    'MERGE INTO "orders" t USING (SELECT :1 AS "id", :2 AS "amount", :3 AS "note" FROM dual) s ON (t."id" = s."id") ' +
      'WHEN MATCHED THEN UPDATE SET t."amount" = s."amount", t."note" = s."note" ' +
      'WHEN NOT MATCHED THEN INSERT ("id", "amount", "note") VALUES (s."id", s."amount", s."note")',
  );
});

test('a composite key: every key column in ON, dates and datetimes converted from their text', (t) => {
  t.is(
    writeSql(errorTable),
    'MERGE INTO "orders_errors" t USING (SELECT :1 AS "topic", :2 AS "partition", :3 AS "offset", ' +
      `FROM_TZ(TO_TIMESTAMP(:4, 'YYYY-MM-DD HH24:MI:SS.FF6'), '+00:00') AS "message_timestamp", :5 AS "payload", :6 AS "error_column", ` +
      `:7 AS "error", FROM_TZ(TO_TIMESTAMP(:8, 'YYYY-MM-DD HH24:MI:SS.FF6'), '+00:00') AS "failed_at" FROM dual) s ` +
      'ON (t."topic" = s."topic" AND t."partition" = s."partition" AND t."offset" = s."offset") ' +
      'WHEN MATCHED THEN UPDATE SET t."message_timestamp" = s."message_timestamp", t."payload" = s."payload", ' +
      't."error_column" = s."error_column", t."error" = s."error", t."failed_at" = s."failed_at" ' +
      'WHEN NOT MATCHED THEN INSERT ("topic", "partition", "offset", "message_timestamp", "payload", "error_column", "error", "failed_at") ' +
      'VALUES (s."topic", s."partition", s."offset", s."message_timestamp", s."payload", s."error_column", s."error", s."failed_at")',
  );
});

test('no key: a plain INSERT', (t) => {
  t.is(
    writeSql({ name: 'events', columns: [column('d', 'date'), column('at', 'datetime'), column('j', 'json')] }),
    `INSERT INTO "events" ("d", "at", "j") VALUES (TO_DATE(:1, 'YYYY-MM-DD'), FROM_TZ(TO_TIMESTAMP(:2, 'YYYY-MM-DD HH24:MI:SS.FF6'), '+00:00'), :3)`,
  );
});

test('every column a key: a MERGE that only inserts; a key datetime stays in UTC without a zone', (t) => {
  t.is(
    writeSql({ name: 'seen', columns: [key('id', 'string'), key('day', 'date'), key('at', 'datetime')] }),
    `MERGE INTO "seen" t USING (SELECT :1 AS "id", TO_DATE(:2, 'YYYY-MM-DD') AS "day", TO_TIMESTAMP(:3, 'YYYY-MM-DD HH24:MI:SS.FF6') AS "at" FROM dual) s ` +
      'ON (t."id" = s."id" AND t."day" = s."day" AND t."at" = s."at") ' +
      'WHEN NOT MATCHED THEN INSERT ("id", "day", "at") VALUES (s."id", s."day", s."at")',
  );
});

test('datetimes are normalised to microseconds at UTC, whatever fraction the mapper wrote', (t) => {
  const at = column('at', 'datetime');
  t.is(bindValue(at, '2024-02-29T13:04:05Z'), '2024-02-29 13:04:05.000000');
  t.is(bindValue(at, '2024-02-29T13:04:05.5Z'), '2024-02-29 13:04:05.500000');
  t.is(bindValue(at, '0001-01-01T00:00:00.000001Z'), '0001-01-01 00:00:00.000001');
  refusal(t, () => bindValue(at, '2024-02-29T13:04:05+01:00'), 'INVALID_VALUE');
  refusal(t, () => bindValue(at, '2024-02-29'), 'INVALID_VALUE');
});

test('values become their binds: booleans as 1 / 0, JSON as ASCII text, absent as null', (t) => {
  t.is(bindValue(column('b', 'bool'), true), 1);
  t.is(bindValue(column('b', 'bool'), false), 0);
  t.is(bindValue(column('d', 'date'), '2024-01-31'), '2024-01-31');
  t.is(bindValue(column('tm', 'time'), '23:59:59.999999'), '23:59:59.999999');
  t.is(bindValue(column('i', 'int'), -42), -42);
  t.is(bindValue(column('s', 'string'), ''), '');
  t.is(bindValue(column('s', 'string'), undefined), null);
  t.is(bindValue(column('j', 'json'), null), null);
  const document = { name: 'Zoë', tags: ['日本', '😀'], n: 1.5, ok: true };
  const text = bindValue(column('j', 'json'), document);
  t.is(text, '{"name":"Zo\\u00eb","tags":["\\u65e5\\u672c","\\ud83d\\ude00"],"n":1.5,"ok":true}');
  t.deepEqual(JSON.parse(String(text)), document);
});

test('a value of the wrong kind for its column is a permanent failure naming the column', (t) => {
  const error = refusal(t, () => bindValue(column('qty', 'int'), '12'), 'INVALID_VALUE');
  t.is(error?.message, 'Column "qty" (int) cannot take "12"');
  refusal(t, () => bindValue(column('b', 'bool'), 1), 'INVALID_VALUE');
  refusal(t, () => bindValue(column('d', 'date'), '31/01/2024'), 'INVALID_VALUE');
});

test('a batch keeps one row per key, the last, and binds in column order', (t) => {
  const batch = writeBatch(orders, [
    { id: 1, amount: 1.5, note: 'first' },
    { id: 2, amount: 2, note: null },
    { id: 1, amount: 3.25, note: 'second' },
  ]);
  t.deepEqual(batch.binds, [
    [1, 3.25, 'second'],
    [2, 2, null],
  ]);
  t.deepEqual(batch.bindDefs, [{ type: 'NUMBER' }, { type: 'BINARY_DOUBLE' }, { type: 'NVARCHAR', maxSize: 6 }]);
  t.is(batch.sql, writeSql(orders));
});

test('a composite key dedupes on all its columns; without a key every row is kept', (t) => {
  const failure = (offset: string, error: string) => ({ topic: 't', partition: 0, offset, error, failed_at: '2024-01-01T00:00:00Z' });
  const errors = writeBatch(errorTable, [failure('7', 'a'), failure('8', 'b'), failure('7', 'c')]);
  t.deepEqual(
    errors.binds.map((row) => [row[2], row[6]]),
    [
      ['7', 'c'],
      ['8', 'b'],
    ],
  );
  const events: TableSpec = { name: 'events', columns: [column('n', 'int')] };
  t.deepEqual(writeBatch(events, [{ n: 1 }, { n: 1 }]).binds, [[1], [1]]);
});

test('a long text is bound as a LOB, a short one as plain text; a key never as a LOB', (t) => {
  const table: TableSpec = {
    name: 'docs',
    columns: [key('id', 'string'), column('body', 'string'), column('meta', 'json'), column('at', 'datetime'), column('b', 'bool')],
  };
  const short = writeBatch(table, [{ id: 'é', body: 'x'.repeat(PLAIN_TEXT_MAX), meta: { a: 1 }, at: '2024-01-01T00:00:00Z', b: true }]);
  t.deepEqual(short.bindDefs, [
    { type: 'NVARCHAR', maxSize: 2 }, // bytes, in UTF-8
    { type: 'NVARCHAR', maxSize: PLAIN_TEXT_MAX },
    { type: 'VARCHAR', maxSize: 7 },
    { type: 'VARCHAR', maxSize: 26 },
    { type: 'NUMBER' },
  ]);
  const long = writeBatch(table, [
    { id: 'k'.repeat(PLAIN_TEXT_MAX + 1), body: 'x'.repeat(PLAIN_TEXT_MAX + 1), meta: { a: 'y'.repeat(PLAIN_TEXT_MAX) } },
    { id: 'short', body: 'short', meta: null },
  ]);
  t.deepEqual(long.bindDefs.slice(0, 3), [{ type: 'NVARCHAR', maxSize: PLAIN_TEXT_MAX + 1 }, { type: 'NCLOB' }, { type: 'CLOB' }]);
});

test("only a row's own properties are read: a column named constructor is not Object's", (t) => {
  const table: TableSpec = { name: 'odd', columns: [column('constructor', 'string'), column('toString', 'json')] };
  t.deepEqual(writeBatch(table, [{}]).binds, [[null, null]]);
});

// Schema evolution and the dry run's batch.

/** The live columns of `orders` as Oracle describes the table createTableSql made: NUMBER(19) has scale 0. */
const ordersLive = liveColumnsFrom([
  ['id', 'NUMBER', 0],
  ['amount', 'BINARY_DOUBLE', null],
  ['note', 'NCLOB', null],
]);

test('the live columns are read from USER_TAB_COLUMNS by exact name, in order', (t) => {
  t.is(LIVE_COLUMNS_SQL, 'SELECT COLUMN_NAME, DATA_TYPE, DATA_SCALE FROM USER_TAB_COLUMNS WHERE TABLE_NAME = :1 ORDER BY COLUMN_ID');
  t.deepEqual(
    ordersLive.map((c) => [c.name, c.family]),
    [
      ['id', 'integer'],
      ['amount', 'decimal'],
      ['note', 'text'],
    ],
  );
});

test('a missing table is created; a table that matches needs nothing', (t) => {
  t.deepEqual(schemaChangesSql(orders, undefined), [createTableSql(orders)]);
  t.deepEqual(schemaChangesSql({ ...orders, evolution: 'add_columns' }, ordersLive), []);
});

test('add_columns: one ALTER TABLE … ADD of the missing columns, nullable, never a key, checks kept', (t) => {
  const grown: TableSpec = {
    ...orders,
    columns: [
      ...orders.columns,
      { name: 'paid', type: 'bool', nullable: false, primary_key: false },
      column('meta', 'json'),
      column('at', 'datetime'),
    ],
    evolution: 'add_columns',
  };
  t.deepEqual(schemaChangesSql(grown, ordersLive), [
    'ALTER TABLE "orders" ADD ("paid" NUMBER(1) CHECK ("paid" IN (0, 1)), "meta" CLOB CHECK ("meta" IS JSON), "at" TIMESTAMP(6) WITH TIME ZONE)',
  ]);
  t.is(addColumnsSql(orders, [key('code', 'string')]), 'ALTER TABLE "orders" ADD ("code" NCLOB)');
});

test('without evolution a missing column is refused; so is a missing key column, even with it', (t) => {
  const grown: TableSpec = { ...orders, columns: [...orders.columns, column('paid', 'bool')] };
  const off = refusal(t, () => schemaChangesSql(grown, ordersLive), 'table_mismatch');
  t.regex(off?.message ?? '', /"paid" \(schema evolution is off\)/);
  const keyed: TableSpec = { ...orders, columns: [...orders.columns, key('tenant', 'string')], evolution: 'add_columns' };
  t.regex(refusal(t, () => schemaChangesSql(keyed, ordersLive), 'table_mismatch')?.message ?? '', /primary key column\(s\) "tenant"/);
});

test("a live column that cannot take the mapper's type is refused, naming it; bool fits a NUMBER, datetime a DATE", (t) => {
  const live = liveColumnsFrom([
    ['id', 'NUMBER', 0],
    ['amount', 'NUMBER', 0],
    ['note', 'DATE', null],
  ]);
  const changed: TableSpec = { ...orders, evolution: 'add_columns' };
  const error = refusal(t, () => schemaChangesSql(changed, live), 'table_mismatch');
  t.regex(error?.message ?? '', /column "amount" is NUMBER \(whole\) in the existing table, which cannot take the mapper's float values/);
  t.notRegex(error?.message ?? '', /"note"/); // a string goes anywhere: the database parses it
  const fits: TableSpec = { name: 'orders', columns: [key('id', 'bool'), column('amount', 'int'), column('note', 'datetime')] };
  t.deepEqual(schemaChangesSql(fits, live), []);
});

test("the dry run's batch binds every row on its own (no merging by key) and sets aside a row that cannot bind", (t) => {
  const { batch, indexes, unbound } = trialBatch(orders, [
    { id: 1, amount: 1.5 },
    { id: 1, amount: 'x' },
    { id: 1, amount: 2 },
  ]);
  t.is(batch.sql, writeSql(orders));
  t.deepEqual(batch.binds, [
    [1, 1.5, null],
    [1, 2, null],
  ]);
  t.deepEqual(indexes, [0, 2]);
  t.deepEqual(
    unbound.map(({ index, error }) => [index, error.code]),
    [[1, 'INVALID_VALUE']],
  );
});
