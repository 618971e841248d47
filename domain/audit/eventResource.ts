/**
 * Which resource a domain event is about, by the family its type names: the one mapping the
 * audit trail of GET /user-logs (projections/audit/auditView.ts) and `popsink audit`
 * (cli/audit/auditTrail.ts) share, so that they cannot disagree on what an event concerns.
 * Reservation events are bookkeeping, not actions: they have no resource.
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

export function eventResourceOf(type: string, data: Readonly<Record<string, unknown>>): EventResource | undefined {
  const family = FAMILIES.find(({ prefix }) => type.startsWith(prefix));
  if (family === undefined) return undefined;
  const text = (key: string | undefined): string | null => (key !== undefined && typeof data[key] === 'string' ? (data[key] as string) : null);
  return { type: family.type, key: family.key, id: text(family.key) ?? '', envId: text(family.envKey), teamId: text(family.teamKey) };
}
