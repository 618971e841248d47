import { isLeft } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { decodeStored, type Upcasters } from '../../domain/upcasting/upcasters';
import type { RecordedEvent } from './eventStore';

/**
 * Where stored events become domain events, for every reader of the log (aggregates,
 * projections, history, audit): through the upcasters, then the codec.
 */

export class CorruptEventError extends Error {
  constructor(event: RecordedEvent, reasons: readonly string[]) {
    super(`Event ${event.id} (${event.type}) in ${event.streamId} does not decode: ${reasons.join('; ')}`);
    this.name = 'CorruptEventError';
  }
}

/** A stored event upcast to today's shape and decoded by `codec`; one that does not decode is never trusted. */
export function decodeRecorded<E>(codec: t.Decoder<unknown, E>, upcasters: Upcasters, event: RecordedEvent): E {
  const decoded = decodeStored(codec, upcasters, { type: event.type, data: event.data, version: event.metadata.schemaVersion });
  if (isLeft(decoded)) throw new CorruptEventError(event, decoded.left);
  return decoded.right;
}
