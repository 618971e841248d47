import * as t from 'io-ts';
import { documented } from '../../domain/jsonSchema';

const SchemaVersion = documented(
  t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1, 'SchemaVersion'),
  {
    type: 'integer',
    minimum: 1,
  },
);

/**
 * Who caused an event and why; every event in the log carries it (audit, tracing). And the
 * version of its data's shape, which readers upcast from (domain/upcasting): it travels in the
 * metadata, not the data, so that the data stays exactly what the codec of that version says
 * and an export carries it with the event. Events appended before versioning have none: 1.
 */
export const EventMetadata = t.intersection([
  t.type({
    actorId: t.string,
    correlationId: t.string,
    causationId: t.string,
    time: t.string,
  }),
  t.partial({ schemaVersion: SchemaVersion }),
]);
export type EventMetadata = t.TypeOf<typeof EventMetadata>;

export interface NewEvent {
  /** Client-chosen UUID: re-appending an id already stored is a no-op, so retries and imports are safe. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  /** 0-based index of the event in its stream. */
  readonly revision: bigint;
  /** Global, strictly increasing position in the whole log. */
  readonly position: bigint;
}

/**
 * `no_stream`: the stream must not exist yet; `any`: no check;
 * a bigint: the revision of the stream's last event must be exactly this.
 */
export type ExpectedRevision = 'no_stream' | 'any' | bigint;

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  readonly nextRevision: bigint;
  /** Global position of the last event appended (or already stored). */
  readonly position: bigint;
}

/** Where a subscription or a read starts: from the very beginning, or strictly after a checkpoint. */
export type StartFrom = 'start' | { readonly after: bigint };

export interface Subscription {
  /** Stops delivering; resolves once the handler in flight (if any) has finished. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves after stop(), rejects when the handler or the store fails. */
  readonly done: Promise<void>;
}

export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** The whole stream in revision order; empty when the stream does not exist. */
  readStream(streamId: string): Promise<RecordedEvent[]>;
  /** Up to `limit` events of the whole log in position order. */
  readAll(from: StartFrom, limit: number): Promise<RecordedEvent[]>;
  /**
   * Catches up from `from`, then delivers live events, in order, in batches.
   * The next batch is read only after the handler's promise resolved (back-pressure).
   */
  subscribeToAll(from: StartFrom, handler: (batch: readonly RecordedEvent[]) => Promise<void>): Subscription;
  /** Position of the last event in the log, or undefined when the log is empty. */
  headPosition(): Promise<bigint | undefined>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}
