import { connectorRole, secretFieldsOf } from '../../domain/connector/connectorConfig';
import { MASK } from '../../domain/connector/secrets';
import type { DatamodelSpec, EnvironmentSpec, TeamRole, TeamSpec } from './fileSchema';
import {
  originOf,
  type Declared,
  type DesiredConnector,
  type DesiredPipeline,
  type DesiredState,
  type DesiredSubscription,
} from './desiredState';
import { inTeamKey, teamKey, type ActualConnector, type ActualPipeline, type ActualTeam, type Installation } from './installationReader';

/**
 * The difference between what the files declare and what the installation holds, as a list of
 * changes in the order they can be applied (parents before children, deletions last and
 * children first). Only what a file states is compared: a field it leaves out is not managed.
 */

export interface PlanOptions {
  /** Delete what the files do not declare, within the environments, teams and pipelines they declare. */
  readonly prune: boolean;
  /** Send the files' secrets for connectors that already have one (a stored secret cannot be read back to compare). */
  readonly updateSecrets: boolean;
}

/** The fields of a subscription a change sets, in file terms (its error table's connector by name). */
export type SubscriptionPatch = Partial<DesiredSubscription>;

interface Named {
  /** How the plan names it: `prod/data/orders`. */
  readonly name: string;
  /** The fields a change sets, as the plan prints them (empty for a create or delete). */
  readonly fields: readonly string[];
}

export type Change = Named &
  (
    | { readonly kind: 'environment'; readonly action: 'create'; readonly spec: EnvironmentSpec }
    | { readonly kind: 'environment'; readonly action: 'update'; readonly id: string; readonly patch: Partial<EnvironmentSpec> }
    | { readonly kind: 'team'; readonly action: 'create'; readonly spec: TeamSpec }
    | { readonly kind: 'team'; readonly action: 'update'; readonly id: string; readonly patch: Partial<TeamSpec> }
    | {
        readonly kind: 'member';
        readonly action: 'create' | 'update';
        readonly team: string;
        readonly userId: string;
        readonly role: TeamRole;
      }
    | { readonly kind: 'connector'; readonly action: 'create'; readonly spec: DesiredConnector }
    | { readonly kind: 'connector'; readonly action: 'update'; readonly id: string; readonly config: Record<string, unknown> }
    | { readonly kind: 'pipeline'; readonly action: 'create'; readonly spec: DesiredPipeline }
    | {
        readonly kind: 'pipeline';
        readonly action: 'update';
        readonly id: string;
        readonly environment: string;
        readonly team: string;
        readonly source?: string | undefined;
        readonly target?: string | undefined;
        readonly datamodel?: Partial<DatamodelSpec> | undefined;
        /** Fields of the pipeline's first subscription, sent with the pipeline's flattened `subscription_*` fields. */
        readonly first?: SubscriptionPatch | undefined;
      }
    | {
        readonly kind: 'subscription';
        readonly action: 'create';
        readonly pipelineId: string;
        readonly environment: string;
        readonly team: string;
        readonly spec: DesiredSubscription;
      }
    | {
        readonly kind: 'subscription';
        readonly action: 'update';
        readonly id: string;
        readonly environment: string;
        readonly team: string;
        readonly patch: SubscriptionPatch;
      }
    | { readonly kind: 'member'; readonly action: 'delete'; readonly team: string; readonly userId: string }
    | { readonly kind: 'team' | 'connector' | 'pipeline' | 'subscription'; readonly action: 'delete'; readonly id: string }
  );

export interface Plan {
  readonly changes: readonly Change[];
  /** What --prune would delete, when it was not given. */
  readonly kept: readonly string[];
}

/** JSON with object keys sorted and undefined as null: equal values, equal texts. */
const canonical = (value: unknown): string =>
  JSON.stringify(value ?? null, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** The fields the desired object states whose value differs from the actual one, with the desired values. */
function differing<T extends object>(desired: T, actual: object, ignore: readonly string[] = []): Partial<T> {
  const stored = actual as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(desired).filter(([key, value]) => value !== undefined && !ignore.includes(key) && !same(value, stored[key])),
  ) as Partial<T>;
}

const isSet = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

/**
 * A connector's config against the stored one. A stored secret reads back masked, so it counts
 * as unchanged while the file has one too, unless `updateSecrets`; the config to send then
 * carries the mask, which makes the API keep the stored secret.
 */
