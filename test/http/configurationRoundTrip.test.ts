import test from 'ava';
import { asRecord, startTeamApi, type TeamWorld } from './apiFixtures';

/**
 * A pipeline's portable configuration exported from one installation and imported into a
 * pipeline of a second one (whose connectors carry the same names, with secrets of their own):
 * the second exports the very same configuration.
 */
const mapper = [
  { key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false },
  { key: 'at', path: '$.ts', cast: 'datetime', cast_format: '%d/%m/%Y %H:%M:%S', primary_key: false, nullable: true },
];

const connectorsOf = (world: TeamWorld, password: string) => [
  {
    name: 'orders-source',
    team_id: world.teamId,
    connector_type: 'KAFKA_SOURCE',
    config: {
      topic: 'orders',
      bootstrap_servers: 'kafka:9092',
      security_protocol: 'SASL_PLAINTEXT',
      sasl_mechanism: 'PLAIN',
      sasl_username: 'u',
      sasl_password: password,
    },
  },
  {
    name: 'warehouse',
    team_id: world.teamId,
    connector_type: 'POSTGRES_TARGET',
    config: { host: 'db', port: '5432', database: 'dw', user: 'etl', password },
  },
];

async function pipelineOver(world: TeamWorld, password: string, name: string): Promise<string> {
  const [source, target] = await Promise.all(
    connectorsOf(world, password).map(async (json) =>
      String(asRecord((await world.api.request('POST', '/connectors/', { token: world.token, json })).body)['id']),
    ),
  );
  const created = await world.api.request('POST', '/pipelines/', {
    token: world.token,
    json: { name, team_id: world.teamId, existing_source_id: source, existing_target_id: target },
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return String(asRecord(created.body)['id']);
}

test('configuration export / import round-trips through a second installation', async (t) => {
  const [origin, copy] = await Promise.all([startTeamApi('origin', 'Team'), startTeamApi('copy', 'Team')]);
  try {
    const originId = await pipelineOver(origin, 'origin-secret', 'orders');
    await origin.api.request('PATCH', `/pipelines/${originId}`, {
      token: origin.token,
      json: {
        subscription_target_table_name: 'orders',
        subscription_backfill: true,
        subscription_mapper_config: mapper,
        datamodel_source_topic: 'orders-v2',
        datamodel_error_table_enabled: true,
        datamodel_error_table_name: 'orders_errors',
      },
    });
    await origin.api.request('POST', '/subscriptions/', {
      token: origin.token,
      json: { pipeline_id: originId, target_table_name: 'orders_audit', mapper_config: mapper.slice(0, 1) },
    });
    const exported = asRecord((await origin.api.request('GET', `/pipelines/${originId}/configuration`, { token: origin.token })).body);
    t.false(JSON.stringify(exported).includes('origin-secret'));

    const copyId = await pipelineOver(copy, 'copy-secret', 'orders-copy');
    const imported = await copy.api.request('POST', `/pipelines/${copyId}/configuration`, { token: copy.token, json: exported });
    t.is(imported.status, 200, JSON.stringify(imported.body));
    const reexported = asRecord((await copy.api.request('GET', `/pipelines/${copyId}/configuration`, { token: copy.token })).body);
    const portable = ({ name: _name, source, target, ...rest }: Record<string, unknown>) => ({
      ...rest,
      source: { name: asRecord(source)['name'], type: asRecord(source)['type'] },
      target: { name: asRecord(target)['name'], type: asRecord(target)['type'] },
    });
    t.deepEqual(portable(reexported), portable(exported));
    t.is((reexported['subscriptions'] as unknown[]).length, 2);
    t.is(asRecord(asRecord(reexported['source'])['config'])['sasl_password'], '********');
  } finally {
    await Promise.all([origin.api.stop(), copy.api.stop()]);
  }
});
