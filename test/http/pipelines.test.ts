import test from 'ava';
import { randomUUID } from 'node:crypto';
import { testServer } from '../fixtures/testServers';
import { asRecord, noSecretInClear, startTeamApi, type Api } from './apiFixtures';

let api: Api;
let token: string;
let teamId: string;
let outsiderToken: string;

test.before(async () => {
  ({ api, token, teamId, outsiderToken } = await startTeamApi('pipelines', 'Data Engineering Team'));
});
noSecretInClear(test, () => api, ['kafka_pass', 'etl_pass']);
test.after.always(async () => {
  await api?.stop();
});

const sourceConfig = {
  topic: 'user-events',
  bootstrap_servers: 'kafka.company.com:9092',
  consumer_group_id: 'pipeline-consumer',
  sasl_username: 'kafka_user',
  sasl_password: 'kafka_pass',
  sasl_mechanism: 'PLAIN',
  security_protocol: 'SASL_SSL',
};
const targetConfig = {
  host: 'oracle.company.com',
  port: '1521',
  database: 'ORCL',
  server_name: 'XE',
  server_id: 'oraclesrv01',
  user: 'etl_user',
  password: 'etl_pass',
};
const mapper = [
  { key: 'user_id', path: '$.user_id', cast: 'string', primary_key: true, nullable: false },
  { key: 'event_type', path: '$.event_type', cast: 'string', primary_key: false, nullable: false },
];

const optionA = (name: string) => ({
  name,
  team_id: teamId,
  source_name: `kafka-events-source-${name}`,
  source_type: 'KAFKA_SOURCE',
  source_config: sourceConfig,
  target_name: `oracle-warehouse-${name}`,
  target_type: 'ORACLE_TARGET',
  target_config: targetConfig,
  subscription_target_table_name: 'events',
  subscription_backfill: false,
  subscription_mapper_config: mapper,
});

test('Option A: new connectors; the answer is the flattened pipeline with secrets masked', async (t) => {
  const res = await api.request('POST', '/pipelines/', { token, json: optionA('kafka-to-oracle-pipeline') });
  t.is(res.status, 201);
  const pipeline = asRecord(res.body);
  t.like(pipeline, {
    name: 'kafka-to-oracle-pipeline',
    state: 'draft',
    version: 1,
    team_id: teamId,
    team_name: 'Data Engineering Team',
    existing_source_id: null,
    source_type: 'KAFKA_SOURCE',
    existing_target_id: null,
    target_type: 'ORACLE_TARGET',
    subscription_target_table_name: 'events',
    subscription_backfill: false,
  });
  t.is(asRecord(pipeline['source_config'])['sasl_password'], '********');
  t.is(asRecord(pipeline['target_config'])['password'], '********');
  t.false(JSON.stringify(pipeline).includes('kafka_pass'));
  t.false(
    JSON.stringify((await api.request('GET', '/user-logs?limit=100', { token })).body).includes('kafka_pass'),
    'the audit trail holds no secret',
  );
  t.true(typeof pipeline['created_at'] === 'string');

  const worker = asRecord((await api.request('GET', `/pipelines/${pipeline['id']}/worker-config`, { token })).body);
  t.like(worker, { pipeline_id: pipeline['id'], version: 1, source_topic: 'user-events' });
  const [subscription] = worker['subscriptions'] as Record<string, unknown>[];
  t.like(subscription, { consumer_group: `popsink-${String(subscription?.['id'])}`, target_table: 'events', backfill: false });
  t.is(asRecord(asRecord(worker['source'])['config'])['sasl_password'], '********');
  t.deepEqual(
    (subscription?.['mapper'] as { key: string }[]).map((m) => m.key),
    ['user_id', 'event_type'],
  );
});