function connectorDifference(
  desired: DesiredConnector,
  actual: ActualConnector,
  updateSecrets: boolean,
): { fields: string[]; config: Record<string, unknown> } {
  const secrets = new Set([...secretFieldsOf(desired.type, desired.config), ...secretFieldsOf(actual.type, actual.config)]);
  const keys = [...new Set([...Object.keys(desired.config), ...Object.keys(actual.config)])].sort();
  const fields = keys.flatMap((key) => {
    const [wanted, stored] = [desired.config[key], actual.config[key]];
    if (!secrets.has(key)) return same(wanted, stored) ? [] : [`config.${key}`];
    if (isSet(wanted) !== isSet(stored)) return [`config.${key} (secret)`];
    return isSet(wanted) && updateSecrets ? [`config.${key} (secret, from the environment)`] : [];
  });
  const config = Object.fromEntries(
    Object.entries(desired.config).map(([key, value]) => [
      key,
      secrets.has(key) && isSet(value) && isSet(actual.config[key]) && !updateSecrets ? MASK : value,
    ]),
  );
  return { fields, config };
}

const fieldNames = (prefix: string, patch: object): string[] => Object.keys(patch).map((field) => `${prefix}${field}`);
const nonEmpty = (patch: object): boolean => Object.keys(patch).length > 0;

/** Indexes of the installation and the files by the names files use. */
class Names {
  readonly environments: Set<string>;
  readonly teams: Map<string, ActualTeam>;
  readonly connectors: Map<string, ActualConnector>;
  readonly pipelines: Map<string, ActualPipeline>;
  readonly declaredTeams: Set<string>;
  readonly declaredConnectors: Map<string, DesiredConnector>;

  constructor(desired: DesiredState, installation: Installation) {
    this.environments = new Set([
      ...installation.environments.map((env) => env.name),
      ...desired.environments.map(({ spec }) => spec.name),
    ]);
    this.teams = new Map(installation.teams.map((team) => [teamKey(team.environment, team.name), team]));
    this.connectors = new Map(
      installation.connectors.map((connector) => [inTeamKey(connector.environment, connector.team, connector.name), connector]),
    );
    this.pipelines = new Map(
      installation.pipelines.map((pipeline) => [inTeamKey(pipeline.environment, pipeline.team, pipeline.name), pipeline]),
    );
    this.declaredTeams = new Set(desired.teams.map(({ spec }) => teamKey(spec.environment, spec.name)));
    this.declaredConnectors = new Map(desired.connectors.map(({ spec }) => [inTeamKey(spec.environment, spec.team, spec.name), spec]));
  }

  teamKnown = (environment: string, team: string): boolean =>
    this.teams.has(teamKey(environment, team)) || this.declaredTeams.has(teamKey(environment, team));

  /** The type of a connector of a team, as the files declare it or the installation has it. */
  connectorType = (environment: string, team: string, name: string) =>
    (this.declaredConnectors.get(inTeamKey(environment, team, name)) ?? this.connectors.get(inTeamKey(environment, team, name)))?.type;
}

/** Problems of references: what the files name must be declared or exist, and be of the right kind. */
function referenceProblems(desired: DesiredState, names: Names): string[] {
  const problems: string[] = [];
  const refer = (declared: Declared<unknown>, text: string) => problems.push(`${originOf(declared)}: ${text}`);
  for (const team of desired.teams) {
    if (!names.environments.has(team.spec.environment))
      refer(team, `environment ${team.spec.environment} is neither declared nor in the installation`);
  }
  for (const item of [...desired.connectors, ...desired.pipelines]) {
    const { environment, team } = item.spec;
    if (!names.teamKnown(environment, team)) refer(item, `team ${teamKey(environment, team)} is neither declared nor in the installation`);
  }
  for (const pipeline of desired.pipelines) {
    const { environment, team } = pipeline.spec;
    const connector = (name: string | null | undefined, role: 'source' | 'target', what: string) => {
      if (name === null || name === undefined) return;
      const type = names.connectorType(environment, team, name);
      if (type === undefined) refer(pipeline, `${what}: no connector ${name} in team ${teamKey(environment, team)}`);
      else if (connectorRole[type] !== role) refer(pipeline, `${what}: connector ${name} is a ${type}, not a ${role} connector`);
    };
    connector(pipeline.spec.source, 'source', 'source');
    connector(pipeline.spec.target, 'target', 'target');
    connector(pipeline.spec.datamodel?.error_table_target, 'target', 'datamodel.error_table_target');
    pipeline.spec.subscriptions.forEach((subscription, index) =>
      connector(subscription.error_table_target, 'target', `subscriptions[${index}].error_table_target`),
    );
  }
  for (const connector of desired.connectors) {
    const stored = names.connectors.get(inTeamKey(connector.spec.environment, connector.spec.team, connector.spec.name));
    if (stored !== undefined && stored.type !== connector.spec.type)
      refer(
        connector,
        `connector ${stored.name} is a ${stored.type}: its type cannot change to ${connector.spec.type} (give it another name)`,
      );
  }
  return problems;
}

