import { isSealed } from '../../infrastructure/crypto/secretBox';
import { eventResourceOf } from '../../domain/audit/eventResource';
import { MASK } from '../../domain/connector/secrets';
import { USER_LOGS } from '../collections';
import type { Projection } from '../projection';

/** Fields that must never reach an audit reader, even hashed. */
const SECRET_FIELDS = new Set(['passwordHash', 'tokenHash']);

/** A connector config's sealed secrets, wherever they sit in the details, shown as the mask. */
const maskSealed = (value: unknown): unknown => {
  if (typeof value === 'string') return isSealed(value) ? MASK : value;
  if (Array.isArray(value)) return value.map(maskSealed);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskSealed(item)]));
  return value;
};

/**
 * The audit trail behind GET /user-logs: one document per domain event (reservations are
 * bookkeeping, not actions), with who, what, on which resource, in which env / team, and when.
 */
export const auditView: Projection = {
  name: 'audit',
  collections: { [USER_LOGS]: ['user_id', 'resource_id', 'event_type', 'env_id', 'team_id', 'time', 'position'] },
  project: (event) => {
    const resource = eventResourceOf(event.type, event.data);
    if (resource === undefined) return [];
    const details = maskSealed(Object.fromEntries(Object.entries(event.data).filter(([key]) => !SECRET_FIELDS.has(key))));
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
