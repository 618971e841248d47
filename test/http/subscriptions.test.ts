import test from 'ava';
import { randomUUID } from 'node:crypto';
import { asRecord, noSecretInClear, startTeamApi, type Api } from './apiFixtures';

const SOURCE_PASSWORD = 'subscriptions-source-secret';
let api: Api;
let token: string;
let teamId: string;
let outsiderToken: string;

test.before(async () => {
  ({ api, token, teamId, outsiderToken } = await startTeamApi('subscriptions', 'Subscribers'));
});
noSecretInClear(test, () => api, [SOURCE_PASSWORD]);
test.after.always(async () => {
  await api?.stop();
});

const mapper = [{ key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false }];

async function pipeline(name: string): Promise<Record<string, unknown>> {
  const body = {
    name,
    team_id: teamId,
    source_name: `${name}-src`,
    source_type: 'KAFKA_SOURCE',
    source_config: {
      topic: 'orders',
      bootstrap_servers: '127.0.0.1:9092',
      security_protocol: 'SASL_PLAINTEXT',
      sasl_mechanism: 'PLAIN',
      sasl_username: 'u',
      sasl_password: SOURCE_PASSWORD,
    },
    target_name: `${name}-dst`,
    target_type: 'KAFKA_TARGET',
    target_config: { bootstrap_server: '127.0.0.1:9092' },
    subscription_target_table_name: 'orders_copy',
    subscription_mapper_config: mapper,
  };
  const created = await api.request('POST', '/pipelines/', { token, json: body });
  if (created.status !== 201) throw new Error(`pipeline not created: ${JSON.stringify(created.body)}`);
  return asRecord(created.body);
}

const subscriptionsOf = async (pipelineId: unknown) =>
  asRecord((await api.request('GET', `/subscriptions/?pipeline_id=${String(pipelineId)}`, { token })).body)['items'] as Record<
    string,
    unknown
  >[];
const detailLoc = (body: unknown) => (asRecord(body)['detail'] as { loc: unknown[] }[])[0]?.loc;

test("a pipeline's flattened subscription fields are its first subscription", async (t) => {
  const created = await pipeline('flat');
  const [first, ...others] = await subscriptionsOf(created['id']);
  t.is(others.length, 0);
  t.like(first, {
    pipeline_id: created['id'],
    team_id: teamId,
    target_table_name: 'orders_copy',
    backfill: false,
    state: 'draft',
    consumer_id: `popsink-${String(first?.['id'])}`,
  });
  t.deepEqual(first?.['mapper_config'], [{ key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false }]);

  const patched = await api.request('PATCH', `/subscriptions/${String(first?.['id'])}`, {
    token,
    json: { target_table_name: 'orders_v2', backfill: true },
  });
  t.is(patched.status, 200);
  t.like(asRecord(patched.body), { target_table_name: 'orders_v2', backfill: true });
  t.like(asRecord((await api.request('GET', `/pipelines/${String(created['id'])}`, { token })).body), {
    version: 2,
    subscription_target_table_name: 'orders_v2',
    subscription_backfill: true,
  });
});

test('create, subscribe-all (all or none), delete; the last subscription stays', async (t) => {
  const created = await pipeline('many');
  const added = await api.request('POST', '/subscriptions/', {
    token,
    json: { pipeline_id: created['id'], target_table_name: 'audit', mapper_config: mapper, backfill: true },
  });
  t.is(added.status, 201);
  t.like(asRecord(added.body), { pipeline_id: created['id'], target_table_name: 'audit', backfill: true, state: 'draft' });

  const bulk = await api.request('POST', '/subscriptions/subscribe-all', {
    token,
    json: { pipeline_id: created['id'], subscriptions: [{ target_table_name: 'a' }, { target_table_name: 'b', consumer_id: 'my-group' }] },
  });
  t.is(bulk.status, 201);
  t.deepEqual(
    (bulk.body as Record<string, unknown>[]).map((s) => [s['target_table_name'], s['consumer_id'] === 'my-group']),
    [
      ['a', false],
      ['b', true],
    ],
  );
  t.deepEqual(
    (await subscriptionsOf(created['id'])).map((s) => s['target_table_name']),
    ['orders_copy', 'audit', 'a', 'b'],
  );

  const refused = await api.request('POST', '/subscriptions/subscribe-all', {
    token,
    json: {
      pipeline_id: created['id'],
      subscriptions: [{ target_table_name: 'c' }, { mapper_config: [{ key: 'x', path: '$.x', static: 'y' }] }],
    },
  });
  t.is(refused.status, 422);
  t.deepEqual(detailLoc(refused.body)?.slice(0, 4), ['body', 'subscriptions', 1, 'mapper_config']);
  t.is((await subscriptionsOf(created['id'])).length, 4, 'nothing of a refused bulk was recorded');
  t.like(asRecord((await api.request('GET', `/pipelines/${String(created['id'])}`, { token })).body), { version: 3 });

  for (const subscription of (await subscriptionsOf(created['id'])).slice(1)) {
    t.is((await api.request('DELETE', `/subscriptions/${String(subscription['id'])}`, { token })).status, 204);
  }
  const [last] = await subscriptionsOf(created['id']);
  const lastDelete = await api.request('DELETE', `/subscriptions/${String(last?.['id'])}`, { token });
  t.is(lastDelete.status, 409);
  t.is(asRecord(lastDelete.body)['detail'], 'LAST_SUBSCRIPTION');
  t.is((await api.request('GET', `/subscriptions/${randomUUID()}`, { token })).status, 404);
});

