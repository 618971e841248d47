import type { ConnectorState } from '../connector/connector';
import type { AnyEvent } from '../events';
import type { PipelineState } from '../pipeline/pipeline';
import { maskedConfig } from '../connector/maskedConfig';

/**
 * What an event means to a reader, in one place for every audit output: GET /user-logs
 * (projections/audit/auditView.ts), the pipeline and connector history routes
 * (commands/audit/streamHistory.ts) and `popsink audit` (cli/audit/auditTrail.ts). Secrets are
 * masked here, before anything else sees the data, so that no output can show one in clear.
 */

export type ResourceType = 'user' | 'env' | 'team' | 'connector' | 'pipeline';

export interface EventResource {
  readonly type: ResourceType;
  /** The data field naming the resource. */
  readonly key: string;
  readonly id: string;
  readonly envId: string | null;
  readonly teamId: string | null;
}

/** One field that changed, by its path (`subscriptions[0].backfill`, `config.topic`). */
export interface FieldChange {
  readonly field: string;
  readonly old: unknown;
  readonly new: unknown;
}

export interface EventDescription {
  readonly resource: EventResource;
  /** The event's data as any reader may see it: hashes left out, connector secrets masked. */
  readonly details: Readonly<Record<string, unknown>>;
  /** The values short enough for one line: scalars (long ones cut), objects as short JSON, lists by length. */
  readonly shown: Readonly<Record<string, unknown>>;
  /** Fields it set whose values are not shown: a hash by name, a config or settings by the leaves that changed. */
  readonly changedFields: readonly string[];
  /** `EventType  type:id  key=value ...  changed: a, b` */
  readonly summary: string;
}

interface Family {
  readonly prefix: string;
  readonly type: ResourceType;
  readonly key: string;
  /** The data fields that place the resource in an env and a team, where the family has them. */
  readonly envKey?: string;
  readonly teamKey?: string;
}

const FAMILIES: readonly Family[] = [
  { prefix: 'Pipeline', type: 'pipeline', key: 'pipelineId', teamKey: 'teamId' },
  // A subscription is a part of its pipeline: its events are the pipeline's.
  { prefix: 'Subscription', type: 'pipeline', key: 'pipelineId', teamKey: 'teamId' },
  { prefix: 'Connector', type: 'connector', key: 'connectorId', teamKey: 'teamId' },
  { prefix: 'Team', type: 'team', key: 'teamId', envKey: 'envId', teamKey: 'teamId' },
  { prefix: 'Env', type: 'env', key: 'envId', envKey: 'envId' },
  { prefix: 'User', type: 'user', key: 'userId' },
];

/** Hashes of passwords and reset tokens: their values are never shown, even hashed; only that they changed. */
const WITHHELD = new Set(['passwordHash', 'tokenHash']);
/** Fields that hold a whole state (not a delta): a reader sees which of their leaves an event changed. */
const WHOLE_STATE = new Set(['config', 'settings']);
const MAX_SHOWN_CHARS = 80;

function resourceOf(event: AnyEvent): EventResource | undefined {
  const family = FAMILIES.find(({ prefix }) => event.type.startsWith(prefix));
  if (family === undefined) return undefined;
  const data: Readonly<Record<string, unknown>> = event.data;
  const text = (key: string | undefined): string | null => {
    const value = key === undefined ? undefined : data[key];
    return typeof value === 'string' ? value : null;
  };
  return { type: family.type, key: family.key, id: text(family.key) ?? '', envId: text(family.envKey), teamId: text(family.teamKey) };
}

function detailsOf(event: AnyEvent): Record<string, unknown> {
  const data: Readonly<Record<string, unknown>> =
    event.type === 'ConnectorCreated' || event.type === 'ConnectorUpdated'
      ? {
          ...event.data,
          ...(event.data.config !== undefined
            ? { config: maskedConfig(event.type === 'ConnectorCreated' ? event.data.connectorType : undefined, event.data.config) }
            : {}),
        }
      : event.data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => !WITHHELD.has(key)));
}

