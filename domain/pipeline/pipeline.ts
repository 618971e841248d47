import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventOf, type Decider } from '../decider';
import { conflict, invalid, notFound, type DomainError } from '../errors';
import { checkedLater } from '../jsonSchema';
import { ErrorRowSelection, ReplayCounts } from '../errorRows/errorRowSelection';
import { MapperEntry } from '../mapper/mapperSpec';

export const PipelineStateName = t.keyof({ draft: null, building: null, live: null, paused: null, error: null });
export type PipelineStateName = t.TypeOf<typeof PipelineStateName>;

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** The error table of a datamodel or a subscription: a table (or topic) of a target connector. */
const errorTableFields = {
  error_table_enabled: Nullable(t.boolean),
  error_table_name: Nullable(t.string),
  error_table_target_id: Nullable(t.string),
};

/**
 * How a subscription reads a real feed (this platform's extension; absent or null = the default):
 * - `envelope`: `none` (each message is a row) or `debezium` (Debezium change events);
 * - `delete_on_tombstone`: a key with a null value deletes the target row (default true);
 * - `schema_evolution`: `add_columns` (default) adds a new mapper column to an existing table, `none` refuses;
 * - `error_tolerance`: the largest share (0 to 1) of the last `error_tolerance_window` messages
 *   (default 1000) that may go to the error table before the pipeline stops with ERROR_RATE_EXCEEDED;
 *   null: no limit.
 */
/** The largest error-tolerance window, in messages: the worker keeps one bit of it per message. */
export const MAX_ERROR_TOLERANCE_WINDOW = 1_000_000;

// The ranges are checked with the other fields of a subscription (commands/pipeline/pipelineFields.ts); the document says them.
export const FeedOptionFields = {
  envelope: Nullable(t.keyof({ none: null, debezium: null })),
  delete_on_tombstone: Nullable(t.boolean),
  schema_evolution: Nullable(t.keyof({ add_columns: null, none: null })),
  error_tolerance: Nullable(checkedLater(t.number, { minimum: 0, maximum: 1 })),
  error_tolerance_window: Nullable(checkedLater(t.number, { type: 'integer', minimum: 1, maximum: MAX_ERROR_TOLERANCE_WINDOW })),
};
export const FEED_OPTION_FIELDS = [
  'envelope',
  'delete_on_tombstone',
  'schema_evolution',
  'error_tolerance',
  'error_tolerance_window',
] as const;

/**
 * One subscription: a mapper from the pipeline's source topic into one table (or topic) of its
 * target, read with a consumer group of its own. Field names are the contract's.
 */
export const SubscriptionSettings = t.intersection([
  t.type({ id: t.string, consumer_id: t.string, backfill: t.boolean, mapper_config: t.array(MapperEntry) }),
  t.partial({
    target_table_name: Nullable(t.string),
    /** Kafka → Kafka only: rows and source offsets committed in one transaction (this platform's extension). */
    exactly_once: Nullable(t.boolean),
    ...errorTableFields,
    ...FeedOptionFields,
  }),
]);
export type SubscriptionSettings = t.TypeOf<typeof SubscriptionSettings>;

/** The pipeline's one datamodel: its source topic (else the source connector's), target topic, error table. */
export const DatamodelSettings = t.intersection([
  t.type({ id: t.string }),
  t.partial({ source_topic: Nullable(t.string), target_topic: Nullable(t.string), ...errorTableFields }),
]);
export type DatamodelSettings = t.TypeOf<typeof DatamodelSettings>;

/**
 * What a pipeline runs: its connectors, its datamodel and its subscriptions (the first one is
 * what the contract's flattened `subscription_*` fields edit). A change of any of it is a new
 * version, which the runtime picks up by restarting the pipeline's workers.
 */
export const PipelineSettings = t.type({
  sourceConnectorId: t.string,
  targetConnectorId: t.string,
  /** Whether the connector was created with the pipeline (the contract then shows no existing_*_id). */
  ownsSource: t.boolean,
  ownsTarget: t.boolean,
  subscriptions: t.array(SubscriptionSettings),
  datamodel: DatamodelSettings,
});
export type PipelineSettings = t.TypeOf<typeof PipelineSettings>;

