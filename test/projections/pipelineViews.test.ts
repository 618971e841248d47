import test from 'ava';
import { PIPELINES, SUBSCRIPTIONS } from '../../projections/collections';
import { pipelinesView } from '../../projections/pipeline/pipelinesView';
import { subscriptionsView } from '../../projections/pipeline/subscriptionsView';
import { projectionSpec, timeOf } from './projectionSpec';

const subscription = (id: string, target_table_name: string) => ({
  id,
  consumer_id: `popsink-${id}`,
  backfill: false,
  mapper_config: [],
  target_table_name,
});
const settings = {
  sourceConnectorId: 'c-src',
  targetConnectorId: 'c-dst',
  ownsSource: true,
  ownsTarget: false,
  subscriptions: [subscription('s-1', 'events'), subscription('s-2', 'audit')],
  datamodel: { id: 'd-1' },
};
const created = { type: 'PipelineCreated', data: { pipelineId: 'p-1', teamId: 't-1', name: 'kafka-to-pg', settings } } as const;
const pipeline = {
  id: 'p-1',
  name: 'kafka-to-pg',
  team_id: 't-1',
  state: 'draft',
  version: 1,
  error_reason: null,
  source_connector_id: 'c-src',
  target_connector_id: 'c-dst',
  owns_source: true,
  owns_target: false,
  subscriptions: settings.subscriptions,
  datamodel: { id: 'd-1' },
  datamodel_id: 'd-1',
  created_at: timeOf(0),
  updated_at: timeOf(0),
};

test('pipelines: a created pipeline is a draft at version 1 with its flattened settings', async (t) => {
  await projectionSpec(pipelinesView)
    .given([created])
    .then(t, { [PIPELINES]: [pipeline] });
});

test('pipelines: the lifecycle sets the state; a failure keeps its reason until the next start', async (t) => {
  const spec = projectionSpec(pipelinesView);
  const failed = {
    type: 'PipelineFailed',
    data: { pipelineId: 'p-1', version: 1, reasonCode: 'TARGET_UNREACHABLE', reason: 'connection refused' },
  } as const;
  await spec.given([created, { type: 'PipelineStarted', data: { pipelineId: 'p-1', version: 1 } }, failed]).then(t, {
    [PIPELINES]: [{ ...pipeline, state: 'error', error_reason: 'TARGET_UNREACHABLE: connection refused', updated_at: timeOf(2) }],
  });
  await spec
    .given([
      created,
      { type: 'PipelineStarted', data: { pipelineId: 'p-1', version: 1 } },
      failed,
      { type: 'PipelineStarted', data: { pipelineId: 'p-1', version: 1 } },
      { type: 'PipelineWentLive', data: { pipelineId: 'p-1', version: 1 } },
    ])
    .then(t, { [PIPELINES]: [{ ...pipeline, state: 'live', updated_at: timeOf(4) }] });
  await spec
    .given([
      created,
      { type: 'PipelineStarted', data: { pipelineId: 'p-1', version: 1 } },
      { type: 'PipelinePaused', data: { pipelineId: 'p-1' } },
    ])
    .then(t, { [PIPELINES]: [{ ...pipeline, state: 'paused', updated_at: timeOf(2) }] });
});

test('pipelines: a rename keeps the version; a reconfiguration sets it and the settings; a delete removes it', async (t) => {
  const spec = projectionSpec(pipelinesView);
  await spec
    .given([created, { type: 'PipelineRenamed', data: { pipelineId: 'p-1', teamId: 't-1', name: 'renamed', previousName: 'kafka-to-pg' } }])
    .then(t, { [PIPELINES]: [{ ...pipeline, name: 'renamed', updated_at: timeOf(1) }] });
  const next = { ...settings, targetConnectorId: 'c-other', subscriptions: [subscription('s-1', 'events_v2')], datamodel: { id: 'd-2' } };
  await spec
    .given([created, { type: 'PipelineReconfigured', data: { pipelineId: 'p-1', teamId: 't-1', version: 2, settings: next } }])
    .then(t, {
      [PIPELINES]: [
        {
          ...pipeline,
          version: 2,
          target_connector_id: 'c-other',
          subscriptions: next.subscriptions,
          datamodel: { id: 'd-2' },
          datamodel_id: 'd-2',
          updated_at: timeOf(1),
        },
      ],
    });
  await spec
    .given([created, { type: 'PipelineDeleted', data: { pipelineId: 'p-1', teamId: 't-1', name: 'kafka-to-pg', wasRunning: false } }])
    .then(t, {});
});

test('subscriptions: one document per subscription, in its order, with its pipeline and team', async (t) => {
  const { id: _s1, ...first } = subscription('s-1', 'events');
  const { id: _s2, ...second } = subscription('s-2', 'audit');
  await projectionSpec(subscriptionsView)
    .given([created])
    .then(t, {
      [SUBSCRIPTIONS]: [
        { id: 's-1', ...first, pipeline_id: 'p-1', team_id: 't-1', order: 0, updated_at: timeOf(0) },
        { id: 's-2', ...second, pipeline_id: 'p-1', team_id: 't-1', order: 1, updated_at: timeOf(0) },
      ],
    });
});

test('subscriptions: paused and resumed on their own; removed one by one', async (t) => {
  const { id: _s1, ...first } = subscription('s-1', 'events');
  await projectionSpec(subscriptionsView)
    .given([
      created,
      { type: 'SubscriptionPaused', data: { pipelineId: 'p-1', subscriptionId: 's-1' } },
      { type: 'SubscriptionPaused', data: { pipelineId: 'p-1', subscriptionId: 's-2' } },
      { type: 'SubscriptionResumed', data: { pipelineId: 'p-1', subscriptionId: 's-1' } },
      { type: 'SubscriptionRemoved', data: { pipelineId: 'p-1', subscriptionId: 's-2' } },
    ])
    .then(t, {
      [SUBSCRIPTIONS]: [{ id: 's-1', ...first, pipeline_id: 'p-1', team_id: 't-1', order: 0, paused: false, updated_at: timeOf(3) }],
    });
});
