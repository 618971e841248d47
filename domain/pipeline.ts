import * as t from 'io-ts';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventOf, type Decider } from './decider';
import { conflict, invalid, notFound, type DomainError } from './errors';

export const PipelineStateName = t.keyof({ draft: null, building: null, live: null, paused: null, error: null });
export type PipelineStateName = t.TypeOf<typeof PipelineStateName>;

/**
 * What a pipeline runs: its connectors and the flattened subscription / datamodel settings of
 * the contract. Kept as the validated JSON the API accepted; a change of any of it is a new
 * version, which the runtime picks up by restarting the pipeline's worker.
 */
export const PipelineSettings = t.type({
  sourceConnectorId: t.string,
  targetConnectorId: t.string,
  /** Whether the connector was created with the pipeline (the contract then shows no existing_*_id). */
  ownsSource: t.boolean,
  ownsTarget: t.boolean,
  subscription: t.UnknownRecord,
  datamodel: t.UnknownRecord,
});
export type PipelineSettings = t.TypeOf<typeof PipelineSettings>;

export const PipelineEvent = t.union([
  eventOf('PipelineCreated', t.type({ pipelineId: t.string, teamId: t.string, name: t.string, settings: PipelineSettings })),
  eventOf('PipelineRenamed', t.type({ pipelineId: t.string, teamId: t.string, name: t.string, previousName: t.string })),
  eventOf('PipelineReconfigured', t.type({ pipelineId: t.string, version: t.number, settings: PipelineSettings })),
  eventOf('PipelineStarted', t.type({ pipelineId: t.string, version: t.number })),
  eventOf('PipelineWentLive', t.type({ pipelineId: t.string, version: t.number })),
  eventOf('PipelinePaused', t.type({ pipelineId: t.string })),
  eventOf('PipelineFailed', t.type({ pipelineId: t.string, version: t.number, reasonCode: t.string, reason: t.string })),
  eventOf('PipelineDeleted', t.type({ pipelineId: t.string, teamId: t.string, name: t.string, wasRunning: t.boolean })),
]);
export type PipelineEvent = t.TypeOf<typeof PipelineEvent>;

export type PipelineCommand =
  | { readonly type: 'CreatePipeline'; readonly pipelineId: string; readonly teamId: string; readonly name: string; readonly settings: PipelineSettings }
  | { readonly type: 'UpdatePipeline'; readonly name?: string; readonly settings?: PipelineSettings }
  | { readonly type: 'StartPipeline' }
  | { readonly type: 'PausePipeline' }
  /** Reported by the runtime once a worker of `version` joined its group and its target answered. */
  | { readonly type: 'MarkPipelineLive'; readonly version: number }
  | { readonly type: 'MarkPipelineFailed'; readonly version: number; readonly reasonCode: string; readonly reason: string }
  | { readonly type: 'DeletePipeline' };

export type PipelineState =
  | { readonly status: 'absent' | 'deleted' }
  | {
      readonly status: 'exists';
      readonly pipelineId: string;
      readonly teamId: string;
      readonly name: string;
      readonly state: PipelineStateName;
      readonly version: number;
      readonly settings: PipelineSettings;
    };

/** The contract's rule: letters, digits, `-` and `_`, 1 to 255 characters. */
const PIPELINE_NAME = /^[A-Za-z0-9_-]{1,255}$/;

export function validatePipelineName(name: string): DomainError | undefined {
  return PIPELINE_NAME.test(name)
    ? undefined
    : invalid('value_error.pipeline_name', ['body', 'name'], 'Pipeline name must be 1-255 characters: letters, digits, - and _ only');
}

const evolve = (state: PipelineState, event: PipelineEvent): PipelineState => {
  if (event.type === 'PipelineCreated') {
    const { pipelineId, teamId, name, settings } = event.data;
    return { status: 'exists', pipelineId, teamId, name, state: 'draft', version: 1, settings };
  }
  if (event.type === 'PipelineDeleted') return { status: 'deleted' };
  if (state.status !== 'exists') return state;
  switch (event.type) {
    case 'PipelineRenamed':
      return { ...state, name: event.data.name };
    case 'PipelineReconfigured':
      return { ...state, version: event.data.version, settings: event.data.settings };
    case 'PipelineStarted':
      return { ...state, state: 'building' };
    case 'PipelineWentLive':
      return { ...state, state: 'live' };
    case 'PipelinePaused':
      return { ...state, state: 'paused' };
    case 'PipelineFailed':
      return { ...state, state: 'error' };
  }
};

const running = (state: PipelineStateName): boolean => state === 'building' || state === 'live';

const decide = (command: PipelineCommand, state: PipelineState): Either<DomainError, readonly PipelineEvent[]> => {
  if (command.type === 'CreatePipeline') {
    if (state.status !== 'absent') return left(conflict('PIPELINE_ALREADY_EXISTS'));
    const refused = validatePipelineName(command.name);
    if (refused !== undefined) return left(refused);
    const { pipelineId, teamId, name, settings } = command;
    return right([{ type: 'PipelineCreated', data: { pipelineId, teamId, name, settings } }]);
  }
  if (state.status !== 'exists') return left(notFound('PIPELINE_NOT_FOUND'));
  const { pipelineId, teamId } = state;
  switch (command.type) {
    case 'UpdatePipeline': {
      const events: PipelineEvent[] = [];
      if (command.name !== undefined && command.name !== state.name) {
        const refused = validatePipelineName(command.name);
        if (refused !== undefined) return left(refused);
        events.push({ type: 'PipelineRenamed', data: { pipelineId, teamId, name: command.name, previousName: state.name } });
      }
      if (command.settings !== undefined && JSON.stringify(command.settings) !== JSON.stringify(state.settings)) {
        events.push({ type: 'PipelineReconfigured', data: { pipelineId, version: state.version + 1, settings: command.settings } });
      }
      return right(events);
    }
    case 'StartPipeline':
      // Starting what already runs is harmless: the answer is its current state.
      if (running(state.state)) return right([]);
      return right([{ type: 'PipelineStarted', data: { pipelineId, version: state.version } }]);
    case 'PausePipeline':
      if (state.state === 'draft') return left(conflict('PIPELINE_NOT_STARTED', 'A draft pipeline cannot be paused'));
      if (state.state === 'paused') return right([]);
      return right([{ type: 'PipelinePaused', data: { pipelineId } }]);
    case 'MarkPipelineLive':
      // A report about an older version, or after a pause, describes a worker that no longer counts.
      if (command.version !== state.version || state.state !== 'building') return right([]);
      return right([{ type: 'PipelineWentLive', data: { pipelineId, version: command.version } }]);
    case 'MarkPipelineFailed': {
      if (command.version !== state.version || !running(state.state)) return right([]);
      const { version, reasonCode, reason } = command;
      return right([{ type: 'PipelineFailed', data: { pipelineId, version, reasonCode, reason } }]);
    }
    case 'DeletePipeline':
      return right([{ type: 'PipelineDeleted', data: { pipelineId, teamId, name: state.name, wasRunning: running(state.state) } }]);
  }
};

export const pipelineDecider: Decider<PipelineCommand, PipelineEvent, PipelineState> = {
  initialState: { status: 'absent' },
  evolve,
  decide,
  eventCodec: PipelineEvent,
};