const subscriptionEvent = t.type({ pipelineId: t.string, subscriptionId: t.string });

export const PipelineEvent = t.union([
  eventOf('PipelineCreated', t.type({ pipelineId: t.string, teamId: t.string, name: t.string, settings: PipelineSettings })),
  eventOf('PipelineRenamed', t.type({ pipelineId: t.string, teamId: t.string, name: t.string, previousName: t.string })),
  eventOf('PipelineReconfigured', t.type({ pipelineId: t.string, teamId: t.string, version: t.number, settings: PipelineSettings })),
  eventOf('PipelineStarted', t.type({ pipelineId: t.string, version: t.number })),
  eventOf('PipelineWentLive', t.type({ pipelineId: t.string, version: t.number })),
  eventOf('PipelinePaused', t.type({ pipelineId: t.string })),
  eventOf('PipelineFailed', t.type({ pipelineId: t.string, version: t.number, reasonCode: t.string, reason: t.string })),
  /** A subscription left the settings (by an update, or with its pipeline's deletion). */
  eventOf('SubscriptionRemoved', subscriptionEvent),
  /** One subscription stops while the others of its pipeline run on. */
  eventOf('SubscriptionPaused', subscriptionEvent),
  eventOf('SubscriptionResumed', subscriptionEvent),
  eventOf('PipelineDeleted', t.type({ pipelineId: t.string, teamId: t.string, name: t.string, wasRunning: t.boolean })),
  /** Error rows of a subscription were re-run: who asked (the event's actor), what, and how it went. Neither the version nor the state changes. */
  eventOf(
    'PipelineErrorRowsReplayed',
    t.type({ pipelineId: t.string, teamId: t.string, subscriptionId: t.string, selection: ErrorRowSelection, counts: ReplayCounts }),
  ),
]);
export type PipelineEvent = t.TypeOf<typeof PipelineEvent>;

export type PipelineCommand =
  | {
      readonly type: 'CreatePipeline';
      readonly pipelineId: string;
      readonly teamId: string;
      readonly name: string;
      readonly settings: PipelineSettings;
    }
  /**
   * Replaces the settings computed from what the caller read at `basedOnVersion`: refused when
   * the pipeline changed since, so that two editors never silently undo each other.
   */
  | {
      readonly type: 'UpdatePipeline';
      readonly name?: string;
      readonly settings?: PipelineSettings;
      readonly basedOnVersion?: number;
      /** The same PATCH changed a connector's config: what the workers run changed, so a new version. */
      readonly connectorEdited?: boolean;
    }
  // Edits of one part, merged here into the current settings (concurrent edits compose).
  | { readonly type: 'AddSubscriptions'; readonly subscriptions: readonly SubscriptionSettings[] }
  | { readonly type: 'ReplaceSubscription'; readonly subscription: SubscriptionSettings }
  | { readonly type: 'RemoveSubscription'; readonly subscriptionId: string }
  | { readonly type: 'ReplaceDatamodel'; readonly datamodel: DatamodelSettings }
  | { readonly type: 'StartPipeline' }
  | { readonly type: 'PausePipeline' }
  | { readonly type: 'StartSubscription'; readonly subscriptionId: string }
  | { readonly type: 'PauseSubscription'; readonly subscriptionId: string }
  /** Reported by the runtime once a worker of `version` joined its group and its target answered. */
  | { readonly type: 'MarkPipelineLive'; readonly version: number }
  | { readonly type: 'MarkPipelineFailed'; readonly version: number; readonly reasonCode: string; readonly reason: string }
  /** Records a replay of error rows that ran (the data plane did the work; this keeps who and what). */
  | {
      readonly type: 'RecordErrorRowsReplay';
      readonly subscriptionId: string;
      readonly selection: ErrorRowSelection;
      readonly counts: ReplayCounts;
    }
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
      readonly pausedSubscriptionIds: readonly string[];
    };

