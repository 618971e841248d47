import test from 'ava';
import { pipelineDecider, type PipelineEvent } from '../../domain/pipeline/pipeline';
import { deciderSpec } from './deciderSpec';

const spec = deciderSpec(pipelineDecider);
const pipelineId = 'p-1';
const teamId = 't-1';
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
  ownsTarget: true,
  subscriptions: [subscription('s-1', 'events')],
  datamodel: { id: 'd-1' },
};
const created: PipelineEvent = { type: 'PipelineCreated', data: { pipelineId, teamId, name: 'kafka-to-oracle-pipeline', settings } };
const started: PipelineEvent = { type: 'PipelineStarted', data: { pipelineId, version: 1 } };
const live: PipelineEvent = { type: 'PipelineWentLive', data: { pipelineId, version: 1 } };
const paused: PipelineEvent = { type: 'PipelinePaused', data: { pipelineId } };

test('create: a valid name makes a draft at version 1', (t) => {
  spec.given([]).when({ type: 'CreatePipeline', pipelineId, teamId, name: 'kafka-to-oracle-pipeline', settings }).then(t, [created]);
});

test('create: the name rule (letters, digits, - and _, 1 to 255) answers at body.name', (t) => {
  for (const name of ['', 'has space', 'dots.are.out', 'é', 'x'.repeat(256)]) {
    spec
      .given([])
      .when({ type: 'CreatePipeline', pipelineId, teamId, name, settings })
      .thenFails(t, { kind: 'invalid', code: 'value_error.pipeline_name' });
  }
  spec
    .given([])
    .when({ type: 'CreatePipeline', pipelineId, teamId, name: `A-z_0${'9'.repeat(250)}`, settings })
    .then(t, [{ type: 'PipelineCreated', data: { pipelineId, teamId, name: `A-z_0${'9'.repeat(250)}`, settings } }]);
});

test('update: a rename keeps the version; a config change bumps it; no change records nothing', (t) => {
  spec
    .given([created])
    .when({ type: 'UpdatePipeline', name: 'renamed' })
    .then(t, [{ type: 'PipelineRenamed', data: { pipelineId, teamId, name: 'renamed', previousName: 'kafka-to-oracle-pipeline' } }]);
  const changed = { ...settings, subscriptions: [subscription('s-1', 'events_v2')] };
  spec
    .given([created])
    .when({ type: 'UpdatePipeline', settings: changed })
    .then(t, [{ type: 'PipelineReconfigured', data: { pipelineId, teamId, version: 2, settings: changed } }]);
  spec.given([created]).when({ type: 'UpdatePipeline', name: 'kafka-to-oracle-pipeline', settings }).then(t, []);
});

test('start: draft and paused become building; building and live stay (idempotent)', (t) => {
  spec.given([created]).when({ type: 'StartPipeline' }).then(t, [started]);
  spec.given([created, started, live, paused]).when({ type: 'StartPipeline' }).then(t, [started]);
  spec.given([created, started]).when({ type: 'StartPipeline' }).then(t, []);
  spec.given([created, started, live]).when({ type: 'StartPipeline' }).then(t, []);
});

test('pause: a draft cannot be paused; paused stays paused', (t) => {
  spec.given([created]).when({ type: 'PausePipeline' }).thenFails(t, { kind: 'conflict', code: 'PIPELINE_NOT_STARTED' });
  spec.given([created, started, live]).when({ type: 'PausePipeline' }).then(t, [paused]);
  spec.given([created, started, live, paused]).when({ type: 'PausePipeline' }).then(t, []);
});

test('the runtime reports live or error only for the version it runs, while it should run', (t) => {
  spec.given([created, started]).when({ type: 'MarkPipelineLive', version: 1 }).then(t, [live]);
  const reconfigured: PipelineEvent = { type: 'PipelineReconfigured', data: { pipelineId, teamId, version: 2, settings } };
  spec.given([created, started, reconfigured]).when({ type: 'MarkPipelineLive', version: 1 }).then(t, []);
  spec.given([created, started, paused]).when({ type: 'MarkPipelineLive', version: 1 }).then(t, []);
  const failed: PipelineEvent = {
    type: 'PipelineFailed',
    data: { pipelineId, version: 1, reasonCode: 'TARGET_UNREACHABLE', reason: 'connection refused' },
  };
  spec.given([created, started, live, failed]).when({ type: 'MarkPipelineLive', version: 1 }).then(t, [live]);
  spec
    .given([created, started, live])
    .when({ type: 'MarkPipelineFailed', version: 1, reasonCode: 'TARGET_UNREACHABLE', reason: 'connection refused' })
    .then(t, [
      { type: 'PipelineFailed', data: { pipelineId, version: 1, reasonCode: 'TARGET_UNREACHABLE', reason: 'connection refused' } },
    ]);
});