test('start / pause one subscription; pausing the last running one pauses the pipeline; deleting the pipeline removes them', async (t) => {
  const created = await pipeline('controlled');
  await api.request('POST', '/subscriptions/', { token, json: { pipeline_id: created['id'], target_table_name: 'second' } });
  const [first, second] = await subscriptionsOf(created['id']);
  const start = await api.request('POST', `/subscriptions/${String(first?.['id'])}/start`, { token });
  t.is(start.status, 202);
  t.is(start.body, 'BUILDING');
  t.is(asRecord((await api.request('GET', `/pipelines/${String(created['id'])}`, { token })).body)['state'], 'building');

  t.is((await api.request('POST', `/subscriptions/${String(first?.['id'])}/pause`, { token })).body, 'PAUSED');
  t.deepEqual(
    (await subscriptionsOf(created['id'])).map((s) => s['state']),
    ['paused', 'building'],
  );
  t.is((await api.request('POST', `/subscriptions/${String(second?.['id'])}/pause`, { token })).body, 'PAUSED');
  t.is(asRecord((await api.request('GET', `/pipelines/${String(created['id'])}`, { token })).body)['state'], 'paused');

  t.is((await api.request('POST', `/pipelines/${String(created['id'])}/start`, { token })).body, 'BUILDING');
  t.deepEqual(
    (await subscriptionsOf(created['id'])).map((s) => s['state']),
    ['building', 'building'],
  );

  t.is((await api.request('POST', `/subscriptions/${String(first?.['id'])}/start`, { token: outsiderToken })).status, 403);
  t.is((await api.request('GET', `/subscriptions/${String(first?.['id'])}`, { token: outsiderToken })).status, 403);
  t.is(asRecord((await api.request('GET', '/subscriptions/', { token: outsiderToken })).body)['total'], 0);

  t.is((await api.request('DELETE', `/pipelines/${String(created['id'])}`, { token })).status, 204);
  t.is((await api.request('GET', `/subscriptions/${String(first?.['id'])}`, { token })).status, 404);
  t.is((await subscriptionsOf(created['id'])).length, 0);
});

test('validation answers 422 at the field: unknown pipeline 404, bad mapper, bad error-table target', async (t) => {
  const created = await pipeline('validated');
  t.is((await api.request('POST', '/subscriptions/', { token, json: { pipeline_id: randomUUID() } })).status, 404);
  const missing = await api.request('POST', '/subscriptions/', { token, json: { target_table_name: 'x' } });
  t.is(missing.status, 422);
  t.deepEqual(detailLoc(missing.body), ['body', 'pipeline_id']);
  const badTarget = await api.request('POST', '/subscriptions/', {
    token,
    json: { pipeline_id: created['id'], error_table_enabled: true, error_table_name: 'e', error_table_target_id: randomUUID() },
  });
  t.is(badTarget.status, 422);
  t.deepEqual(detailLoc(badTarget.body), ['body', 'error_table_target_id']);
  const badCast = await api.request('PATCH', `/subscriptions/${String((await subscriptionsOf(created['id']))[0]?.['id'])}`, {
    token,
    json: { mapper_config: [{ key: 'a', path: '$.a', cast: 'decimal' }] },
  });
  t.is(badCast.status, 422);
  t.deepEqual(detailLoc(badCast.body)?.slice(0, 3), ['body', 'mapper_config', 0]);
});

test('pausing and starting one subscription shows in GET /user-logs, as an action on its pipeline', async (t) => {
  const created = await pipeline('audited-subscriptions');
  const [subscription] = asRecord((await api.request('GET', `/subscriptions/?pipeline_id=${String(created['id'])}`, { token })).body)[
    'items'
  ] as Record<string, unknown>[];
  t.is((await api.request('POST', `/subscriptions/${String(subscription?.['id'])}/pause`, { token })).status, 202);
  t.is((await api.request('POST', `/subscriptions/${String(subscription?.['id'])}/start`, { token })).status, 202);
  const logs = asRecord((await api.request('GET', `/user-logs?resource_id=${String(created['id'])}&limit=100`, { token })).body)[
    'items'
  ] as { event_type: string; resource_type: string }[];
  const subscriptionEvents = logs.filter(({ event_type: type }) => type.startsWith('Subscription'));
  t.deepEqual(subscriptionEvents.map(({ event_type: type }) => type).sort(), ['SubscriptionPaused', 'SubscriptionResumed']);
  t.true(subscriptionEvents.every(({ resource_type: type }) => type === 'pipeline'));
});