/**
 * The changes of one declared pipeline that exists: one PATCH for the pipeline and its first
 * subscription (the one its flattened `subscription_*` fields edit), one per other subscription;
 * and the subscriptions the file does not declare.
 */
function pipelineChanges(desired: DesiredPipeline, actual: ActualPipeline): { changes: Change[]; undeclared: Change[] } {
  const name = inTeamKey(desired.environment, desired.team, desired.name);
  const { environment, team } = desired;
  const source = desired.source === actual.source ? undefined : desired.source;
  const target = desired.target === actual.target ? undefined : desired.target;
  const datamodel = desired.datamodel === undefined ? {} : differing(desired.datamodel, actual.datamodel);
  const [firstActual] = actual.subscriptions;
  let first: SubscriptionPatch = {};
  const subscriptionChanges: Change[] = [];
  for (const subscription of desired.subscriptions) {
    const label = `${name}[${subscription.target_table_name}]`;
    const stored = actual.subscriptions.find((candidate) => candidate.target_table_name === subscription.target_table_name);
    if (stored === undefined) {
      subscriptionChanges.push({
        kind: 'subscription',
        action: 'create',
        name: label,
        fields: [],
        pipelineId: actual.id,
        environment,
        team,
        spec: subscription,
      });
      continue;
    }
    const patch = differing(subscription, stored, ['target_table_name']);
    if (!nonEmpty(patch)) continue;
    if (stored === firstActual) first = patch;
    else
      subscriptionChanges.push({
        kind: 'subscription',
        action: 'update',
        name: label,
        fields: Object.keys(patch),
        id: stored.id,
        environment,
        team,
        patch,
      });
  }
  const declaredTables = new Set(desired.subscriptions.map((subscription) => subscription.target_table_name));
  const undeclared = actual.subscriptions
    .filter((subscription) => subscription.target_table_name === null || !declaredTables.has(subscription.target_table_name))
    .map((subscription): Change => ({
      kind: 'subscription',
      action: 'delete',
      name: `${name}[${subscription.target_table_name ?? subscription.id}]`,
      fields: [],
      id: subscription.id,
    }));

  const fields = [
    ...(source === undefined ? [] : ['source']),
    ...(target === undefined ? [] : ['target']),
    ...fieldNames('datamodel.', datamodel),
    ...fieldNames(`subscriptions[${firstActual?.target_table_name ?? 0}].`, first),
  ];
  const update: Change[] =
    fields.length === 0
      ? []
      : [{ kind: 'pipeline', action: 'update', name, fields, id: actual.id, environment, team, source, target, datamodel, first }];
  return { changes: [...update, ...subscriptionChanges], undeclared };
}

/** Children before parents: a pipeline's subscriptions, then pipelines, the connectors they used, members, teams. */
const DELETION_ORDER: readonly Change['kind'][] = ['subscription', 'pipeline', 'connector', 'member', 'team'];

