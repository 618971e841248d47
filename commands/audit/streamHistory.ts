import type { Decider, DomainEvent } from '../../domain/decider';
import type { EventStore } from '../eventstore/eventStore';
import { decodeRecorded } from '../handleCommand';

/** One field that an event changed, by its path in the aggregate's view (`subscriptions[0].backfill`). */
export interface FieldChange {
  readonly field: string;
  readonly old: unknown;
  readonly new: unknown;
}

export interface HistoryEntry {
  /** 1 for the stream's first event. */
  readonly revision: number;
  readonly event_type: string;
  readonly time: string;
  readonly actor_id: string;
  readonly changes: readonly FieldChange[];
  /** What an action that changes no field records (a replay of error rows); null for the others. */
  readonly details: unknown;
}

/** Scalars and empty containers by path; the leaves two views are compared on. */
function flatten(value: unknown, path: string, into: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(value) && value.length > 0) value.forEach((item, index) => flatten(item, `${path}[${index}]`, into));
  else if (typeof value === 'object' && value !== null && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) flatten(item, path === '' ? key : `${path}.${key}`, into);
  } else into.set(path, value);
  return into;
}

function diff(before: unknown, after: unknown): FieldChange[] {
  const old = flatten(before, '', new Map());
  const next = flatten(after, '', new Map());
  const fields = [...new Set([...old.keys(), ...next.keys()])];
  return fields
    .filter((field) => JSON.stringify(old.get(field)) !== JSON.stringify(next.get(field)))
    .map((field) => ({ field, old: old.get(field) ?? null, new: next.get(field) ?? null }));
}

/**
 * The history of one aggregate, from its stream in the event log (not from a read model): each
 * event with who, when, and the fields of `view` it changed. `view` decides what a reader may
 * see of a state (secrets masked there, once); `detailsOf` what a reader sees of an event that
 * records an action rather than a change.
 */
export async function streamHistory<C, E extends DomainEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  streamId: string,
  view: (state: S) => unknown,
  detailsOf: (event: E) => unknown = () => null,
): Promise<HistoryEntry[]> {
  let state = decider.initialState;
  const entries: HistoryEntry[] = [];
  for (const [index, event] of (await store.readStream(streamId)).entries()) {
    const decoded = decodeRecorded(decider, event);
    const next = decider.evolve(state, decoded);
    entries.push({ revision: index + 1, event_type: event.type, time: event.metadata.time, actor_id: event.metadata.actorId, changes: diff(view(state), view(next)), details: detailsOf(decoded) });
    state = next;
  }
  return entries;
}
