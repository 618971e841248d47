import test from 'ava';
import { asRecord } from '../http/apiFixtures';
import { admin } from '../fixtures/postgresConfig';
import { orderMessages, ordersTopicAndPipeline, produce, useDataPlane, until } from './dataplaneFixtures';

const world = useDataPlane(test);

const countOf = (table: string) =>
  admin(async (client) => Number((await client.query(`SELECT count(*) AS n FROM "public"."${table}"`)).rows[0].n)).catch(() => -1);

test('Kafka → PostgreSQL through the API: 100k messages, the valid ones in the table, the invalid ones in the error table, live, counted', async (t) => {
  const { api, token } = world();
  const { brokers, topic, table, pipelineId, datamodelId } = await ordersTopicAndPipeline(world(), 'e2e-orders');
  const { values, valid, invalid } = orderMessages(100_000, 33);
  await produce(brokers, topic, values);
  const started = Date.now();
  t.is((await api.request('POST', `/pipelines/${pipelineId}/start`, { token })).body, 'BUILDING');

  await until(
    'every valid row',
    () => countOf(table),
    (n) => n === valid,
    180_000,
  );
  await until(
    'every invalid message',
    () => countOf(`${table}_errors`),
    (n) => n === invalid,
    60_000,
  );
  t.log(`100k messages (${invalid} invalid) in PostgreSQL after ${Date.now() - started} ms`);

  const rows = await admin(
    async (client) =>
      (await client.query(`SELECT id, name, amount, source FROM "public"."${table}" WHERE id IN (0, 1, 99998) ORDER BY id`)).rows,
  );
  t.deepEqual(rows, [
    { id: '0', name: 'customer-0', amount: 0, source: 'e2e' },
    { id: '1', name: 'customer-1', amount: 0.01, source: 'e2e' },
    { id: '99998', name: 'customer-99998', amount: 999.98, source: 'e2e' },
  ]);
  const errors = await admin(
    async (client) =>
      (await client.query(`SELECT topic, error_column, error, payload FROM "public"."${table}_errors" ORDER BY "offset"::bigint LIMIT 3`))
        .rows,
  );
  t.true(errors.every((row: { topic: string }) => row.topic === topic));
  t.deepEqual(new Set(errors.map((row: { error_column: string }) => row.error_column)), new Set(['$', 'name', 'amount']));

  const state = await until(
    'state live',
    async () => asRecord((await api.request('GET', `/pipelines/${pipelineId}`, { token })).body)['state'],
    (s) => s === 'live',
    30_000,
  );
  t.is(state, 'live');
  const latency = await until(
    'the counters',
    async () => asRecord((await api.request('GET', `/pipelines/${pipelineId}/latency-informations`, { token })).body),
    (body) => body['messages_in'] === 100_000,
    15_000,
  );
  t.like(latency, { messages_in: 100_000, messages_out: valid, errors: invalid, lag_total: 0 });
  t.true(typeof latency['p99_ms'] === 'number');
  const monitoring = asRecord((await api.request('GET', `/datamodels/${datamodelId}/monitoring`, { token })).body);
  t.like(monitoring, { messages_in: 100_000, errors: invalid });
});