/** The contract's rule: letters, digits, `-` and `_`, 1 to 255 characters. */
const PIPELINE_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** A pipeline name in a request body: a string, which `validatePipelineName` checks; documented as the rule. */
export const PipelineName = checkedLater(t.string, { type: 'string', pattern: PIPELINE_NAME.source });

export function validatePipelineName(name: string): DomainError | undefined {
  return PIPELINE_NAME.test(name)
    ? undefined
    : invalid('value_error.pipeline_name', ['body', 'name'], 'Pipeline name must be 1-255 characters: letters, digits, - and _ only');
}

const evolve = (state: PipelineState, event: PipelineEvent): PipelineState => {
  if (event.type === 'PipelineCreated') {
    const { pipelineId, teamId, name, settings } = event.data;
    return { status: 'exists', pipelineId, teamId, name, state: 'draft', version: 1, settings, pausedSubscriptionIds: [] };
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
    case 'SubscriptionPaused':
      return { ...state, pausedSubscriptionIds: [...state.pausedSubscriptionIds, event.data.subscriptionId] };
    case 'SubscriptionResumed':
    case 'SubscriptionRemoved':
      return { ...state, pausedSubscriptionIds: state.pausedSubscriptionIds.filter((id) => id !== event.data.subscriptionId) };
    case 'PipelineErrorRowsReplayed':
      return state;
  }
};

const running = (state: PipelineStateName): boolean => state === 'building' || state === 'live';

type ExistingPipeline = Extract<PipelineState, { status: 'exists' }>;

const startIfStopped = (state: ExistingPipeline): PipelineEvent[] =>
  running(state.state) ? [] : [{ type: 'PipelineStarted', data: { pipelineId: state.pipelineId, version: state.version } }];

const resumeAll = (state: ExistingPipeline): PipelineEvent[] =>
  state.pausedSubscriptionIds.map((subscriptionId) => ({
    type: 'SubscriptionResumed',
    data: { pipelineId: state.pipelineId, subscriptionId },
  }));

/** A new version with these settings (nothing when they are the same), recording the subscriptions that left. */
function reconfigure(state: ExistingPipeline, settings: PipelineSettings, changedElsewhere = false): Either<DomainError, PipelineEvent[]> {
  if (!changedElsewhere && JSON.stringify(settings) === JSON.stringify(state.settings)) return right([]);
  if (settings.subscriptions.length === 0) return left(conflict('LAST_SUBSCRIPTION', 'A pipeline keeps at least one subscription'));
  const { pipelineId, teamId } = state;
  const kept = new Set(settings.subscriptions.map(({ id }) => id));
  const removed = state.settings.subscriptions.filter(({ id }) => !kept.has(id));
  return right([
    ...removed.map(({ id }): PipelineEvent => ({ type: 'SubscriptionRemoved', data: { pipelineId, subscriptionId: id } })),
    { type: 'PipelineReconfigured', data: { pipelineId, teamId, version: state.version + 1, settings } },
  ]);
}

