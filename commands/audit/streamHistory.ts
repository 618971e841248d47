import * as t from 'io-ts';
import { connectorFields, fieldChanges, pipelineFields, type FieldChange } from '../../domain/audit/eventDescriber';
import type { Decider, DomainEvent } from '../../domain/decider';
import type { PipelineEvent } from '../../domain/pipeline/pipeline';
import { connectors, pipelines } from '../aggregates';
import type { CommandDeps } from '../handleCommand';
import { decodeRecorded } from '../eventstore/decodeRecorded';

const FieldChangeCodec = t.type({ field: t.string, old: t.unknown, new: t.unknown });
export const HistoryEntry = t.type(
  {
    /** 1 for the stream's first event. */
    revision: t.number,
    event_type: t.string,
    time: t.string,
    actor_id: t.string,
    changes: t.readonlyArray(FieldChangeCodec),
    /** What an action that changes no field records (a replay of error rows); null for the others. */
    details: t.unknown,
    /** A pipeline's version after the change (a rename or a start keeps it); a connector's revision. */
    version: t.number,
  },
  'HistoryEntry',
);
export type HistoryEntry = t.TypeOf<typeof HistoryEntry>;

type HistoryDeps = Pick<CommandDeps, 'store' | 'upcasters'>;

/**
 * The history of one aggregate, from its stream in the event log (not from a read model): each
 * event with who, when, and the fields of `view` it changed. `view` decides what a reader may
 * see of a state (eventDescriber masks secrets there); `detailsOf` what a reader sees of an
 * event that records an action rather than a change.
 */
async function streamHistory<C, E extends DomainEvent, S>(
  deps: HistoryDeps,
  decider: Decider<C, E, S>,
  streamId: string,
  view: (state: S) => unknown,
  detailsOf: (event: E) => unknown,
  versionOf: (changes: readonly FieldChange[], revision: number, previous: number) => number,
): Promise<HistoryEntry[]> {
  let state = decider.initialState;
  let version = 0;
  const entries: HistoryEntry[] = [];
  for (const [index, event] of (await deps.store.readStream(streamId)).entries()) {
    const decoded = decodeRecorded(decider.eventCodec, deps.upcasters, event);
    const next = decider.evolve(state, decoded);
    const changes = fieldChanges(view(state), view(next));
    version = versionOf(changes, index + 1, version);
    entries.push({
      revision: index + 1,
      event_type: event.type,
      time: event.metadata.time,
      actor_id: event.metadata.actorId,
      changes,
      details: detailsOf(decoded),
      version,
    });
    state = next;
  }
  return entries;
}

/** A replay of error rows changes no field: what was replayed and how it went is its entry's `details`. */
const pipelineDetails = (event: PipelineEvent) =>
  event.type === 'PipelineErrorRowsReplayed'
    ? { subscription_id: event.data.subscriptionId, selection: event.data.selection, ...event.data.counts }
    : null;

/** A pipeline's changes, oldest first; each with the version it led to, as the pipeline counts them. */
export const pipelineHistory = (deps: HistoryDeps, pipelineId: string): Promise<HistoryEntry[]> =>
  streamHistory(deps, pipelines.decider, pipelines.stream(pipelineId), pipelineFields, pipelineDetails, (changes, _revision, previous) => {
    const changed = changes.find((change) => change.field === 'version')?.new;
    return typeof changed === 'number' ? changed : previous;
  });

/** A connector's changes, oldest first; its version is its revision. */
export const connectorHistory = (deps: HistoryDeps, connectorId: string): Promise<HistoryEntry[]> =>
  streamHistory(
    deps,
    connectors.decider,
    connectors.stream(connectorId),
    connectorFields,
    () => null,
    (_changes, revision) => revision,
  );
