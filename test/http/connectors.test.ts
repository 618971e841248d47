import test from 'ava';
import { join } from 'node:path';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import { connectorStream } from '../../commands/streams';
import { randomUUID } from 'node:crypto';
import { asRecord, noSecretInClear, startApi, type Api } from './apiFixtures';

let api: Api;
let token: string;
let teamId: string;

test.before(async () => {
  api = await startApi();
  const mail = `connectors-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(mail);
  token = await api.login(mail);
  await api.request('POST', '/envs/', { token, json: { name: `env-${randomUUID()}` } });
  teamId = String(asRecord((await api.request('POST', '/teams/', { token, json: { name: 'Data' } })).body)['id']);
});
noSecretInClear(test, () => api, ['kafka_pass', 'new-pass']);
test.after.always(async () => {
  await api?.stop();
});

const source = (name: string, password = 'kafka_pass') => ({
  name,
  team_id: teamId,
  connector_type: 'KAFKA_SOURCE',
  config: {
    topic: 'user-events',
    bootstrap_servers: 'kafka:9092',
    security_protocol: 'SASL_PLAINTEXT',
    sasl_mechanism: 'PLAIN',
    sasl_username: 'u',
    sasl_password: password,
  },
});

/** The sasl_password the last `eventType` event of a connector holds in the event log itself. */
const loggedPassword = async (connectorId: string, eventType: string): Promise<unknown> => {
  const store = sqliteEventStore(join(api.dataDir, 'events.db'));
  try {
    const event = (await store.readStream(connectorStream(connectorId))).filter((recorded) => recorded.type === eventType).at(-1);
    return asRecord(asRecord(event?.data)['config'])['sasl_password'];
  } finally {
    await store.close();
  }
};

/** The sasl_password the audit trail shows for the last `eventType` event of a connector. */
const auditedPassword = async (connectorId: string, eventType: string): Promise<unknown> => {
  const items = asRecord((await api.request('GET', `/user-logs?resource_id=${connectorId}&event_type=${eventType}`, { token })).body)[
    'items'
  ] as { details: { config: Record<string, unknown> } }[];
  return items[0]?.details.config['sasl_password'];
};

test('create, read and list connectors; secrets are masked in answers and sealed in the log', async (t) => {
  const created = await api.request('POST', '/connectors/', { token, json: source('events-source') });
  t.is(created.status, 201);
  const connector = asRecord(created.body);
  t.like(connector, { name: 'events-source', connector_type: 'KAFKA_SOURCE', team_id: teamId });
  t.is(asRecord(connector['config'])['sasl_password'], '********');
  t.regex(String(await loggedPassword(String(connector['id']), 'ConnectorCreated')), /^sealed:v1:/);
  t.is(await auditedPassword(String(connector['id']), 'ConnectorCreated'), '********', 'the audit trail masks even sealed values');
  t.is((await api.request('GET', `/connectors/${connector['id']}`, { token })).status, 200);
  const sources = (await api.request('GET', '/connectors/source-config', { token })).body as { id: string }[];
  t.true(sources.some((c) => c.id === connector['id']));
  const targets = (await api.request('GET', '/connectors/target-config', { token })).body as { id: string }[];
  t.false(targets.some((c) => c.id === connector['id']));
  t.is(asRecord((await api.request('GET', '/connectors/filter-one?name=events-source', { token })).body)['id'], connector['id']);
  t.false(JSON.stringify(await api.request('GET', `/user-logs?resource_id=${connector['id']}`, { token })).includes('kafka_pass'));
});

test('PATCH: a masked secret sent back keeps the stored one; a new one is sealed anew', async (t) => {
  const connector = asRecord((await api.request('POST', '/connectors/', { token, json: source('patched-source') })).body);
  const id = String(connector['id']);
  const sealed = await loggedPassword(id, 'ConnectorCreated');
  const echoed = await api.request('PATCH', `/connectors/${id}`, {
    token,
    json: { config: { ...asRecord(connector['config']), topic: 'other' } },
  });
  t.is(echoed.status, 200);
  t.is(await loggedPassword(id, 'ConnectorUpdated'), sealed);
  await api.request('PATCH', `/connectors/${id}`, {
    token,
    json: { config: { ...asRecord(connector['config']), sasl_password: 'new-pass' } },
  });
  const resealed = await loggedPassword(id, 'ConnectorUpdated');
  t.regex(String(resealed), /^sealed:v1:/);
  t.not(resealed, sealed);
  const invalid = await api.request('PATCH', `/connectors/${id}`, { token, json: { config: { topic: 'x' } } });
  t.is(invalid.status, 422);
  t.deepEqual((asRecord(invalid.body)['detail'] as { loc: unknown }[])[0]?.loc, ['body', 'config', 'bootstrap_servers']);
});

test('a connector in use cannot be deleted; start / stop act on the pipelines that use it', async (t) => {
  const sourceId = String(asRecord((await api.request('POST', '/connectors/', { token, json: source('shared-source') })).body)['id']);
  const target = await api.request('POST', '/connectors/', {
    token,
    json: { name: 'sink', team_id: teamId, connector_type: 'KAFKA_TARGET', config: { bootstrap_server: 'kafka:9092' } },
  });
  const targetId = String(asRecord(target.body)['id']);
  const pipeline = asRecord(
    (
      await api.request('POST', '/pipelines/', {
        token,
        json: { name: 'uses-shared', team_id: teamId, existing_source_id: sourceId, existing_target_id: targetId },
      })
    ).body,
  );
  await api.request('POST', `/pipelines/${pipeline['id']}/start`, { token });

  const teamInUse = await api.request('DELETE', `/teams/${teamId}`, { token });
  t.deepEqual([teamInUse.status, teamInUse.body], [409, { detail: 'TEAM_NOT_EMPTY' }]);
  const inUse = await api.request('DELETE', `/connectors/${sourceId}`, { token });
  t.deepEqual([inUse.status, inUse.body], [409, { detail: 'CONNECTOR_IN_USE' }]);
  const stopped = await api.request('POST', `/connectors/${targetId}/stop`, { token });
  t.deepEqual([stopped.status, asRecord(stopped.body)['pipelines']], [202, [pipeline['id']]]);
  t.is(asRecord((await api.request('GET', `/pipelines/${pipeline['id']}`, { token })).body)['state'], 'paused');
  await api.request('POST', `/connectors/${targetId}/start`, { token });
  t.is(asRecord((await api.request('GET', `/pipelines/${pipeline['id']}`, { token })).body)['state'], 'building');
  const worker = asRecord((await api.request('GET', `/connectors/${sourceId}/source-worker-config`, { token })).body);
  t.is(asRecord(worker['config'])['sasl_password'], '********');

  await api.request('DELETE', `/pipelines/${pipeline['id']}`, { token });
  t.is((await api.request('DELETE', `/connectors/${sourceId}`, { token })).status, 204);
  t.is((await api.request('GET', `/connectors/${sourceId}`, { token })).status, 404);
});