const subscriptionOf = (state: ExistingPipeline, subscriptionId: string): string | DomainError =>
  state.settings.subscriptions.some(({ id }) => id === subscriptionId) ? subscriptionId : notFound('SUBSCRIPTION_NOT_FOUND');

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
      if (command.basedOnVersion !== undefined && command.basedOnVersion !== state.version) {
        return left(conflict('PIPELINE_CHANGED', 'The pipeline changed since it was read: read it again and retry'));
      }
      const events: PipelineEvent[] = [];
      if (command.name !== undefined && command.name !== state.name) {
        const refused = validatePipelineName(command.name);
        if (refused !== undefined) return left(refused);
        events.push({ type: 'PipelineRenamed', data: { pipelineId, teamId, name: command.name, previousName: state.name } });
      }
      if (command.settings === undefined) return right(events);
      const reconfigured = reconfigure(state, command.settings, command.connectorEdited === true);
      return isLeft(reconfigured) ? reconfigured : right([...events, ...reconfigured.right]);
    }
    case 'AddSubscriptions':
      return reconfigure(state, { ...state.settings, subscriptions: [...state.settings.subscriptions, ...command.subscriptions] });
    case 'ReplaceSubscription': {
      const { subscription } = command;
      const found = subscriptionOf(state, subscription.id);
      if (typeof found !== 'string') return left(found);
      return reconfigure(state, {
        ...state.settings,
        subscriptions: state.settings.subscriptions.map((stored) => (stored.id === found ? subscription : stored)),
      });
    }
    case 'RemoveSubscription': {
      const found = subscriptionOf(state, command.subscriptionId);
      if (typeof found !== 'string') return left(found);
      return reconfigure(state, { ...state.settings, subscriptions: state.settings.subscriptions.filter(({ id }) => id !== found) });
    }
    case 'ReplaceDatamodel':
      return reconfigure(state, { ...state.settings, datamodel: command.datamodel });
    case 'StartPipeline':
      // Starting a pipeline runs every subscription; starting what already runs is harmless.
      return right([...resumeAll(state), ...startIfStopped(state)]);
    case 'StartSubscription': {
      const subscriptionId = subscriptionOf(state, command.subscriptionId);
      if (typeof subscriptionId !== 'string') return left(subscriptionId);
      const resumed: PipelineEvent[] = state.pausedSubscriptionIds.includes(subscriptionId)
        ? [{ type: 'SubscriptionResumed', data: { pipelineId, subscriptionId } }]
        : [];
      return right([...resumed, ...startIfStopped(state)]);
    }
    case 'PauseSubscription': {
      const subscriptionId = subscriptionOf(state, command.subscriptionId);
      if (typeof subscriptionId !== 'string') return left(subscriptionId);
      if (state.pausedSubscriptionIds.includes(subscriptionId)) return right([]);
      const events: PipelineEvent[] = [{ type: 'SubscriptionPaused', data: { pipelineId, subscriptionId } }];
      // With its last running subscription paused, the pipeline itself is paused.
      const stillRunning = state.settings.subscriptions.some(
        ({ id }) => id !== subscriptionId && !state.pausedSubscriptionIds.includes(id),
      );
      if (running(state.state) && !stillRunning) events.push({ type: 'PipelinePaused', data: { pipelineId } });
      return right(events);
    }
    case 'PausePipeline':
      if (state.state === 'draft') return left(conflict('PIPELINE_NOT_STARTED', 'A draft pipeline cannot be paused'));
      if (state.state === 'paused') return right([]);
      return right([{ type: 'PipelinePaused', data: { pipelineId } }]);
    case 'MarkPipelineLive':
      // A report about an older version, or after a pause, describes a worker that no longer counts.
      // A worker that recovered by itself from an error reports live again.
      if (command.version !== state.version || (state.state !== 'building' && state.state !== 'error')) return right([]);
      return right([{ type: 'PipelineWentLive', data: { pipelineId, version: command.version } }]);
    case 'MarkPipelineFailed': {
      if (command.version !== state.version || !running(state.state)) return right([]);
      const { version, reasonCode, reason } = command;
      return right([{ type: 'PipelineFailed', data: { pipelineId, version, reasonCode, reason } }]);
    }
    case 'RecordErrorRowsReplay': {
      const { subscriptionId, selection, counts } = command;
      return right([{ type: 'PipelineErrorRowsReplayed', data: { pipelineId, teamId, subscriptionId, selection, counts } }]);
    }
    case 'DeletePipeline':
      return right([
        ...state.settings.subscriptions.map(({ id }): PipelineEvent => ({
          type: 'SubscriptionRemoved',
          data: { pipelineId, subscriptionId: id },
        })),
        { type: 'PipelineDeleted', data: { pipelineId, teamId, name: state.name, wasRunning: running(state.state) } },
      ]);
  }
};

export const pipelineDecider: Decider<PipelineCommand, PipelineEvent, PipelineState> = {
  initialState: { status: 'absent' },
  evolve,
  decide,
  eventCodec: PipelineEvent,
};
