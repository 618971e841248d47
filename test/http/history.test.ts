import test from 'ava';
import { randomUUID } from 'node:crypto';
import { asRecord, noSecretInClear, startTeamApi, type Api } from './apiFixtures';

let api: Api;
let token: string;
let teamId: string;
let outsiderToken: string;

test.before(async () => {
  ({ api, token, teamId, outsiderToken } = await startTeamApi('history', 'Historians'));
});
noSecretInClear(test, () => api, ['history-secret-1', 'history-secret-2']);
test.after.always(async () => {
  await api?.stop();
});

interface Entry {
  revision: number;
  version: number;
  event_type: string;
  actor_email: string | null;
  time: string;
  changes: { field: string; old: unknown; new: unknown }[];
}
const itemsOf = (body: unknown) => asRecord(body)['items'] as Entry[];

test('pipeline history: every change from the log, newest first, with actor, time, version and old → new fields', async (t) => {
  const created = asRecord(
    (
      await api.request('POST', '/pipelines/', {
        token,
        json: {
          name: 'historic',
          team_id: teamId,
          source_name: 'historic-src',
          source_type: 'KAFKA_SOURCE',
          source_config: { topic: 'a', bootstrap_servers: 'k:9092' },
          target_name: 'historic-dst',
          target_type: 'KAFKA_TARGET',
          target_config: { bootstrap_server: 'k:9092' },
          subscription_target_table_name: 'first',
        },
      })
    ).body,
  );
  const id = String(created['id']);
  await api.request('PATCH', `/pipelines/${id}`, { token, json: { name: 'historic-v2', subscription_target_table_name: 'second' } });
  await api.request('POST', `/pipelines/${id}/start`, { token });

  const history = await api.request('GET', `/pipelines/${id}/history`, { token });
  t.is(history.status, 200);
  const items = itemsOf(history.body);
  t.deepEqual(
    items.map((entry) => [entry.event_type, entry.version]),
    [
      ['PipelineStarted', 2],
      ['PipelineReconfigured', 2],
      ['PipelineRenamed', 1],
      ['PipelineCreated', 1],
    ],
  );
  t.true(items.every((entry) => entry.actor_email !== null && !Number.isNaN(Date.parse(entry.time))));
  t.deepEqual(items[0]?.changes, [{ field: 'state', old: 'draft', new: 'building' }]);
  t.deepEqual(items[2]?.changes, [{ field: 'name', old: 'historic', new: 'historic-v2' }]);
  t.like(
    items[1]?.changes.find((change) => change.field === 'subscriptions[0].target_table_name'),
    { old: 'first', new: 'second' },
  );
  t.like(
    items[1]?.changes.find((change) => change.field === 'version'),
    { old: 1, new: 2 },
  );
  t.true((items[3]?.changes.length ?? 0) > 5, 'the creation lists every field it set');
  t.is(asRecord(history.body)['total'], 4);
  t.is(itemsOf((await api.request('GET', `/pipelines/${id}/history?skip=1&limit=2`, { token })).body).length, 2);

  t.is((await api.request('GET', `/pipelines/${id}/history`, { token: outsiderToken })).status, 403);
  t.is((await api.request('GET', `/pipelines/${randomUUID()}/history`, { token })).status, 404);
});

test('connector history: secrets changed show as masked, never in clear or sealed', async (t) => {
  const config = {
    topic: 'a',
    bootstrap_servers: 'k:9092',
    security_protocol: 'SASL_PLAINTEXT',
    sasl_mechanism: 'PLAIN',
    sasl_username: 'u',
    sasl_password: 'history-secret-1',
  };
  const created = asRecord(
    (
      await api.request('POST', '/connectors/', {
        token,
        json: { name: 'historic-conn', team_id: teamId, connector_type: 'KAFKA_SOURCE', config },
      })
    ).body,
  );
  const id = String(created['id']);
  await api.request('PATCH', `/connectors/${id}`, {
    token,
    json: { config: { ...config, sasl_password: 'history-secret-2', topic: 'b' } },
  });
  const history = await api.request('GET', `/connectors/${id}/history`, { token });
  t.is(history.status, 200);
  const [update, creation] = itemsOf(history.body);
  t.is(update?.event_type, 'ConnectorUpdated');
  t.deepEqual(
    update?.changes,
    [{ field: 'config.topic', old: 'a', new: 'b' }],
    'a changed secret stays masked on both sides, so it does not show as a change',
  );
  t.like(
    creation?.changes.find((change) => change.field === 'config.sasl_password'),
    { old: null, new: '********' },
  );
  t.false(JSON.stringify(history.body).includes('sealed:'));
});
