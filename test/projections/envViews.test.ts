import test from 'ava';
import { ENVS } from '../../projections/collections';
import { envsView } from '../../projections/env/envsView';
import { projectionSpec, timeOf } from './projectionSpec';

const spec = projectionSpec(envsView);
const created = {
  type: 'EnvCreated',
  data: {
    envId: 'e-1',
    ownerId: 'u-1',
    name: 'prod',
    description: 'Production',
    useRetention: true,
    retentionConfiguration: { retention_ms: 1000 },
  },
} as const;

test('envs: a created env with its owner and settings', async (t) => {
  await spec.given([created]).then(t, {
    [ENVS]: [
      {
        id: 'e-1',
        name: 'prod',
        description: 'Production',
        use_retention: true,
        retention_configuration: { retention_ms: 1000 },
        owner_id: 'u-1',
        created_at: timeOf(0),
        updated_at: timeOf(0),
      },
    ],
  });
});

test('envs: an update sets only what it names, and the update time', async (t) => {
  await spec
    .given([created, { type: 'EnvUpdated', data: { envId: 'e-1', previousName: 'prod', name: 'production', useRetention: false } }])
    .then(t, {
      [ENVS]: [
        {
          id: 'e-1',
          name: 'production',
          description: 'Production',
          use_retention: false,
          retention_configuration: { retention_ms: 1000 },
          owner_id: 'u-1',
          created_at: timeOf(0),
          updated_at: timeOf(1),
        },
      ],
    });
});

test('envs: a deleted env is gone', async (t) => {
  await spec.given([created, { type: 'EnvDeleted', data: { envId: 'e-1', name: 'prod' } }]).then(t, {});
});