test('Option B: existing connectors, and both at once is refused', async (t) => {
  const first = asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('first') })).body);
  const sourceId = String(asRecord((await api.request('GET', `/pipelines/${first['id']}`, { token })).body)['id']);
  t.truthy(sourceId);
  const created = await api.request('POST', '/pipelines/', { token, json: optionA('for-reuse') });
  const connectorsOf = asRecord(created.body);
  const reuse = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name: 'reuse-connectors-pipeline',
      team_id: teamId,
      existing_source_id: await connectorIdOf(String(connectorsOf['id']), 'source'),
      existing_target_id: await connectorIdOf(String(connectorsOf['id']), 'target'),
      subscription_target_table_name: 'events_copy',
      subscription_backfill: true,
    },
  });
  t.is(reuse.status, 201);
  t.like(asRecord(reuse.body), {
    existing_source_id: await connectorIdOf(String(connectorsOf['id']), 'source'),
    subscription_backfill: true,
    source_type: 'KAFKA_SOURCE',
  });

  const both = await api.request('POST', '/pipelines/', { token, json: { ...optionA('both'), existing_source_id: randomUUID() } });
  t.is(both.status, 422);
  t.deepEqual((asRecord(both.body)['detail'] as { loc: unknown }[])[0]?.loc, ['body', 'existing_source_id']);
});

/** The connector id of one side, read back through a pipeline created with existing ids. */
async function connectorIdOf(pipelineId: string, side: 'source' | 'target'): Promise<string> {
  const logs = asRecord((await api.request('GET', `/user-logs?event_type=ConnectorCreated&limit=100`, { token })).body)['items'] as {
    resource_id: string;
    details: { name: string };
  }[];
  const pipeline = asRecord((await api.request('GET', `/pipelines/${pipelineId}`, { token })).body);
  const name = pipeline[`${side}_name`];
  return logs.find((entry) => entry.details.name === name)?.resource_id ?? '';
}

test('validation: name rule, connector config fields and mapper entries answer 422 with loc', async (t) => {
  const badName = await api.request('POST', '/pipelines/', { token, json: optionA('pipeline name') });
  t.is(badName.status, 422);
  t.deepEqual((asRecord(badName.body)['detail'] as { loc: unknown }[])[0]?.loc, ['body', 'name']);
  const missing = await api.request('POST', '/pipelines/', { token, json: { ...optionA('no-brokers'), source_config: { topic: 't' } } });
  t.deepEqual((asRecord(missing.body)['detail'] as { loc: unknown }[])[0]?.loc, ['body', 'source_config', 'bootstrap_servers']);
  const badMapper = await api.request('POST', '/pipelines/', {
    token,
    json: { ...optionA('bad-mapper'), subscription_mapper_config: [{ key: 'x', path: '$.x', static: 'y' }] },
  });
  t.is(badMapper.status, 422);
  t.deepEqual((asRecord(badMapper.body)['detail'] as { loc: unknown[] }[])[0]?.loc.slice(0, 3), ['body', 'subscription_mapper_config', 0]);
  const duplicate = await api.request('POST', '/pipelines/', { token, json: optionA('kafka-to-oracle-pipeline') });
  t.is(duplicate.status, 409);
});

test('lifecycle: start 202 "BUILDING" (idempotent), pause 202 "PAUSED", a draft cannot be paused, counts follow', async (t) => {
  const id = String(asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('lifecycle') })).body)['id']);
  const draftPause = await api.request('POST', `/pipelines/${id}/pause`, { token });
  t.is(draftPause.status, 409);
  t.deepEqual(await api.request('POST', `/pipelines/${id}/start`, { token }), { status: 202, body: 'BUILDING' });
  t.deepEqual(await api.request('POST', `/pipelines/${id}/start`, { token }), { status: 202, body: 'BUILDING' });
  t.deepEqual((await api.request('GET', `/pipelines/${id}/status`, { token })).body, { id, state: 'building', error_reason: null });
  const counts = asRecord((await api.request('GET', `/pipelines/count-status?team_id=${teamId}`, { token })).body);
  t.true(Number(counts['building']) >= 1);
  t.is(
    counts['all'],
    ['draft', 'building', 'live', 'paused', 'error'].reduce((sum, state) => sum + Number(counts[state]), 0),
  );
  const building = asRecord((await api.request('GET', '/pipelines/?state=BUILDING', { token })).body);
  t.true((building['items'] as { id: string }[]).some((p) => p.id === id));
  const nonDraft = asRecord((await api.request('GET', '/pipelines/status/all-non-draft', { token })).body);
  t.true((nonDraft['items'] as { id: string }[]).some((p) => p.id === id));
  t.deepEqual(await api.request('POST', `/pipelines/${id}/pause`, { token }), { status: 202, body: 'PAUSED' });
  t.deepEqual(await api.request('POST', `/pipelines/${id}/pause`, { token }), { status: 202, body: 'PAUSED' });
});

