import type { RecordedEvent } from '../../commands/eventstore/eventStore';
import { logDescriber } from '../../domain/audit/eventDescriber';
import type { Upcasters } from '../../domain/upcasting/upcasters';
import { toProjected } from '../../projections/runner';

/** One line of `popsink audit`: who did what, when, to what; never a secret's value. */
export interface AuditEntry {
  readonly time: string;
  readonly position: string;
  readonly actor_id: string;
  /** The actor's email when the log names one for that id at that time. */
  readonly actor_email: string | null;
  readonly event_type: string;
  readonly stream_id: string;
  readonly resource_type: string;
  readonly resource_id: string;
  readonly correlation_id: string;
  /** The event's values that are safe to show (names, emails, roles, states, ids). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Fields that changed whose values are not shown (connector configs, pipeline settings, hashes). */
  readonly changed_fields: readonly string[];
}

/**
 * Turns the log, read in order, into audit entries, each event decoded (upcast) as every reader
 * of the log decodes it and described by domain/audit/eventDescriber.ts. It keeps each user's
 * email to name actors.
 */
export function auditTrail(upcasters: Upcasters) {
  const emails = new Map<string, string>();
  const describe = logDescriber();

  return {
    /** The entry for one event and its text line, or undefined for bookkeeping (reservations) and foreign events. */
    describe(recorded: RecordedEvent): { readonly entry: AuditEntry; readonly line: string } | undefined {
      const event = toProjected(upcasters, recorded);
      if (event === undefined) return undefined;
      if (event.type === 'UserRegistered' || event.type === 'UserEmailChanged') emails.set(event.data.userId, event.data.email);
      const description = describe(event.streamId, event);
      if (description === undefined) return undefined;
      const entry: AuditEntry = {
        time: event.metadata.time,
        position: event.position.toString(),
        actor_id: event.metadata.actorId,
        actor_email: emails.get(event.metadata.actorId) ?? null,
        event_type: event.type,
        stream_id: event.streamId,
        resource_type: description.resource.type,
        resource_id: description.resource.id,
        correlation_id: event.metadata.correlationId,
        details: description.shown,
        changed_fields: description.changedFields,
      };
      return { entry, line: [entry.time, entry.actor_email ?? entry.actor_id, description.summary].join('  ') };
    },
  };
}

/** True when the entry concerns `resourceId`: its resource, its stream, or an id it names. */
export const mentions = (entry: AuditEntry, resourceId: string): boolean =>
  entry.resource_id === resourceId || entry.stream_id === resourceId || Object.values(entry.details).includes(resourceId);
