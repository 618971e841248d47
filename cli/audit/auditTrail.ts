import type { RecordedEvent } from '../../commands/eventstore/eventStore';
import { eventResourceOf } from '../../domain/audit/eventResource';

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

type Data = Readonly<Record<string, unknown>>;

/**
 * Values shown as they are. Anything else is listed by name only: a value this does not know
 * might be a secret (a sealed connector field, a hash), so it is never printed.
 */
const SHOWN = new Set([
  'name', 'previousName', 'email', 'previousEmail', 'description', 'role', 'connectorType',
  'isActive', 'isSuperuser', 'isVerified', 'version', 'reasonCode', 'reason', 'wasRunning', 'useRetention',
  'userId', 'ownerId', 'envId', 'teamId', 'pipelineId', 'connectorId', 'subscriptionId', 'expiresAt',
]);
/** Objects shown as compact JSON: what a replay of error rows selected (ids, filters) and what it did (counts). */
const SHOWN_AS_JSON = new Set(['selection', 'counts']);
const MAX_SHOWN_CHARS = 80;
const shortened = (text: string): string => (text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text);

const isScalar = (value: unknown): boolean => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/** The paths below `path` at which `before` and `after` differ (leaves only). */
function changedPaths(before: unknown, after: unknown, path: string): string[] {
  const container = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
  if (!container(before) || !container(after) || Array.isArray(before) !== Array.isArray(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [path];
  }
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const child = (key: string): string => (Array.isArray(after) ? `${path}[${key}]` : `${path}.${key}`);
  return keys.flatMap((key) => changedPaths(before[key], after[key], child(key)));
}

/**
 * Turns the log, read in order, into audit entries. It keeps the last connector config and
 * pipeline settings of each stream (in memory, never printed) to name the fields a change
 * touched, and each user's email to name actors.
 */
export function auditTrail() {
  const emails = new Map<string, string>();
  const lastOf = new Map<string, unknown>();

  /** Names the fields of `value` (under `key`) that changed since the stream's last one. */
  const changedOf = (streamId: string, key: string, value: unknown): string[] => {
    const memo = `${streamId}\u0000${key}`;
    const before = lastOf.get(memo);
    lastOf.set(memo, value);
    if (before === undefined) {
      return typeof value === 'object' && value !== null ? Object.keys(value).map((field) => `${key}.${field}`) : [key];
    }
    return changedPaths(before, value, key);
  };

  return {
    /** The entry for one event, or undefined for bookkeeping (reservations) and foreign events. */
    entryOf(event: RecordedEvent): AuditEntry | undefined {
      if (typeof event.data !== 'object' || event.data === null) return undefined;
      const data = event.data as Data;
      const resource = eventResourceOf(event.type, data);
      if (resource === undefined) return undefined;
      const resourceKey = resource.key;
      if (event.type === 'UserRegistered' || event.type === 'UserEmailChanged') {
        if (typeof data['userId'] === 'string' && typeof data['email'] === 'string') emails.set(data['userId'], data['email']);
      }
      const details: Record<string, unknown> = {};
      const changed: string[] = [];
      for (const [key, value] of Object.entries(data)) {
        if (key === resourceKey) continue;
        if (key === 'config' || key === 'settings') changed.push(...changedOf(event.streamId, key, value));
        else if (SHOWN.has(key) && isScalar(value) && !(typeof value === 'string' && value.startsWith('sealed:'))) {
          details[key] = typeof value === 'string' ? shortened(value) : value;
        } else if (SHOWN_AS_JSON.has(key)) details[key] = shortened(JSON.stringify(value));
        else if (Array.isArray(value)) details[key] = `[${value.length}]`;
        else changed.push(key);
      }
      return {
        time: event.metadata.time,
        position: event.position.toString(),
        actor_id: event.metadata.actorId,
        actor_email: emails.get(event.metadata.actorId) ?? null,
        event_type: event.type,
        stream_id: event.streamId,
        resource_type: resource.type,
        resource_id: resource.id,
        correlation_id: event.metadata.correlationId,
        details,
        changed_fields: changed,
      };
    },
    /** Every email the log gave `userId`, for matching `--user`. */
    emails,
  };
}

/** True when the entry concerns `resourceId`: its resource, its stream, or an id it names. */
export const mentions = (entry: AuditEntry, resourceId: string): boolean =>
  entry.resource_id === resourceId || entry.stream_id === resourceId || Object.values(entry.details).includes(resourceId);

/** `time  actor  EventType  type:id  key=value ... changed: a, b` */
export function auditLine(entry: AuditEntry): string {
  const details = Object.entries(entry.details).map(([key, value]) => `${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  const changed = entry.changed_fields.length > 0 ? [`changed: ${entry.changed_fields.join(', ')}`] : [];
  const actor = entry.actor_email ?? entry.actor_id;
  return [entry.time, actor, entry.event_type, `${entry.resource_type}:${entry.resource_id}`, ...details, ...changed].join('  ');
}