test('PATCH: renaming keeps the version, a config change bumps it; a masked secret sent back is kept', async (t) => {
  const created = asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('patched') })).body);
  const renamed = asRecord(
    (await api.request('PATCH', `/pipelines/${created['id']}`, { token, json: { name: 'updated-pipeline-name' } })).body,
  );
  t.like(renamed, { name: 'updated-pipeline-name', version: 1 });
  const reconfigured = asRecord(
    (
      await api.request('PATCH', `/pipelines/${created['id']}`, {
        token,
        json: { subscription_target_table_name: 'new_table', subscription_backfill: true },
      })
    ).body,
  );
  t.like(reconfigured, { version: 2, subscription_target_table_name: 'new_table', subscription_backfill: true });
  const filtered = await api.request('GET', '/pipelines/filter-one?name=updated-pipeline-name', { token });
  t.is(asRecord(filtered.body)['id'], created['id']);
});

// On MongoDB read models too: there a read may lag the log, which is when PATCHes collide most.
for (const store of ['embedded', 'MongoDB'] as const) {
  test(`${store}: PATCHes of different fields sent at once all apply, each merged again onto what the others changed`, async (t) => {
    const world =
      store === 'embedded'
        ? { api, token }
        : await startTeamApi('pipelines-mongo', 'Data Engineering Team', { mongoUrl: testServer('POPSINK_MONGO_URL') });
    try {
      const body = { ...optionA('concurrent'), ...('teamId' in world ? { team_id: world.teamId } : {}) };
      const created = asRecord((await world.api.request('POST', '/pipelines/', { token: world.token, json: body })).body);
      const path = `/pipelines/${created['id']}`;
      const answers = await Promise.all([
        world.api.request('PATCH', path, { token: world.token, json: { subscription_backfill: true } }),
        world.api.request('PATCH', path, { token: world.token, json: { subscription_target_table_name: 'events_v2' } }),
        world.api.request('PATCH', path, { token: world.token, json: { datamodel_source_topic: 'user-events-v2' } }),
        world.api.request('PATCH', `/datamodels/${created['datamodel_id']}/error-table`, {
          token: world.token,
          json: { error_table_enabled: true, error_table_name: 'events_errors' },
        }),
      ]);
      t.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200, 200, 200],
        JSON.stringify(answers.map((answer) => answer.body)),
      );
      t.like(asRecord((await world.api.request('GET', path, { token: world.token })).body), {
        version: 5,
        subscription_backfill: true,
        subscription_target_table_name: 'events_v2',
        datamodel_source_topic: 'user-events-v2',
        datamodel_error_table_enabled: true,
        datamodel_error_table_name: 'events_errors',
      });
    } finally {
      if (world.api !== api) await world.api.stop();
    }
  });
}

test('lists read after a change show it: a pipeline, its connectors and its team are rendered again when they change', async (t) => {
  const created = asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('listed-fresh') })).body);
  const listed = async () => {
    const page = asRecord((await api.request('GET', `/pipelines/?team_id=${teamId}&search=listed-fresh`, { token })).body);
    const items = page['items'] as Record<string, unknown>[];
    t.is(items.length, 1);
    return items[0] ?? {};
  };
  // Read twice unchanged first, so that a kept rendering exists to go stale.
  t.deepEqual(await listed(), await listed());
  t.like(await listed(), { name: 'listed-fresh', state: 'draft', source_name: 'kafka-events-source-listed-fresh' });

  await api.request('PATCH', `/pipelines/${created['id']}`, { token, json: { subscription_target_table_name: 'events_fresh' } });
  t.like(await listed(), { version: 2, subscription_target_table_name: 'events_fresh' });

  const sourceId = await connectorIdOf(String(created['id']), 'source');
  const connector = await api.request('PATCH', `/connectors/${sourceId}`, { token, json: { name: 'renamed-source' } });
  t.is(connector.status, 200, JSON.stringify(connector.body));
  t.like(await listed(), { source_name: 'renamed-source' });

  const team = await api.request('PATCH', `/teams/${teamId}`, { token, json: { name: 'Data Engineering Team (renamed)' } });
  t.is(team.status, 200, JSON.stringify(team.body));
  t.like(await listed(), { team_name: 'Data Engineering Team (renamed)' });
  await api.request('PATCH', `/teams/${teamId}`, { token, json: { name: 'Data Engineering Team' } });

  t.is((await api.request('POST', `/pipelines/${created['id']}/start`, { token })).status, 202);
  t.like(await listed(), { state: 'building' });
});

