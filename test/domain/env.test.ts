import test from 'ava';
import { envDecider, type EnvEvent } from '../../domain/env/env';
import { deciderSpec } from './deciderSpec';

const spec = deciderSpec(envDecider);
const envId = 'e-1';
const settings = { name: 'production-environment', description: 'Prod', useRetention: true, retentionConfiguration: null };
const created: EnvEvent = { type: 'EnvCreated', data: { envId, ownerId: 'u-1', ...settings } };

test('create: records the env with its owner and a trimmed name', (t) => {
  spec
    .given([])
    .when({ type: 'CreateEnv', envId, ownerId: 'u-1', ...settings, name: ' production-environment ' })
    .then(t, [created]);
});

test('create: an empty name is refused at body.name', (t) => {
  spec
    .given([])
    .when({ type: 'CreateEnv', envId, ownerId: 'u-1', ...settings, name: '  ' })
    .thenFails(t, { kind: 'invalid', code: 'value_error.any_str.min_length' });
});

test('create: an existing env cannot be created again', (t) => {
  spec
    .given([created])
    .when({ type: 'CreateEnv', envId, ownerId: 'u-1', ...settings })
    .thenFails(t, { kind: 'conflict', code: 'ENV_ALREADY_EXISTS' });
});

test('update: records only what changed, with the previous name', (t) => {
  spec
    .given([created])
    .when({ type: 'UpdateEnv', name: 'prod', description: 'Prod', retentionConfiguration: { retention_ms: 1000 } })
    .then(t, [
      {
        type: 'EnvUpdated',
        data: { envId, previousName: 'production-environment', name: 'prod', retentionConfiguration: { retention_ms: 1000 } },
      },
    ]);
  spec.given([created]).when({ type: 'UpdateEnv', description: 'Prod' }).then(t, []);
});

test('update: the name rule holds', (t) => {
  spec
    .given([created])
    .when({ type: 'UpdateEnv', name: 'x'.repeat(256) })
    .thenFails(t, { kind: 'invalid', code: 'value_error.any_str.max_length' });
});

test('delete: then not found', (t) => {
  const deleted: EnvEvent = { type: 'EnvDeleted', data: { envId, name: 'production-environment' } };
  spec.given([created]).when({ type: 'DeleteEnv' }).then(t, [deleted]);
  spec.given([created, deleted]).when({ type: 'UpdateEnv', name: 'again' }).thenFails(t, { kind: 'not_found', code: 'ENV_NOT_FOUND' });
});
