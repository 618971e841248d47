import test from 'ava';
import { randomUUID } from 'node:crypto';
import { asRecord } from '../http/apiFixtures';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';
import { testServer } from '../fixtures/testServers';
import { createTopic, ORDER_MAPPER, produce, useDataPlane, until } from './dataplaneFixtures';

const world = useDataPlane(test);

const rowsOf = (table: string) =>
  admin(
    async (client) => (await client.query(`SELECT id, name FROM "public"."${table}" ORDER BY id`)).rows as { id: string; name: string }[],
  ).catch(() => []);
const messages = (from: number, to: number, name = (id: number) => `customer-${id}`) =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify({ id: from + i, name: name(from + i), amount: 1 }));

async function pipelineTo(table: string, topic: string, backfill: boolean): Promise<string> {
  const { api, token, teamId } = world();
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const created = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name: `lifecycle-${table}`,
      team_id: teamId,
      source_name: `src-${table}`,
      source_type: 'KAFKA_SOURCE',
      source_config: { topic, bootstrap_servers: brokers },
      target_name: `dst-${table}`,
      target_type: 'POSTGRES_TARGET',
      target_config: postgresTestConfig(),
      subscription_target_table_name: table,
      subscription_backfill: backfill,
      subscription_mapper_config: ORDER_MAPPER,
    },
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return String(asRecord(created.body)['id']);
}

const stateOf = async (id: string) => {
  const { api, token } = world();
  return asRecord((await api.request('GET', `/pipelines/${id}`, { token })).body)['state'];
};

test('backfill reads from the earliest offset; without it a new pipeline starts at the latest', async (t) => {
  const { api, token } = world();
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const suffix = randomUUID().slice(0, 8);
  const topic = `lifecycle-backfill-${suffix}`;
  await createTopic(brokers, topic, 1);
  await produce(brokers, topic, messages(0, 100));
  const backfilled = await pipelineTo(`bf_${suffix}`, topic, true);
  const latest = await pipelineTo(`latest_${suffix}`, topic, false);
  await api.request('POST', `/pipelines/${backfilled}/start`, { token });
  await api.request('POST', `/pipelines/${latest}/start`, { token });
  await until(
    'both live',
    async () => [await stateOf(backfilled), await stateOf(latest)],
    (states) => states.every((s) => s === 'live'),
    60_000,
  );
  await produce(brokers, topic, messages(100, 150));
  await until(
    'backfilled rows',
    () => rowsOf(`bf_${suffix}`),
    (rows) => rows.length === 150,
  );
  const latestRows = await until(
    'latest rows',
    () => rowsOf(`latest_${suffix}`),
    (rows) => rows.length >= 50,
  );
  t.deepEqual(
    latestRows.map((row) => Number(row.id)),
    Array.from({ length: 50 }, (_, i) => 100 + i),
  );
});

test('pause commits and stops; start resumes from the committed offsets; a hot PATCH of the mapper applies to what follows', async (t) => {
  const { api, token } = world();
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const suffix = randomUUID().slice(0, 8);
  const topic = `lifecycle-pause-${suffix}`;
  const table = `pause_${suffix}`;
  await createTopic(brokers, topic, 2);
  const id = await pipelineTo(table, topic, true);
  await api.request('POST', `/pipelines/${id}/start`, { token });
  await produce(brokers, topic, messages(0, 1000));
  await until(
    'first rows',
    () => rowsOf(table),
    (rows) => rows.length === 1000,
  );

  t.is((await api.request('POST', `/pipelines/${id}/pause`, { token })).body, 'PAUSED');
  await until(
    'the worker stopped',
    async () => api.platform.supervisor?.workers().filter((w) => w.pipelineId === id).length,
    (n) => n === 0,
    60_000,
  );
  await produce(brokers, topic, messages(1000, 2000));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.is((await rowsOf(table)).length, 1000, 'nothing is written while paused');

  t.is((await api.request('POST', `/pipelines/${id}/start`, { token })).body, 'BUILDING');
  await until(
    'the paused messages',
    () => rowsOf(table),
    (rows) => rows.length === 2000,
  );

  // Hot PATCH: a new mapper (name upper-cased by a static prefix column is not possible; use a new path) applies to new messages.
  const patched = await api.request('PATCH', `/pipelines/${id}`, {
    token,
    json: { subscription_mapper_config: ORDER_MAPPER.map((entry) => (entry.key === 'name' ? { ...entry, path: '$.alias' } : entry)) },
  });
  t.is(patched.status, 200);
  await until(
    'the new version running',
    async () => api.platform.supervisor?.workers().find((w) => w.pipelineId === id)?.version,
    (v) => v === 2,
    60_000,
  );
  await produce(
    brokers,
    topic,
    Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: 2000 + i, alias: `alias-${2000 + i}`, amount: 2 })),
  );
  const rows = await until(
    'the rows of the new version',
    () => rowsOf(table),
    (all) => all.length === 2500,
  );
  t.is(rows.find((row) => row.id === '2100')?.name, 'alias-2100');
  t.is(rows.find((row) => row.id === '10')?.name, 'customer-10');
  await until(
    'live again',
    () => stateOf(id),
    (state) => state === 'live',
    30_000,
  );

  t.is((await api.request('DELETE', `/pipelines/${id}`, { token })).status, 204);
  await until(
    'the worker stopped on delete',
    async () => api.platform.supervisor?.workers().filter((w) => w.pipelineId === id).length,
    (n) => n === 0,
    60_000,
  );
});
