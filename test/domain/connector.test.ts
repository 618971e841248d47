import test from 'ava';
import { connectorDecider, type ConnectorEvent } from '../../domain/connector/connector';
import { deciderSpec } from './deciderSpec';

const spec = deciderSpec(connectorDecider);
const connectorId = 'c-1';
const teamId = 't-1';
const config = { topic: 'user-events', bootstrap_servers: 'kafka:9092', sasl_password: 'sealed:v1:abc' };
const created: ConnectorEvent = {
  type: 'ConnectorCreated',
  data: { connectorId, teamId, connectorType: 'KAFKA_SOURCE', name: 'kafka-events-source', config },
};

test('create: a named connector of a type with its (sealed) config', (t) => {
  spec
    .given([])
    .when({ type: 'CreateConnector', connectorId, teamId, connectorType: 'KAFKA_SOURCE', name: ' kafka-events-source ', config })
    .then(t, [created]);
  spec
    .given([created])
    .when({ type: 'CreateConnector', connectorId, teamId, connectorType: 'KAFKA_SOURCE', name: 'x', config })
    .thenFails(t, { kind: 'conflict', code: 'CONNECTOR_ALREADY_EXISTS' });
  spec
    .given([])
    .when({ type: 'CreateConnector', connectorId, teamId, connectorType: 'KAFKA_SOURCE', name: '', config })
    .thenFails(t, { kind: 'invalid', code: 'value_error.any_str.min_length' });
});

test('update: only what changed is recorded', (t) => {
  const changed = { ...config, topic: 'other' };
  spec
    .given([created])
    .when({ type: 'UpdateConnector', config: changed })
    .then(t, [{ type: 'ConnectorUpdated', data: { connectorId, teamId, previousName: 'kafka-events-source', config: changed } }]);
  spec.given([created]).when({ type: 'UpdateConnector', name: 'kafka-events-source', config }).then(t, []);
});

test('delete: then not found', (t) => {
  const deleted: ConnectorEvent = { type: 'ConnectorDeleted', data: { connectorId, teamId, name: 'kafka-events-source' } };
  spec.given([created]).when({ type: 'DeleteConnector' }).then(t, [deleted]);
  spec
    .given([created, deleted])
    .when({ type: 'UpdateConnector', name: 'again' })
    .thenFails(t, { kind: 'not_found', code: 'CONNECTOR_NOT_FOUND' });
});
