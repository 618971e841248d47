import { USER_LOGS } from './collections';
import type { ProjectedEvent, Projection } from './projection';

/** Fields that must never reach an audit reader, even hashed. */
const SECRET_FIELDS = new Set(['passwordHash', 'tokenHash']);

interface Resource {
  readonly type: 'user' | 'env' | 'team' | 'connector' | 'pipeline';
  readonly id: string;
  readonly envId: string | null;
  readonly teamId: string | null;
}

const resourceOf = (event: ProjectedEvent): Resource | undefined => {
  const data: Record<string, unknown> = event.data;
  const str = (key: string): string | null => (typeof data[key] === 'string' ? (data[key] as string) : null);
  if (event.type.startsWith('Pipeline')) return { type: 'pipeline', id: str('pipelineId') ?? '', envId: null, teamId: str('teamId') };
  if (event.type.startsWith('Connector')) return { type: 'connector', id: str('connectorId') ?? '', envId: null, teamId: str('teamId') };
  if (event.type.startsWith('Team')) return { type: 'team', id: str('teamId') ?? '', envId: str('envId'), teamId: str('teamId') };
  if (event.type.startsWith('Env')) return { type: 'env', id: str('envId') ?? '', envId: str('envId'), teamId: null };
  if (event.type.startsWith('User')) return { type: 'user', id: str('userId') ?? '', envId: null, teamId: null };
  return undefined;
};

/**
 * The audit trail behind GET /user-logs: one document per domain event (reservations are
 * bookkeeping, not actions), with who, what, on which resource, in which env / team, and when.
 */
export const auditView: Projection = {
  name: 'audit',
  collections: { [USER_LOGS]: ['user_id', 'resource_id', 'event_type', 'env_id', 'team_id', 'time', 'position'] },
  project: (event) => {
    const resource = resourceOf(event);
    if (resource === undefined) return [];
    const details = Object.fromEntries(Object.entries(event.data).filter(([key]) => !SECRET_FIELDS.has(key)));
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
