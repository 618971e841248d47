import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createTopic, kafkaOf, ORDER_MAPPER, produce } from '../dataplane/dataplaneFixtures';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';
import { closedPort, withSilentListener } from '../fixtures/tcpPeers';
import { testServer } from '../fixtures/testServers';
import { asRecord, noSecretInClear, startTeamApi, type Api } from './apiFixtures';

/**
 * `POST /pipelines/{id}/dry-run` against the real Kafka (TEST_KAFKA_BROKERS) and PostgreSQL
 * (TEST_PG_URL): unset, the suite fails. Each test writes into a PostgreSQL schema of its own, so
 * that "the table list is unchanged" is exact while the tests run side by side.
 */

let api: Api;
let token: string;
let teamId: string;
const schemas: string[] = [];
/** A target password of this suite's own, to prove that no answer ever carries it. */
const SECRET = `dry-run-secret-${randomUUID().slice(0, 8)}`;

test.before(async () => {
  ({ api, token, teamId } = await startTeamApi('dry-run', 'Dry Run Team'));
});
noSecretInClear(test, () => api, [SECRET]);
test.after.always(async () => {
  await api?.stop();
  if (process.env.TEST_PG_URL === undefined || process.env.TEST_PG_URL === '') return;
  for (const schema of schemas) await admin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
});

const suffix = () => randomUUID().slice(0, 8);

async function freshSchema(): Promise<string> {
  const schema = `popsink_dry_${suffix()}`;
  schemas.push(schema);
  await admin((client) => client.query(`CREATE SCHEMA "${schema}"`));
  return schema;
}

/** A one-partition topic (messages in offset order) holding `values`. */
async function topicWith(values: readonly string[]): Promise<string> {
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const topic = `dry-run-${suffix()}`;
  await createTopic(brokers, topic, 1);
  await produce(brokers, topic, values);
  return topic;
}

/** A draft pipeline from `topic` to `table` (ORDER_MAPPER unless told), never started. */
async function draft(options: {
  topic: string;
  table: string;
  target: { type: string; config: Record<string, unknown> };
  mapper?: unknown[];
}): Promise<string> {
  const name = `dry-${suffix()}`;
  const created = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name,
      team_id: teamId,
      source_name: `${name}-src`,
      source_type: 'KAFKA_SOURCE',
      source_config: { topic: options.topic, bootstrap_servers: testServer('TEST_KAFKA_BROKERS'), security_protocol: 'PLAINTEXT' },
      target_name: `${name}-dst`,
      target_type: options.target.type,
      target_config: options.target.config,
      subscription_target_table_name: options.table,
      subscription_mapper_config: options.mapper ?? ORDER_MAPPER,
    },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  return String(asRecord(created.body)['id']);
}

const pgTarget = (schema: string) => ({ type: 'POSTGRES_TARGET', config: postgresTestConfig({ schema }) });

interface Report {
  messages: {
    partition: number;
    offset: number;
    key_text: string | null;
    value_text: string | null;
    outcome: string;
    action?: string;
    row?: Record<string, unknown>;
    error?: { stage: string; code?: string; column?: string; message: string };
    note?: string;
  }[];
  ddl: string[];
  target_reachable: boolean;
  target_error: { code?: string; message: string } | null;
  notes: string[];
}

async function dryRun(id: string, json: unknown = {}): Promise<{ status: number; report: Report; ms: number }> {
  const started = Date.now();
  const res = await api.request('POST', `/pipelines/${id}/dry-run`, { token, json });
  return { status: res.status, report: res.body as Report, ms: Date.now() - started };
}

