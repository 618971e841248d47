import * as t from 'io-ts';
import type { RecordedEvent } from '../../commands/eventstore/eventStore';
import { PARKED_EVENTS } from '../collections';
import { documentsOf } from '../documents';
import type { ReadStore, WriteOp } from '../readStore';

/**
 * Events the projection runner set aside because no read model could be written from them (an
 * event that does not decode, a value the read store refuses), so that the events after them
 * are projected. Kept in the read store beside the read models, and cleared by a rebuild, which
 * tries them again.
 */

/** Longest error text kept: enough for the store's or the codec's reason, not a whole document. */
const MAX_ERROR_LENGTH = 500;

export const ParkedEventDoc = t.type({
  id: t.string,
  /** The event's log position, as a decimal string (positions are 64-bit). */
  position: t.string,
  event_type: t.string,
  stream_id: t.string,
  error: t.string,
  parked_at: t.string,
});
export type ParkedEventDoc = t.TypeOf<typeof ParkedEventDoc>;

export const parkedEventDocuments = (store: ReadStore) => documentsOf(ParkedEventDoc, PARKED_EVENTS, store);

/** The write that parks `event`, failed with `error`, at `now`. */
export function parkingOf(event: RecordedEvent, error: unknown, now: Date): { readonly doc: ParkedEventDoc; readonly op: WriteOp } {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const doc: ParkedEventDoc = {
    id: event.id,
    position: event.position.toString(),
    event_type: event.type,
    stream_id: event.streamId,
    error: reason.length > MAX_ERROR_LENGTH ? `${reason.slice(0, MAX_ERROR_LENGTH)}…` : reason,
    parked_at: now.toISOString(),
  };
  return { doc, op: { kind: 'upsert', collection: PARKED_EVENTS, id: doc.id, set: doc, position: event.position } };
}