const shortened = (text: string): string => (text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text);

function shownValue(value: unknown): unknown {
  if (typeof value === 'string') return shortened(value);
  if (Array.isArray(value)) return `[${value.length}]`;
  if (typeof value === 'object' && value !== null) return shortened(JSON.stringify(value));
  return value;
}

/** Scalars and empty containers by path: the leaves two values are compared on. */
function leaves(value: unknown, path: string, into: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(value) && value.length > 0) value.forEach((item, index) => leaves(item, `${path}[${index}]`, into));
  else if (typeof value === 'object' && value !== null && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) leaves(item, path === '' ? key : `${path}.${key}`, into);
  } else into.set(path, value);
  return into;
}

/** The leaves of `after` that differ from `before`'s, under `path`; a value absent on one side is null there. */
export function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  const old = leaves(before, path, new Map());
  const next = leaves(after, path, new Map());
  return [...new Set([...old.keys(), ...next.keys()])]
    .filter((field) => JSON.stringify(old.get(field)) !== JSON.stringify(next.get(field)))
    .map((field) => ({ field, old: old.get(field) ?? null, new: next.get(field) ?? null }));
}

/**
 * Describes one event; `before` holds the masked whole-state fields (config, settings) its
 * resource had before it, so that `changedFields` names only the leaves it changed. Reservation
 * events are bookkeeping, not actions: they have no description.
 */
export function describeEvent(event: AnyEvent, before: Readonly<Record<string, unknown>> = {}): EventDescription | undefined {
  const resource = resourceOf(event);
  if (resource === undefined) return undefined;
  const details = detailsOf(event);
  const shown: Record<string, unknown> = {};
  const changedFields = Object.keys(event.data).filter((key) => WITHHELD.has(key));
  for (const [key, value] of Object.entries(details)) {
    if (key === resource.key) continue;
    if (WHOLE_STATE.has(key)) changedFields.push(...fieldChanges(before[key], value, key).map((change) => change.field));
    else shown[key] = shownValue(value);
  }
  const values = Object.entries(shown).map(([key, value]) => `${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  const changed = changedFields.length > 0 ? [`changed: ${changedFields.join(', ')}`] : [];
  return {
    resource,
    details,
    shown,
    changedFields,
    summary: [event.type, `${resource.type}:${resource.id}`, ...values, ...changed].join('  '),
  };
}

/**
 * Describes a log read in order: remembers the masked config and settings each stream had last,
 * so that each change names the leaves it touched.
 */
export function logDescriber(): (streamId: string, event: AnyEvent) => EventDescription | undefined {
  const lastOf = new Map<string, Record<string, unknown>>();
  return (streamId, event) => {
    const before = lastOf.get(streamId) ?? {};
    const description = describeEvent(event, before);
    if (description === undefined) return undefined;
    const wholeState = Object.entries(description.details).filter(([key]) => WHOLE_STATE.has(key));
    if (wholeState.length > 0) lastOf.set(streamId, { ...before, ...Object.fromEntries(wholeState) });
    return description;
  };
}

/** What a reader sees of a pipeline at each step of its history: its settings (no secret lives there) and lifecycle. */
export const pipelineFields = (state: PipelineState) =>
  state.status !== 'exists'
    ? {}
    : {
        name: state.name,
        state: state.state,
        version: state.version,
        source_connector_id: state.settings.sourceConnectorId,
        target_connector_id: state.settings.targetConnectorId,
        subscriptions: state.settings.subscriptions,
        paused_subscriptions: state.pausedSubscriptionIds,
        datamodel: state.settings.datamodel,
      };

/** What a reader sees of a connector at each step of its history: its config with secrets masked. */
export const connectorFields = (state: ConnectorState) =>
  state.status !== 'exists'
    ? {}
    : { name: state.name, connector_type: state.connectorType, config: maskedConfig(state.connectorType, state.config) };
