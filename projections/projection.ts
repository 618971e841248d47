import type { EventMetadata } from '../commands/eventstore/eventStore';
import type { AnyEvent } from '../domain/events';
import type { WriteOp } from './readStore';

/** A decoded event with where it sits in the log and who caused it. */
export type ProjectedEvent = AnyEvent & {
  readonly eventId: string;
  readonly position: bigint;
  readonly metadata: EventMetadata;
  readonly streamId: string;
};

/**
 * One read model: pure `event → writes`. A projection must emit at most one write per document
 * per event, because writes are guarded by the event's position (a second write with the same
 * position would be skipped as already applied).
 */
export interface Projection {
  readonly name: string;
  /** Collections it owns, with the fields its queries filter or sort on. */
  readonly collections: Readonly<Record<string, readonly string[]>>;
  readonly project: (event: ProjectedEvent) => readonly WriteOp[];
}