/** What applying the files would do, or the problems that keep them from being applied. */
export function plan(
  desired: DesiredState,
  installation: Installation,
  userIds: ReadonlyMap<string, string>,
  options: PlanOptions,
): { plan: Plan } | { problems: string[] } {
  const names = new Names(desired, installation);
  const problems = referenceProblems(desired, names);
  const changes: Change[] = [];
  const deletions: Change[] = [];
  const kept: string[] = [];
  const prune = (change: Change) => (options.prune ? deletions.push(change) : kept.push(`${change.kind} ${change.name}`));

  for (const { spec } of desired.environments) {
    const actual = installation.environments.find((env) => env.name === spec.name);
    if (actual === undefined) changes.push({ kind: 'environment', action: 'create', name: spec.name, fields: [], spec });
    else {
      const patch = differing(spec, actual);
      if (nonEmpty(patch))
        changes.push({ kind: 'environment', action: 'update', name: spec.name, fields: Object.keys(patch), id: actual.id, patch });
    }
  }

  const memberChanges: Change[] = [];
  for (const team of desired.teams) {
    const { spec } = team;
    const key = teamKey(spec.environment, spec.name);
    const actual = names.teams.get(key);
    const { members: _members, ...settings } = spec;
    if (actual === undefined) changes.push({ kind: 'team', action: 'create', name: key, fields: [], spec });
    else {
      const patch = differing(settings, actual);
      if (nonEmpty(patch)) changes.push({ kind: 'team', action: 'update', name: key, fields: Object.keys(patch), id: actual.id, patch });
    }
    if (spec.members === undefined) continue;
    // A team's creator is its first owner: a new team starts with the caller in it.
    const current = actual?.members ?? [{ id: installation.caller.id, email: installation.caller.email, role: 'owner' as const }];
    const declared = new Set<string>();
    for (const member of spec.members) {
      const role = member.role ?? 'member';
      const userId = userIds.get(member.email.toLowerCase());
      if (userId === undefined) {
        problems.push(`${originOf(team)}: member ${member.email} is not a user of the installation`);
        continue;
      }
      declared.add(userId);
      const stored = current.find((candidate) => candidate.id === userId);
      if (stored?.role === role) continue;
      memberChanges.push({
        kind: 'member',
        action: stored === undefined ? 'create' : 'update',
        name: `${key} ${member.email}`,
        fields: stored === undefined ? [] : ['role'],
        team: key,
        userId,
        role,
      });
    }
    for (const member of current.filter((candidate) => !declared.has(candidate.id)))
      prune({ kind: 'member', action: 'delete', name: `${key} ${member.email}`, fields: [], team: key, userId: member.id });
  }
  changes.push(...memberChanges);

  for (const { spec } of desired.connectors) {
    const name = inTeamKey(spec.environment, spec.team, spec.name);
    const actual = names.connectors.get(name);
    if (actual === undefined) changes.push({ kind: 'connector', action: 'create', name, fields: [], spec });
    else {
      const { fields, config } = connectorDifference(spec, actual, options.updateSecrets);
      if (fields.length > 0) changes.push({ kind: 'connector', action: 'update', name, fields, id: actual.id, config });
    }
  }

  for (const { spec } of desired.pipelines) {
    const name = inTeamKey(spec.environment, spec.team, spec.name);
    const actual = names.pipelines.get(name);
    if (actual === undefined) changes.push({ kind: 'pipeline', action: 'create', name, fields: [], spec });
    else {
      const { changes: edits, undeclared } = pipelineChanges(spec, actual);
      changes.push(...edits);
      undeclared.forEach(prune);
    }
  }

  // Within what the files declare: teams of their environments, connectors and pipelines of their teams.
  const declaredEnvs = new Set(desired.environments.map(({ spec }) => spec.name));
  const declaredPipelines = new Set(desired.pipelines.map(({ spec }) => inTeamKey(spec.environment, spec.team, spec.name)));
  const prunedTeams = installation.teams.filter(
    (team) => declaredEnvs.has(team.environment) && !names.declaredTeams.has(teamKey(team.environment, team.name)),
  );
  const inScope = (item: { environment: string; team: string }) =>
    names.declaredTeams.has(teamKey(item.environment, item.team)) ||
    prunedTeams.some((team) => team.environment === item.environment && team.name === item.team);
  for (const pipeline of installation.pipelines.filter(
    (p) => inScope(p) && !declaredPipelines.has(inTeamKey(p.environment, p.team, p.name)),
  )) {
    prune({
      kind: 'pipeline',
      action: 'delete',
      name: inTeamKey(pipeline.environment, pipeline.team, pipeline.name),
      fields: [],
      id: pipeline.id,
    });
  }
  for (const connector of installation.connectors.filter(
    (c) => inScope(c) && !names.declaredConnectors.has(inTeamKey(c.environment, c.team, c.name)),
  )) {
    prune({
      kind: 'connector',
      action: 'delete',
      name: inTeamKey(connector.environment, connector.team, connector.name),
      fields: [],
      id: connector.id,
    });
  }
  for (const team of prunedTeams)
    prune({ kind: 'team', action: 'delete', name: teamKey(team.environment, team.name), fields: [], id: team.id });

  if (problems.length > 0) return { problems };
  deletions.sort((a, b) => DELETION_ORDER.indexOf(a.kind) - DELETION_ORDER.indexOf(b.kind));
  return { plan: { changes: [...changes, ...deletions], kept } };
}

const SIGN = { create: '+', update: '~', delete: '-' } as const;
const VERB = { create: 'create', update: 'change', delete: 'delete' } as const;

/** `~ change pipeline prod/data/orders: subscriptions[orders].mapper_config` */
export const changeText = (change: Change): string =>
  `${SIGN[change.action]} ${VERB[change.action]} ${change.kind} ${change.name}${change.fields.length > 0 ? `: ${change.fields.join(', ')}` : ''}`;

export function summaryText(plan: Plan, applied: boolean): string {
  const count = (action: Change['action']) => plan.changes.filter((change) => change.action === action).length;
  const keptText =
    plan.kept.length === 0 ? '' : `\n${plan.kept.length} not in the files, kept (--prune deletes them): ${plan.kept.join(', ')}`;
  if (plan.changes.length === 0) return `No changes: the installation matches the files.${keptText}`;
  const figures = applied
    ? `Applied: ${count('create')} created, ${count('update')} changed, ${count('delete')} deleted.`
    : `Plan: ${count('create')} to create, ${count('update')} to change, ${count('delete')} to delete.`;
  return `${figures}${keptText}`;
}