test('delete: records whether a worker must be stopped; then not found', (t) => {
  const deleted: PipelineEvent = {
    type: 'PipelineDeleted',
    data: { pipelineId, teamId, name: 'kafka-to-oracle-pipeline', wasRunning: true },
  };
  spec
    .given([created, started, live])
    .when({ type: 'DeletePipeline' })
    .then(t, [{ type: 'SubscriptionRemoved', data: { pipelineId, subscriptionId: 's-1' } }, deleted]);
  spec
    .given([created, started, live, deleted])
    .when({ type: 'StartPipeline' })
    .thenFails(t, { kind: 'not_found', code: 'PIPELINE_NOT_FOUND' });
});

const twoSubscriptions = { ...settings, subscriptions: [subscription('s-1', 'events'), subscription('s-2', 'events_copy')] };
const withTwo: PipelineEvent = { type: 'PipelineReconfigured', data: { pipelineId, teamId, version: 2, settings: twoSubscriptions } };
const pausedS1: PipelineEvent = { type: 'SubscriptionPaused', data: { pipelineId, subscriptionId: 's-1' } };
const pausedS2: PipelineEvent = { type: 'SubscriptionPaused', data: { pipelineId, subscriptionId: 's-2' } };
const resumedS1: PipelineEvent = { type: 'SubscriptionResumed', data: { pipelineId, subscriptionId: 's-1' } };
const startedV2: PipelineEvent = { type: 'PipelineStarted', data: { pipelineId, version: 2 } };

test('subscriptions: removing one records it; the last one cannot go', (t) => {
  spec
    .given([created, withTwo])
    .when({ type: 'UpdatePipeline', settings })
    .then(t, [
      { type: 'SubscriptionRemoved', data: { pipelineId, subscriptionId: 's-2' } },
      { type: 'PipelineReconfigured', data: { pipelineId, teamId, version: 3, settings } },
    ]);
  spec
    .given([created])
    .when({ type: 'UpdatePipeline', settings: { ...settings, subscriptions: [] } })
    .thenFails(t, { kind: 'conflict', code: 'LAST_SUBSCRIPTION' });
});

test('subscriptions: pausing one keeps the pipeline running; pausing the last running one pauses the pipeline', (t) => {
  spec.given([created, withTwo, startedV2]).when({ type: 'PauseSubscription', subscriptionId: 's-1' }).then(t, [pausedS1]);
  spec.given([created, withTwo, startedV2, pausedS1]).when({ type: 'PauseSubscription', subscriptionId: 's-1' }).then(t, []);
  spec
    .given([created, withTwo, startedV2, pausedS1])
    .when({ type: 'PauseSubscription', subscriptionId: 's-2' })
    .then(t, [pausedS2, { type: 'PipelinePaused', data: { pipelineId } }]);
  spec.given([created, withTwo]).when({ type: 'PauseSubscription', subscriptionId: 's-1' }).then(t, [pausedS1]);
  spec
    .given([created])
    .when({ type: 'PauseSubscription', subscriptionId: 'nope' })
    .thenFails(t, { kind: 'not_found', code: 'SUBSCRIPTION_NOT_FOUND' });
});

test('subscriptions: starting one resumes it and starts a stopped pipeline; starting the pipeline resumes them all', (t) => {
  spec.given([created, withTwo, pausedS1]).when({ type: 'StartSubscription', subscriptionId: 's-1' }).then(t, [resumedS1, startedV2]);
  spec.given([created, withTwo, startedV2, pausedS1]).when({ type: 'StartSubscription', subscriptionId: 's-1' }).then(t, [resumedS1]);
  spec.given([created, withTwo, startedV2]).when({ type: 'StartSubscription', subscriptionId: 's-2' }).then(t, []);
  spec
    .given([created, withTwo, pausedS1, pausedS2])
    .when({ type: 'StartPipeline' })
    .then(t, [resumedS1, { type: 'SubscriptionResumed', data: { pipelineId, subscriptionId: 's-2' } }, startedV2]);
  spec
    .given([created, withTwo, pausedS1, { type: 'SubscriptionRemoved', data: { pipelineId, subscriptionId: 's-1' } }])
    .when({ type: 'StartPipeline' })
    .then(t, [startedV2]);
});