test('outsiders get 403; unknown ids 404; delete answers 204', async (t) => {
  const id = String(asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('guarded') })).body)['id']);
  t.is((await api.request('GET', `/pipelines/${id}`, { token: outsiderToken })).status, 403);
  t.is((await api.request('POST', `/pipelines/${id}/start`, { token: outsiderToken })).status, 403);
  t.is((await api.request('POST', '/pipelines/', { token: outsiderToken, json: optionA('intruder') })).status, 403);
  t.is(asRecord((await api.request('GET', '/pipelines/', { token: outsiderToken })).body)['total'], 0);
  t.is((await api.request('GET', `/pipelines/${randomUUID()}`, { token })).status, 404);
  t.is((await api.request('DELETE', `/pipelines/${id}`, { token })).status, 204);
  t.is((await api.request('GET', `/pipelines/${id}`, { token })).status, 404);
});

test('configuration export names connectors, holds no secret, and imports into another pipeline', async (t) => {
  const origin = asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('exported') })).body);
  const exported = asRecord((await api.request('GET', `/pipelines/${origin['id']}/configuration`, { token })).body);
  t.like(exported, {
    format: 'popsink.pipeline.v1',
    name: 'exported',
    source: { name: 'kafka-events-source-exported', type: 'KAFKA_SOURCE' },
  });
  t.false(JSON.stringify(exported).includes('kafka_pass'));
  t.false(JSON.stringify(exported).includes('sealed:'));

  const other = asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('importer') })).body);
  const imported = await api.request('POST', `/pipelines/${other['id']}/configuration`, { token, json: exported });
  t.is(imported.status, 200);
  t.like(asRecord(imported.body), { version: 2, source_name: 'kafka-events-source-exported', subscription_target_table_name: 'events' });
  const unknown = await api.request('POST', `/pipelines/${other['id']}/configuration`, {
    token,
    json: { ...exported, source: { name: 'nope', type: 'KAFKA_SOURCE' } },
  });
  t.is(unknown.status, 422);
  t.deepEqual((asRecord(unknown.body)['detail'] as { loc: unknown }[])[0]?.loc, ['body', 'source', 'name']);
});

test('the datamodel: its own id, the schema of the mapper, an error table change is a new version', async (t) => {
  const pipeline = asRecord(
    (await api.request('POST', '/pipelines/', { token, json: { ...optionA('modelled'), datamodel_source_topic: 'user-events' } })).body,
  );
  const datamodelId = String(pipeline['datamodel_id']);
  t.regex(datamodelId, /^[0-9a-f-]{36}$/);
  t.like(asRecord((await api.request('GET', `/datamodels/${datamodelId}`, { token })).body), {
    pipeline_id: pipeline['id'],
    source_topic: 'user-events',
    error_table_enabled: false,
  });
  t.deepEqual((await api.request('GET', `/datamodels/${datamodelId}/schema`, { token })).body, [
    { name: 'user_id', type: 'string', nullable: false, primary_key: true },
    { name: 'event_type', type: 'string', nullable: false, primary_key: false },
  ]);
  const patched = await api.request('PATCH', `/datamodels/${datamodelId}/error-table`, {
    token,
    json: { error_table_enabled: true, error_table_name: 'events_errors' },
  });
  t.like(asRecord(patched.body), { id: datamodelId, error_table_enabled: true, error_table_name: 'events_errors' });
  t.like(asRecord((await api.request('GET', `/pipelines/${pipeline['id']}`, { token })).body), {
    version: 2,
    datamodel_error_table_name: 'events_errors',
    datamodel_id: datamodelId,
  });
  const listed = asRecord((await api.request('GET', '/datamodels/', { token })).body);
  t.true((listed['items'] as { id: string }[]).some((d) => d.id === datamodelId));
  t.is((await api.request('GET', `/datamodels/${datamodelId}`, { token: outsiderToken })).status, 403);
  t.is((await api.request('GET', `/datamodels/${randomUUID()}`, { token })).status, 404);
});

