import test from 'ava';
import { pipelineDecider, type PipelineEvent } from '../../domain/pipeline';
import { deciderSpec } from './deciderSpec';

const spec = deciderSpec(pipelineDecider);
const pipelineId = 'p-1';
const teamId = 't-1';
const settings = { sourceConnectorId: 'c-src', targetConnectorId: 'c-dst', ownsSource: true, ownsTarget: true, subscription: { target_table_name: 'events' }, datamodel: {} };
const created: PipelineEvent = { type: 'PipelineCreated', data: { pipelineId, teamId, name: 'kafka-to-oracle-pipeline', settings } };
const started: PipelineEvent = { type: 'PipelineStarted', data: { pipelineId, version: 1 } };
const live: PipelineEvent = { type: 'PipelineWentLive', data: { pipelineId, version: 1 } };
const paused: PipelineEvent = { type: 'PipelinePaused', data: { pipelineId } };

test('create: a valid name makes a draft at version 1', (t) => {
  spec.given([]).when({ type: 'CreatePipeline', pipelineId, teamId, name: 'kafka-to-oracle-pipeline', settings }).then(t, [created]);
});

test('create: the name rule (letters, digits, - and _, 1 to 255) answers at body.name', (t) => {
  for (const name of ['', 'has space', 'dots.are.out', 'é', 'x'.repeat(256)]) {
    spec.given([]).when({ type: 'CreatePipeline', pipelineId, teamId, name, settings }).thenFails(t, { kind: 'invalid', code: 'value_error.pipeline_name' });
  }
  spec.given([]).when({ type: 'CreatePipeline', pipelineId, teamId, name: `A-z_0${'9'.repeat(250)}`, settings }).then(t, [
    { type: 'PipelineCreated', data: { pipelineId, teamId, name: `A-z_0${'9'.repeat(250)}`, settings } },
  ]);
});

test('update: a rename keeps the version; a config change bumps it; no change records nothing', (t) => {
  spec.given([created]).when({ type: 'UpdatePipeline', name: 'renamed' }).then(t, [
    { type: 'PipelineRenamed', data: { pipelineId, teamId, name: 'renamed', previousName: 'kafka-to-oracle-pipeline' } },
  ]);
  const changed = { ...settings, subscription: { target_table_name: 'events_v2' } };
  spec.given([created]).when({ type: 'UpdatePipeline', settings: changed }).then(t, [
    { type: 'PipelineReconfigured', data: { pipelineId, version: 2, settings: changed } },
  ]);
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
  const reconfigured: PipelineEvent = { type: 'PipelineReconfigured', data: { pipelineId, version: 2, settings } };
  spec.given([created, started, reconfigured]).when({ type: 'MarkPipelineLive', version: 1 }).then(t, []);
  spec.given([created, started, paused]).when({ type: 'MarkPipelineLive', version: 1 }).then(t, []);
  spec.given([created, started, live]).when({ type: 'MarkPipelineFailed', version: 1, reasonCode: 'TARGET_UNREACHABLE', reason: 'connection refused' }).then(t, [
    { type: 'PipelineFailed', data: { pipelineId, version: 1, reasonCode: 'TARGET_UNREACHABLE', reason: 'connection refused' } },
  ]);
});

test('delete: records whether a worker must be stopped; then not found', (t) => {
  const deleted: PipelineEvent = { type: 'PipelineDeleted', data: { pipelineId, teamId, name: 'kafka-to-oracle-pipeline', wasRunning: true } };
  spec.given([created, started, live]).when({ type: 'DeletePipeline' }).then(t, [deleted]);
  spec.given([created, started, live, deleted]).when({ type: 'StartPipeline' }).thenFails(t, { kind: 'not_found', code: 'PIPELINE_NOT_FOUND' });
});
