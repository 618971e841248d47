import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Decider, DomainEvent } from '../domain/decider';
import { conflict, type DomainError } from '../domain/errors';
import type { Upcasters } from '../domain/upcasting/upcasters';
import { decodeRecorded } from './eventstore/decodeRecorded';
import { WrongExpectedRevisionError, type EventStore, type ExpectedRevision } from './eventstore/eventStore';

/** Who is acting and in which request; copied into every event's metadata. */
export interface CommandContext {
  readonly actorId: string;
  readonly correlationId: string;
  /** The event or request that caused this command; defaults to the correlation id. */
  readonly causationId?: string;
}

export interface CommandDeps {
  readonly store: EventStore;
  /** Ids of new events (time-ordered ones keep the event store's id index append-only). */
  readonly newId: () => string;
  readonly now: () => Date;
  /** Brings stored events of older shapes to today's when read, and says the version new ones are written at. */
  readonly upcasters: Upcasters;
  /** Attempts after an optimistic-concurrency conflict before answering conflict. */
  readonly maxRetries?: number;
}

export interface Handled<Event, State> {
  readonly events: readonly Event[];
  readonly state: State;
  /** Log position of the last event written, or of the stream's last event when nothing was written. */
  readonly position: bigint | undefined;
}

/** Reads a stream and folds it with the decider, decoding every event it reads back. */
export async function loadState<C, E extends DomainEvent, S>(
  deps: Pick<CommandDeps, 'store' | 'upcasters'>,
  decider: Decider<C, E, S>,
  streamId: string,
): Promise<{ state: S; expected: ExpectedRevision; position: bigint | undefined }> {
  const recorded = await deps.store.readStream(streamId);
  let state = decider.initialState;
  for (const event of recorded) state = decider.evolve(state, decodeRecorded(decider.eventCodec, deps.upcasters, event));
  const last = recorded[recorded.length - 1];
  return { state, expected: last === undefined ? 'no_stream' : last.revision, position: last?.position };
}

/**
 * read → fold → decide → append with the expected revision. Another writer in between makes the
 * append fail; the whole cycle is then retried on fresh state, a bounded number of times.
 */
export async function handleCommand<C, E extends DomainEvent, S>(
  deps: CommandDeps,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
  context: CommandContext,
): Promise<Either<DomainError, Handled<E, S>>> {
  const attempts = (deps.maxRetries ?? 5) + 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { state, expected, position } = await loadState(deps, decider, streamId);
    const decision = decider.decide(command, state);
    if (isLeft(decision)) return decision;
    const events = decision.right;
    if (events.length === 0) return right({ events, state, position });

    const time = deps.now().toISOString();
    const metadata = {
      actorId: context.actorId,
      correlationId: context.correlationId,
      causationId: context.causationId ?? context.correlationId,
      time,
    };
    try {
      const result = await deps.store.append(
        streamId,
        events.map((e) => ({
          id: deps.newId(),
          type: e.type,
          data: e.data,
          metadata: { ...metadata, schemaVersion: deps.upcasters.currentVersion(e.type) },
        })),
        expected,
      );
      return right({ events, state: events.reduce(decider.evolve, state), position: result.position });
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
  return left(conflict('CONCURRENT_MODIFICATION', `${streamId} kept changing; try again`));
}
