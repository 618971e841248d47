import test from 'ava';
import { MASK } from '../../domain/connector/secrets';
import { USER_LOGS } from '../../projections/collections';
import { auditView } from '../../projections/audit/auditView';
import { projectionSpec, timeOf } from './projectionSpec';

const spec = projectionSpec(auditView);

test('user logs: one entry per event with who, what, on which resource, where and when', async (t) => {
  await spec
    .given([
      {
        type: 'EnvCreated',
        data: { envId: 'e-1', ownerId: 'u-1', name: 'prod', description: null, useRetention: false, retentionConfiguration: null },
        actorId: 'u-1',
      },
      { type: 'TeamMemberAdded', data: { teamId: 't-1', envId: 'e-1', userId: 'u-2', role: 'member' }, actorId: 'u-1' },
      { type: 'SubscriptionPaused', data: { pipelineId: 'p-1', subscriptionId: 's-1' }, actorId: 'u-2' },
    ])
    .then(t, {
      [USER_LOGS]: [
        {
          id: 'event-1',
          user_id: 'u-1',
          event_type: 'EnvCreated',
          resource_type: 'env',
          resource_id: 'e-1',
          env_id: 'e-1',
          team_id: null,
          time: timeOf(0),
          correlation_id: 'request-1',
          position: 1,
          details: { envId: 'e-1', ownerId: 'u-1', name: 'prod', description: null, useRetention: false, retentionConfiguration: null },
        },
        {
          id: 'event-2',
          user_id: 'u-1',
          event_type: 'TeamMemberAdded',
          resource_type: 'team',
          resource_id: 't-1',
          env_id: 'e-1',
          team_id: 't-1',
          time: timeOf(1),
          correlation_id: 'request-2',
          position: 2,
          details: { teamId: 't-1', envId: 'e-1', userId: 'u-2', role: 'member' },
        },
        // A subscription is part of its pipeline: its events are the pipeline's.
        {
          id: 'event-3',
          user_id: 'u-2',
          event_type: 'SubscriptionPaused',
          resource_type: 'pipeline',
          resource_id: 'p-1',
          env_id: null,
          team_id: null,
          time: timeOf(2),
          correlation_id: 'request-3',
          position: 3,
          details: { pipelineId: 'p-1', subscriptionId: 's-1' },
        },
      ],
    });
});

test('user logs: hashes are left out and connector secrets masked; reservations are not actions', async (t) => {
  await spec
    .given([
      { type: 'UserPasswordChanged', data: { userId: 'u-1', passwordHash: 'scrypt$secret' }, actorId: 'u-1' },
      {
        type: 'ConnectorCreated',
        data: {
          connectorId: 'c-1',
          teamId: 't-1',
          connectorType: 'KAFKA_SOURCE',
          name: 'events',
          config: { topic: 'events', bootstrap_servers: 'kafka:9092', sasl_password: 'sealed:v1:abc' },
        },
        actorId: 'u-1',
      },
      { type: 'ReservationClaimed', data: { scope: 'env-name', value: 'prod', ownerId: 'e-1' } },
    ])
    .then(t, {
      [USER_LOGS]: [
        {
          id: 'event-1',
          user_id: 'u-1',
          event_type: 'UserPasswordChanged',
          resource_type: 'user',
          resource_id: 'u-1',
          env_id: null,
          team_id: null,
          time: timeOf(0),
          correlation_id: 'request-1',
          position: 1,
          details: { userId: 'u-1' },
        },
        {
          id: 'event-2',
          user_id: 'u-1',
          event_type: 'ConnectorCreated',
          resource_type: 'connector',
          resource_id: 'c-1',
          env_id: null,
          team_id: 't-1',
          time: timeOf(1),
          correlation_id: 'request-2',
          position: 2,
          details: {
            connectorId: 'c-1',
            teamId: 't-1',
            connectorType: 'KAFKA_SOURCE',
            name: 'events',
            config: { topic: 'events', bootstrap_servers: 'kafka:9092', sasl_password: MASK },
          },
        },
      ],
    });
});
