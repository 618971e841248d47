import test from 'ava';
import { CONNECTORS } from '../../projections/collections';
import { connectorsView } from '../../projections/connector/connectorsView';
import { projectionSpec, timeOf } from './projectionSpec';

const spec = projectionSpec(connectorsView);
const config = { topic: 'user-events', bootstrap_servers: 'kafka:9092', sasl_password: 'sealed:v1:abc' };
const created = {
  type: 'ConnectorCreated',
  data: { connectorId: 'c-1', teamId: 't-1', connectorType: 'KAFKA_SOURCE', name: 'events', config },
} as const;
const connector = {
  id: 'c-1',
  team_id: 't-1',
  connector_type: 'KAFKA_SOURCE',
  name: 'events',
  config,
  created_at: timeOf(0),
  updated_at: timeOf(0),
};

test('connectors: a created connector with its config, secrets still sealed', async (t) => {
  await spec.given([created]).then(t, { [CONNECTORS]: [connector] });
});

test('connectors: an update replaces what it names; a delete removes it', async (t) => {
  const renamed = {
    type: 'ConnectorUpdated',
    data: { connectorId: 'c-1', teamId: 't-1', previousName: 'events', name: 'user-events' },
  } as const;
  await spec.given([created, renamed]).then(t, { [CONNECTORS]: [{ ...connector, name: 'user-events', updated_at: timeOf(1) }] });
  const reconfigured = {
    type: 'ConnectorUpdated',
    data: { connectorId: 'c-1', teamId: 't-1', previousName: 'events', config: { topic: 'other' } },
  } as const;
  await spec
    .given([created, reconfigured])
    .then(t, { [CONNECTORS]: [{ ...connector, config: { topic: 'other' }, updated_at: timeOf(1) }] });
  await spec.given([created, { type: 'ConnectorDeleted', data: { connectorId: 'c-1', teamId: 't-1', name: 'events' } }]).then(t, {});
});
