import test from 'ava';
import { randomUUID } from 'node:crypto';
import { asRecord } from '../http/apiFixtures';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';
import { testServer } from '../fixtures/testServers';
import { createTopic, ORDER_MAPPER, orderMessages, produce, useDataPlane, until } from './dataplaneFixtures';

const world = useDataPlane(test);

const countOf = (table: string) => admin(async (client) => Number((await client.query(`SELECT count(*) AS n FROM "public"."${table}"`)).rows[0].n)).catch(() => -1);

test('Kafka → PostgreSQL through the API: 100k messages, the valid ones in the table, the invalid ones in the error table, live, counted', async (t) => {
  const { api, token, teamId } = world();
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const suffix = randomUUID().slice(0, 8);
  const topic = `e2e-orders-${suffix}`;
  const table = `orders_${suffix}`;
  await createTopic(brokers, topic, 3);
  const { values, valid, invalid } = orderMessages(100_000, 33);

  const created = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name: `orders-to-pg-${suffix}`,
      team_id: teamId,
      source_name: `orders-${suffix}`,
      source_type: 'KAFKA_SOURCE',
      source_config: { topic, bootstrap_servers: brokers, security_protocol: 'PLAINTEXT' },
      target_name: `warehouse-${suffix}`,
      target_type: 'POSTGRES_TARGET',
      target_config: postgresTestConfig(),
      subscription_target_table_name: table,
      subscription_backfill: true,
      subscription_mapper_config: ORDER_MAPPER,
      subscription_error_table_enabled: true,
      subscription_error_table_name: `${table}_errors`,
    },
  });
  t.is(created.status, 201, JSON.stringify(created.body));
  const pipeline = asRecord(created.body);
  await produce(brokers, topic, values);
  const started = Date.now();
  t.is((await api.request('POST', `/pipelines/${String(pipeline['id'])}/start`, { token })).body, 'BUILDING');

  await until('every valid row', () => countOf(table), (n) => n === valid, 180_000);
  await until('every invalid message', () => countOf(`${table}_errors`), (n) => n === invalid, 60_000);
  t.log(`100k messages (${invalid} invalid) in PostgreSQL after ${Date.now() - started} ms`);

  const rows = await admin(async (client) => (await client.query(`SELECT id, name, amount, source FROM "public"."${table}" WHERE id IN (0, 1, 99998) ORDER BY id`)).rows);
  t.deepEqual(rows, [
    { id: '0', name: 'customer-0', amount: 0, source: 'e2e' },
    { id: '1', name: 'customer-1', amount: 0.01, source: 'e2e' },
    { id: '99998', name: 'customer-99998', amount: 999.98, source: 'e2e' },
  ]);
  const errors = await admin(async (client) => (await client.query(`SELECT topic, error_column, error, payload FROM "public"."${table}_errors" ORDER BY "offset"::bigint LIMIT 3`)).rows);
  t.true(errors.every((row: { topic: string }) => row.topic === topic));
  t.deepEqual(new Set(errors.map((row: { error_column: string }) => row.error_column)), new Set(['$', 'name', 'amount']));

  const state = await until('state live', async () => asRecord((await api.request('GET', `/pipelines/${String(pipeline['id'])}`, { token })).body)['state'], (s) => s === 'live', 30_000);
  t.is(state, 'live');
  const latency = await until(
    'the counters',
    async () => asRecord((await api.request('GET', `/pipelines/${String(pipeline['id'])}/latency-informations`, { token })).body),
    (body) => body['messages_in'] === 100_000,
    15_000,
  );
  t.like(latency, { messages_in: 100_000, messages_out: valid, errors: invalid, lag_total: 0 });
  t.true(typeof latency['p99_ms'] === 'number');
  const monitoring = asRecord((await api.request('GET', `/datamodels/${String(pipeline['datamodel_id'])}/monitoring`, { token })).body);
  t.like(monitoring, { messages_in: 100_000, errors: invalid });
});