test('a datamodel delete resets it (a new version), keeping its id', async (t) => {
  const pipeline = asRecord(
    (
      await api.request('POST', '/pipelines/', {
        token,
        json: {
          ...optionA('reset-model'),
          datamodel_source_topic: 'other',
          datamodel_error_table_enabled: true,
          datamodel_error_table_name: 'errs',
        },
      })
    ).body,
  );
  const datamodelId = String(pipeline['datamodel_id']);
  t.is((await api.request('DELETE', `/datamodels/${datamodelId}`, { token })).status, 204);
  t.like(asRecord((await api.request('GET', `/datamodels/${datamodelId}`, { token })).body), {
    id: datamodelId,
    source_topic: null,
    error_table_enabled: false,
    error_table_name: null,
  });
  t.like(asRecord((await api.request('GET', `/pipelines/${pipeline['id']}`, { token })).body), {
    version: 2,
    datamodel_source_topic: null,
  });
});

test('error tables: enabled needs a name; the target must be a target connector of the team', async (t) => {
  const noName = await api.request('POST', '/pipelines/', {
    token,
    json: { ...optionA('errtable-1'), subscription_error_table_enabled: true },
  });
  t.is(noName.status, 422);
  t.deepEqual((asRecord(noName.body)['detail'] as { loc: unknown }[])[0]?.loc, ['body', 'subscription_error_table_name']);
  const pipeline = asRecord((await api.request('POST', '/pipelines/', { token, json: optionA('errtable-2') })).body);
  const source = await api.request('PATCH', `/datamodels/${pipeline['datamodel_id']}/error-table`, {
    token,
    json: { error_table_enabled: true, error_table_name: 'e', error_table_target_id: pipeline['existing_source_id'] ?? randomUUID() },
  });
  t.is(source.status, 422);
  t.deepEqual((asRecord(source.body)['detail'] as { loc: unknown }[])[0]?.loc, ['body', 'error_table_target_id']);
});

test("the contract's Troubleshooting cases answer 422 at the field the contract shows", async (t) => {
  const detail = (body: unknown) => (asRecord(body)['detail'] as { loc: unknown[]; msg: string; type: string }[])[0];
  const { source_name: _name, ...noSourceName } = optionA('no-source-name');
  const missing = await api.request('POST', '/pipelines/', { token, json: noSourceName });
  t.is(missing.status, 422);
  t.deepEqual(detail(missing.body), { loc: ['body', 'source_name'], msg: 'field required', type: 'value_error.missing' });

  for (const name of ['pipeline name', 'pipeline.name', 'pipeline@name', '', 'x'.repeat(256)]) {
    const refused = await api.request('POST', '/pipelines/', { token, json: optionA(name) });
    t.is(refused.status, 422, name);
    t.deepEqual(detail(refused.body)?.loc, ['body', 'name'], name);
  }
  for (const name of ['user_events_pipeline_v2', 'Pipeline123', 'x'.repeat(255)]) {
    const json = {
      ...optionA(name),
      source_name: `src-${name.length}-${name.slice(0, 20)}`,
      target_name: `dst-${name.length}-${name.slice(0, 20)}`,
    };
    t.is((await api.request('POST', '/pipelines/', { token, json })).status, 201, name);
  }

  const both = await api.request('POST', '/pipelines/', { token, json: { ...optionA('both-sides'), existing_target_id: randomUUID() } });
  t.is(both.status, 422);
  t.deepEqual(detail(both.body)?.loc, ['body', 'existing_target_id']);
});

test('a refused pipeline leaves no connector behind (a retry with a fixed body succeeds)', async (t) => {
  t.is((await api.request('POST', '/pipelines/', { token, json: optionA('bad name!') })).status, 422);
  t.is((await api.request('POST', '/pipelines/', { token, json: { ...optionA('taken'), name: 'kafka-to-oracle-pipeline' } })).status, 409);
  t.is((await api.request('GET', '/connectors/filter-one?name=kafka-events-source-taken', { token })).status, 404);
  t.is((await api.request('POST', '/pipelines/', { token, json: optionA('taken') })).status, 201);
});
