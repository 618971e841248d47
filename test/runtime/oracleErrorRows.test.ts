import test from 'ava';
import { oracleErrorRowsSql } from '../../runtime/errorRows/oracleErrorRows';
import { TargetError } from '../../runtime/targets/rowTarget';

// The Oracle error-row reader's SQL, as text: no Oracle server runs here (the reader's session
// handling is the check's, withOracleSession, tested in oracleCheck.test.ts).

const COLUMNS =
  '"topic", "partition", "offset", "message_timestamp", "payload", "error_column", "error", "failed_at", "key_base64", "key_text", "value_base64", "headers", "stage", "error_code", "pipeline_version", "attempts", "replayed_at", "replay_outcome"';

test('no filter: the rows of the topic, by partition then offset as a number, paged with OFFSET / FETCH; values bound', (t) => {
  const { count, page } = oracleErrorRowsSql('orders_errors', 'orders', {}, { skip: 0, limit: 50 });
  t.is(count.text, 'SELECT COUNT(*) FROM "orders_errors" WHERE "topic" = :1');
  t.deepEqual(count.values, ['orders']);
  t.is(
    page.text,
    `SELECT ${COLUMNS} FROM "orders_errors" WHERE "topic" = :1 ORDER BY "partition", TO_NUMBER("offset") OFFSET :2 ROWS FETCH NEXT :3 ROWS ONLY`,
  );
  t.deepEqual(page.values, ['orders', 0, 50]);
});

test('every filter: NCLOB texts compared by their first characters, offsets as numbers, times bound as the target binds a datetime', (t) => {
  const { count, page } = oracleErrorRowsSql(
    'orders_errors',
    'orders',
    {
      reason_code: 'ORA-02290',
      stage: 'target',
      partition: 2,
      offset_from: '10',
      offset_to: '99',
      since: '2025-01-01T00:00:00.000Z',
      until: '2025-02-01T12:30:00.250Z',
      replayed: true,
    },
    { skip: 100, limit: 25 },
  );
  const where = [
    '"topic" = :1',
    'DBMS_LOB.SUBSTR("error_code", 1000, 1) = :2',
    'DBMS_LOB.SUBSTR("stage", 1000, 1) = :3',
    '"partition" = :4',
    'TO_NUMBER("offset") >= TO_NUMBER(:5)',
    'TO_NUMBER("offset") <= TO_NUMBER(:6)',
    `"failed_at" >= FROM_TZ(TO_TIMESTAMP(:7, 'YYYY-MM-DD HH24:MI:SS.FF6'), '+00:00')`,
    `"failed_at" < FROM_TZ(TO_TIMESTAMP(:8, 'YYYY-MM-DD HH24:MI:SS.FF6'), '+00:00')`,
    '"replayed_at" IS NOT NULL',
  ].join(' AND ');
  t.is(count.text, `SELECT COUNT(*) FROM "orders_errors" WHERE ${where}`);
  const binds = ['orders', 'ORA-02290', 'target', 2, '10', '99', '2025-01-01 00:00:00.000000', '2025-02-01 12:30:00.250000'];
  t.deepEqual(count.values, binds);
  t.is(
    page.text,
    `SELECT ${COLUMNS} FROM "orders_errors" WHERE ${where} ORDER BY "partition", TO_NUMBER("offset") OFFSET :9 ROWS FETCH NEXT :10 ROWS ONLY`,
  );
  t.deepEqual(page.values, [...binds, 100, 25]);
});

test('what a replay asks: rows by id, applied or not (a null outcome is not applied)', (t) => {
  const byIds = oracleErrorRowsSql(
    'e',
    'orders',
    {
      ids: [
        { partition: 0, offset: '17' },
        { partition: 1, offset: '4' },
      ],
    },
    { skip: 0, limit: 2 },
  );
  t.is(
    byIds.count.text,
    'SELECT COUNT(*) FROM "e" WHERE "topic" = :1 AND (("partition" = :2 AND "offset" = :3) OR ("partition" = :4 AND "offset" = :5))',
  );
  t.deepEqual(byIds.count.values, ['orders', 0, '17', 1, '4']);
  t.is(
    oracleErrorRowsSql('e', 'orders', { ids: [] }, { skip: 0, limit: 1 }).count.text,
    'SELECT COUNT(*) FROM "e" WHERE "topic" = :1 AND 1 = 0',
  );

  const pending = oracleErrorRowsSql('e', 'orders', { replayed: false, applied: false }, { skip: 0, limit: 10 }).count;
  t.is(
    pending.text,
    'SELECT COUNT(*) FROM "e" WHERE "topic" = :1 AND "replayed_at" IS NULL AND ("replay_outcome" IS NULL OR DBMS_LOB.SUBSTR("replay_outcome", 1000, 1) <> :2)',
  );
  t.deepEqual(pending.values, ['orders', 'applied']);
  const applied = oracleErrorRowsSql('e', 'orders', { applied: true }, { skip: 0, limit: 0 }).count;
  t.is(applied.text, 'SELECT COUNT(*) FROM "e" WHERE "topic" = :1 AND DBMS_LOB.SUBSTR("replay_outcome", 1000, 1) = :2');
});

test('a table name Oracle cannot hold exactly is refused, never altered; a hostile topic is only a bound value', (t) => {
  t.throws(() => oracleErrorRowsSql('e"; DROP TABLE x --', 'orders', {}, { skip: 0, limit: 1 }), { instanceOf: TargetError });
  const { count } = oracleErrorRowsSql('e', "o' OR '1'='1", {}, { skip: 0, limit: 1 });
  t.is(count.text, 'SELECT COUNT(*) FROM "e" WHERE "topic" = :1');
  t.deepEqual(count.values, ["o' OR '1'='1"]);
});