/** What a dry run must leave as it found: the schema's tables, their columns, their rows. */
async function snapshot(schema: string): Promise<{ tables: unknown[]; columns: unknown[]; rows: Record<string, number> }> {
  return admin(async (client) => {
    const tables = (await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema]))
      .rows;
    const columns = (
      await client.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 ORDER BY 1, ordinal_position`,
        [schema],
      )
    ).rows;
    const rows: Record<string, number> = {};
    for (const { table_name: table } of tables as { table_name: string }[])
      rows[table] = Number((await client.query(`SELECT count(*) AS n FROM "${schema}"."${table}"`)).rows[0].n);
    return { tables, columns, rows };
  });
}

const order = (id: number, amount: number) => JSON.stringify({ id, name: `customer-${id}`, amount, meta: { source: 'dry' } });

test('a draft: good rows, a message the mapper refuses and a row the target refuses are each reported; the target is left untouched', async (t) => {
  const schema = await freshSchema();
  const table = 'orders';
  await admin(async (client) => {
    await client.query(
      `CREATE TABLE "${schema}".orders (id bigint PRIMARY KEY, name text NOT NULL, amount double precision CHECK (amount >= 0), source text)`,
    );
    await client.query(`INSERT INTO "${schema}".orders VALUES (1000, 'kept', 1, 'before')`);
  });
  const topic = await topicWith([order(1, 1.5), '{not json', JSON.stringify({ id: 3, amount: 2 }), order(4, -5), order(5, 0)]);
  const id = await draft({ topic, table, target: pgTarget(schema) });
  const before = await snapshot(schema);

  const { status, report, ms } = await dryRun(id);
  t.is(status, 200, JSON.stringify(report));
  t.true(ms < 10_000, `${ms} ms`);
  t.log(`dry run in ${ms} ms`);
  t.deepEqual(
    report.messages.map((m) => [m.offset, m.outcome, m.error?.stage ?? null]),
    [
      [0, 'ok', null],
      [1, 'mapper_error', 'parse'],
      [2, 'mapper_error', 'map'],
      [3, 'rejected', 'target'],
      [4, 'ok', null],
    ],
  );
  t.deepEqual(report.messages[0]?.row, { id: 1, name: 'customer-1', amount: 1.5, source: 'dry' });
  t.is(report.messages[0]?.value_text, order(1, 1.5));
  t.is(report.messages[0]?.key_text, null);
  t.regex(report.messages[1]?.error?.message ?? '', /not valid JSON/);
  t.is(report.messages[2]?.error?.column, 'name');
  t.is(report.messages[3]?.error?.code, '23514');
  t.regex(report.messages[3]?.error?.message ?? '', /check constraint/);
  t.deepEqual(report.ddl, []);
  t.true(report.target_reachable);
  t.is(report.target_error, null);
  t.deepEqual(await snapshot(schema), before);
});

test('a table that does not exist yet: its CREATE TABLE is reported, the rows are tried in it, and all of it is rolled back', async (t) => {
  const schema = await freshSchema();
  const topic = await topicWith([order(1, 1), order(2, 2)]);
  const id = await draft({ topic, table: 'fresh_orders', target: pgTarget(schema) });
  const before = await snapshot(schema);
  t.deepEqual(before.tables, []);

  const { status, report } = await dryRun(id);
  t.is(status, 200, JSON.stringify(report));
  t.deepEqual(report.ddl, [
    `CREATE TABLE IF NOT EXISTS "${schema}"."fresh_orders" ("id" bigint NOT NULL, "name" text NOT NULL, "amount" double precision, "source" text, PRIMARY KEY ("id"))`,
  ]);
  t.deepEqual(
    report.messages.map((m) => m.outcome),
    ['ok', 'ok'],
  );
  t.true(report.notes.some((note) => /rolled back/.test(note)));
  t.deepEqual(await snapshot(schema), before);
});

test('a mapper to try before saving: a new column is the ALTER of schema evolution, rolled back; the stored mapper is unchanged', async (t) => {
  const schema = await freshSchema();
  await admin((client) =>
    client.query(`CREATE TABLE "${schema}".orders (id bigint PRIMARY KEY, name text NOT NULL, amount double precision, source text)`),
  );
  const topic = await topicWith([order(1, 1)]);
  const id = await draft({ topic, table: 'orders', target: pgTarget(schema) });
  const before = await snapshot(schema);

  const tried = [...ORDER_MAPPER, { key: 'channel', static: 'web', cast: 'string' }];
  const { status, report } = await dryRun(id, { mapper_config: tried, limit: 5 });
  t.is(status, 200, JSON.stringify(report));
  t.deepEqual(report.ddl, [`ALTER TABLE "${schema}"."orders" ADD COLUMN IF NOT EXISTS "channel" text`]);
  t.deepEqual(
    report.messages.map((m) => [m.outcome, m.row?.['channel']]),
    [['ok', 'web']],
  );
  t.deepEqual(await snapshot(schema), before);
  const stored = asRecord((await api.request('GET', `/pipelines/${id}`, { token })).body);
  t.is((stored['subscription_mapper_config'] as unknown[]).length, ORDER_MAPPER.length);

  // A type the table cannot take: the reason, and the rows left untried.
  const clash = ORDER_MAPPER.map((entry) => (entry.key === 'id' ? { ...entry, cast: 'float' } : entry));
  const refused = await dryRun(id, { mapper_config: clash });
  t.is(refused.status, 200);
  t.is(refused.report.target_error?.code, 'table_mismatch');
  t.regex(
    refused.report.target_error?.message ?? '',
    /column "id" is bigint in the existing table, which cannot take the mapper's float values/,
  );
  t.deepEqual(
    refused.report.messages.map((m) => m.outcome),
    ['untried'],
  );
  t.deepEqual(await snapshot(schema), before);
});

test('the body is validated like a PATCH: a bad mapper entry and a limit out of range answer 422 at their loc', async (t) => {
  const schema = await freshSchema();
  const id = await draft({ topic: 'never-read', table: 'orders', target: pgTarget(schema) });
  const bad = await api.request('POST', `/pipelines/${id}/dry-run`, {
    token,
    json: { mapper_config: [{ key: 'id', path: '$.id', cast: 'integer' }] },
  });
  t.is(bad.status, 422);
  t.deepEqual(
    (asRecord(bad.body)['detail'] as { loc: unknown[] }[]).map((issue) => issue.loc),
    [['body', 'mapper_config', 0, 'cast']],
  );
  for (const limit of [0, 101, 2.5]) {
    const res = await api.request('POST', `/pipelines/${id}/dry-run`, { token, json: { limit } });
    t.is(res.status, 422);
    t.deepEqual((asRecord(res.body)['detail'] as { loc: unknown[] }[])[0]?.loc, ['body', 'limit']);
  }
  t.is((await api.request('POST', `/pipelines/${randomUUID()}/dry-run`, { token, json: {} })).status, 404);
});

test('limit: only the latest messages are tried', async (t) => {
  const schema = await freshSchema();
  const topic = await topicWith(Array.from({ length: 30 }, (_, i) => order(i, i)));
  const id = await draft({ topic, table: 'orders', target: pgTarget(schema) });
  const { report } = await dryRun(id, { limit: 3 });
  t.deepEqual(
    report.messages.map((m) => m.offset),
    [27, 28, 29],
  );
  const defaults = await dryRun(id);
  t.is(defaults.report.messages.length, 10);
});

test('an unreachable target answers 200 in time with the reason, rows untried; an unreadable source answers 400 in time', async (t) => {
  const topic = await topicWith([order(1, 1)]);
  const port = String(await closedPort());
  const id = await draft({
    topic,
    table: 'orders',
    target: { type: 'POSTGRES_TARGET', config: postgresTestConfig({ host: '127.0.0.1', port, password: SECRET }) },
  });
  const { status, report, ms } = await dryRun(id);
  t.is(status, 200);
  t.true(ms < 10_000);
  t.false(report.target_reachable);
  t.is(report.target_error?.code, 'connection_refused');
  t.deepEqual(
    report.messages.map((m) => [m.outcome, m.row?.['id']]),
    [['untried', 1]],
  );

  const name = `dry-${suffix()}`;
  const created = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name,
      team_id: teamId,
      source_name: `${name}-src`,
      source_type: 'KAFKA_SOURCE',
      source_config: { topic: 'orders', bootstrap_servers: `127.0.0.1:${port}` },
      target_name: `${name}-dst`,
      target_type: 'POSTGRES_TARGET',
      target_config: postgresTestConfig(),
      subscription_target_table_name: 'orders',
      subscription_mapper_config: ORDER_MAPPER,
    },
  });
  const noSource = await dryRun(String(asRecord(created.body)['id']));
  t.is(noSource.status, 400);
  t.true(noSource.ms < 10_000);
  t.regex(String(asRecord(noSource.report)['detail']), /^The source cannot be read: Connection refused/);
});

test('a target that accepts the connection and never answers: 200 within 10 s, target_reachable false, a timeout', async (t) => {
  const topic = await topicWith([order(1, 1)]);
  await withSilentListener(async (port) => {
    const id = await draft({
      topic,
      table: 'orders',
      target: { type: 'POSTGRES_TARGET', config: postgresTestConfig({ host: '127.0.0.1', port: String(port), password: SECRET }) },
    });
    const { status, report, ms } = await dryRun(id);
    t.log(`silent target answered in ${ms} ms`);
    t.is(status, 200);
    t.true(ms < 10_000, `${ms} ms`);
    t.false(report.target_reachable);
    t.is(report.target_error?.code, 'timeout');
    t.deepEqual(
      report.messages.map((m) => m.outcome),
      ['untried'],
    );
  });
});

test('Debezium: a create is tried as an upsert, a delete is mapped to its key, the tombstone after it is skipped', async (t) => {
  const schema = await freshSchema();
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const topic = `dry-run-${suffix()}`;
  await createTopic(brokers, topic, 1);
  const producer = kafkaOf(brokers).producer();
  await producer.connect();
  const row = { id: 7, name: 'ada', amount: 3, meta: { source: 'cdc' } };
  await producer.send({
    topic,
    messages: [
      { key: JSON.stringify({ id: 7 }), value: JSON.stringify({ before: null, after: row, op: 'c', ts_ms: 1 }) },
      { key: JSON.stringify({ id: 7 }), value: JSON.stringify({ before: row, after: null, op: 'd', ts_ms: 2 }) },
      { key: JSON.stringify({ id: 7 }), value: null },
    ],
  });
  await producer.disconnect();
  const id = await draft({ topic, table: 'customers', target: pgTarget(schema) });
  t.is((await api.request('PATCH', `/pipelines/${id}`, { token, json: { subscription_envelope: 'debezium' } })).status, 200);

  const { status, report } = await dryRun(id);
  t.is(status, 200, JSON.stringify(report));
  t.deepEqual(
    report.messages.map((m) => [m.offset, m.action ?? null, m.outcome]),
    [
      [0, 'upsert', 'ok'],
      [1, 'delete', 'untried'],
      [2, null, 'skipped'],
    ],
  );
  t.deepEqual(report.messages[1]?.row, { id: 7 });
  t.is(report.messages[0]?.key_text, '{"id":7}');
  t.deepEqual((await snapshot(schema)).tables, []);
});

test('Kafka target: nothing is produced; a missing topic is noted; a record over max.message.bytes is rejected', async (t) => {
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const topic = await topicWith([order(1, 1), JSON.stringify({ id: 2, name: 'x'.repeat(5000), amount: 1 })]);
  const targetTopic = `dry-run-target-${suffix()}`;
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: targetTopic, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }],
      waitForLeaders: true,
    });
    const id = await draft({ topic, table: targetTopic, target: { type: 'KAFKA_TARGET', config: { bootstrap_server: brokers } } });
    const { status, report } = await dryRun(id);
    t.is(status, 200, JSON.stringify(report));
    t.deepEqual(
      report.messages.map((m) => m.outcome),
      ['ok', 'rejected'],
    );
    t.is(report.messages[1]?.error?.code, 'MESSAGE_TOO_LARGE');
    t.regex(report.messages[1]?.error?.message ?? '', /at most 2000/);
    const offsets = await admin.fetchTopicOffsets(targetTopic);
    t.deepEqual(
      offsets.map((partition) => partition.high),
      ['0'],
    );

    const missing = `dry-run-missing-${suffix()}`;
    const other = await draft({ topic, table: missing, target: { type: 'KAFKA_TARGET', config: { bootstrap_server: brokers } } });
    const second = await dryRun(other);
    t.true(second.report.notes.some((note) => note.includes(`Topic "${missing}" does not exist: a start creates it`)));
    t.false((await admin.listTopics()).includes(missing));
  } finally {
    await admin.disconnect();
  }
});