test('part edits merge into the current settings; a whole update read at an older version is refused', (t) => {
  const third = subscription('s-3', 'third');
  spec
    .given([created, withTwo])
    .when({ type: 'AddSubscriptions', subscriptions: [third] })
    .then(t, [
      {
        type: 'PipelineReconfigured',
        data: {
          pipelineId,
          teamId,
          version: 3,
          settings: { ...twoSubscriptions, subscriptions: [...twoSubscriptions.subscriptions, third] },
        },
      },
    ]);
  const renamedS2 = subscription('s-2', 'renamed');
  spec
    .given([created, withTwo])
    .when({ type: 'ReplaceSubscription', subscription: renamedS2 })
    .then(t, [
      {
        type: 'PipelineReconfigured',
        data: {
          pipelineId,
          teamId,
          version: 3,
          settings: { ...twoSubscriptions, subscriptions: [subscription('s-1', 'events'), renamedS2] },
        },
      },
    ]);
  spec
    .given([created])
    .when({ type: 'ReplaceSubscription', subscription: third })
    .thenFails(t, { kind: 'not_found', code: 'SUBSCRIPTION_NOT_FOUND' });
  spec
    .given([created, withTwo])
    .when({ type: 'RemoveSubscription', subscriptionId: 's-1' })
    .then(t, [
      { type: 'SubscriptionRemoved', data: { pipelineId, subscriptionId: 's-1' } },
      {
        type: 'PipelineReconfigured',
        data: { pipelineId, teamId, version: 3, settings: { ...twoSubscriptions, subscriptions: [subscription('s-2', 'events_copy')] } },
      },
    ]);
  spec
    .given([created])
    .when({ type: 'RemoveSubscription', subscriptionId: 's-1' })
    .thenFails(t, { kind: 'conflict', code: 'LAST_SUBSCRIPTION' });
  spec
    .given([created])
    .when({ type: 'ReplaceDatamodel', datamodel: { id: 'd-1', source_topic: 'other' } })
    .then(t, [
      {
        type: 'PipelineReconfigured',
        data: { pipelineId, teamId, version: 2, settings: { ...settings, datamodel: { id: 'd-1', source_topic: 'other' } } },
      },
    ]);
  spec
    .given([created, withTwo])
    .when({ type: 'UpdatePipeline', settings, basedOnVersion: 1 })
    .thenFails(t, { kind: 'conflict', code: 'PIPELINE_CHANGED' });
});

test('update: an edited connector is a new version even when the settings are the same', (t) => {
  spec
    .given([created])
    .when({ type: 'UpdatePipeline', settings, connectorEdited: true })
    .then(t, [{ type: 'PipelineReconfigured', data: { pipelineId, teamId, version: 2, settings } }]);
});

test('error rows replayed: recorded in any state, with the selection and the counts; the version and the state stay; refused once deleted', (t) => {
  const counts = { selected: 3, applied: 2, failed: 1, skipped_already_applied: 0, remaining: 0 };
  const selection = { filter: { reason_code: '23514', replayed: false } };
  const replayed: PipelineEvent = {
    type: 'PipelineErrorRowsReplayed',
    data: { pipelineId, teamId, subscriptionId: 's-1', selection, counts },
  };
  for (const given of [[created], [created, started, live], [created, started, live, paused]]) {
    spec.given(given).when({ type: 'RecordErrorRowsReplay', subscriptionId: 's-1', selection, counts }).then(t, [replayed]);
  }
  const before = [created, started, live].reduce(pipelineDecider.evolve, pipelineDecider.initialState);
  t.deepEqual(pipelineDecider.evolve(before, replayed), before, 'neither version nor state changes');
  const deleted: PipelineEvent = {
    type: 'PipelineDeleted',
    data: { pipelineId, teamId, name: 'kafka-to-oracle-pipeline', wasRunning: false },
  };
  spec
    .given([created, deleted])
    .when({ type: 'RecordErrorRowsReplay', subscriptionId: 's-1', selection: { all: true }, counts })
    .thenFails(t, { kind: 'not_found', code: 'PIPELINE_NOT_FOUND' });
});
