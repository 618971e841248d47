import { describeEvent } from '../../domain/audit/eventDescriber';
import { USER_LOGS } from '../collections';
import type { Projection } from '../projection';
import * as t from 'io-ts';
import { documentsOf } from '../documents';
import type { ReadStore } from '../readStore';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);
export const UserLogDoc = t.type({
  id: t.string,
  user_id: t.string,
  event_type: t.string,
  resource_type: t.string,
  resource_id: Nullable(t.string),
  env_id: Nullable(t.string),
  team_id: Nullable(t.string),
  time: t.string,
  correlation_id: t.string,
  position: t.number,
  details: t.unknown,
});
export type UserLogDoc = t.TypeOf<typeof UserLogDoc>;
export const userLogDocuments = (store: ReadStore) => documentsOf(UserLogDoc, USER_LOGS, store);

/**
 * The audit trail behind GET /user-logs: one document per domain event (reservations are
 * bookkeeping, not actions), with who, what, on which resource, in which env / team, and when.
 */
export const auditView: Projection = {
  name: 'audit',
  collections: { [USER_LOGS]: ['user_id', 'resource_id', 'event_type', 'env_id', 'team_id', 'time', 'position'] },
  project: (event) => {
    const description = describeEvent(event);
    if (description === undefined) return [];
    const { resource, details } = description;
    return [
      {
        kind: 'upsert',
        collection: USER_LOGS,
        id: event.eventId,
        set: {
          user_id: event.metadata.actorId,
          event_type: event.type,
          resource_type: resource.type,
          resource_id: resource.id,
          env_id: resource.envId,
          team_id: resource.teamId,
          time: event.metadata.time,
          correlation_id: event.metadata.correlationId,
          // A number sorts the log in order on every read store; positions stay far below 2^53.
          position: Number(event.position),
          details,
        },
        position: event.position,
      },
    ];
  },
};
