import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { ApiClient } from '../apiClient';
import { CliFailure, EXIT } from '../context';
import type { DesiredPipeline } from './desiredState';
import { inTeamKey, teamKey, type Installation } from './installationReader';
import { changeText, type Change, type Plan, type SubscriptionPatch } from './planner';

/**
 * Carries a plan out through the public API, change by change in the plan's order. Names become
 * ids here: those the installation had, and those of what this run created. The first refusal
 * stops the run with the API's answer (status and detail) and says how far it got.
 */

const Created = t.type({ id: t.string });

/** Ids by the names files use, growing as the run creates things. */
class Ids {
  private readonly ids = new Map<string, string>();

  constructor(installation: Installation) {
    for (const env of installation.environments) this.ids.set(`environment ${env.name}`, env.id);
    for (const team of installation.teams) this.ids.set(`team ${teamKey(team.environment, team.name)}`, team.id);
    for (const c of installation.connectors) this.ids.set(`connector ${inTeamKey(c.environment, c.team, c.name)}`, c.id);
  }

  /** The id of what a POST created, from its answer. */
  remember(kind: 'environment' | 'team' | 'connector' | 'pipeline', key: string, answer: unknown): string {
    const created = Created.decode(answer);
    if (isLeft(created)) throw new CliFailure(EXIT.failure, `the API answered the creation of ${kind} ${key} without an id`);
    this.ids.set(`${kind} ${key}`, created.right.id);
    return created.right.id;
  }

  of(kind: 'environment' | 'team' | 'connector', key: string): string {
    const id = this.ids.get(`${kind} ${key}`);
    // The planner checked every reference; a miss here is a bug, not a user's mistake.
    if (id === undefined) throw new Error(`no id for ${kind} ${key}`);
    return id;
  }

  connector = (environment: string, team: string, name: string): string => this.of('connector', inTeamKey(environment, team, name));
}

/** The API's fields for subscription or datamodel fields of a file: connectors by id, names prefixed as the pipeline's flattened fields are. */
function apiFields(fields: SubscriptionPatch | object, prefix: string, connectorId: (name: string) => string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).flatMap(([field, value]): [string, unknown][] => {
      if (value === undefined) return [];
      if (field === 'error_table_target') return [[`${prefix}error_table_target_id`, value === null ? null : connectorId(String(value))]];
      return [[`${prefix}${field}`, value]];
    }),
  );
}

const defined = (fields: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

/** `/pipelines/<id>`, each part encoded. */
const path = (...parts: string[]): string => parts.map((part) => `/${encodeURIComponent(part)}`).join('');

async function perform(client: ApiClient, ids: Ids, change: Change): Promise<void> {
  switch (change.kind) {
    case 'environment':
      if (change.action === 'create')
        ids.remember('environment', change.name, await client.request('POST', '/envs/', { json: defined(change.spec) }));
      else await client.request('PATCH', path('envs', change.id), { json: change.patch });
      return;
    case 'team':
      if (change.action === 'create') {
        const { members: _members, environment, ...settings } = change.spec;
        ids.remember(
          'team',
          change.name,
          await client.request('POST', '/teams/', { json: { ...defined(settings), env_id: ids.of('environment', environment) } }),
        );
      } else if (change.action === 'update') await client.request('PATCH', path('teams', change.id), { json: change.patch });
      else await client.request('DELETE', path('teams', change.id));
      return;
    case 'member':
      if (change.action === 'delete') await client.request('DELETE', path('teams', ids.of('team', change.team), 'members', change.userId));
      else
        await client.request('POST', `${path('teams', ids.of('team', change.team))}/members/bulk`, {
          json: change.role === 'owner' ? { members: [], owners: [change.userId] } : { members: [change.userId] },
        });
      return;
    case 'connector':
      if (change.action === 'create') {
        const { environment, team, name, type, config } = change.spec;
        ids.remember(
          'connector',
          change.name,
          await client.request('POST', '/connectors/', {
            json: { name, team_id: ids.of('team', teamKey(environment, team)), connector_type: type, config },
          }),
        );
      } else if (change.action === 'update')
        await client.request('PATCH', path('connectors', change.id), { json: { config: change.config } });
      else await client.request('DELETE', path('connectors', change.id));
      return;
    case 'pipeline':
      if (change.action === 'create') await createPipeline(client, ids, change.name, change.spec);
      else if (change.action === 'update') {
        const connectorId = (name: string) => ids.connector(change.environment, change.team, name);
        const body = {
          ...(change.source === undefined ? {} : { existing_source_id: connectorId(change.source) }),
          ...(change.target === undefined ? {} : { existing_target_id: connectorId(change.target) }),
          ...apiFields(change.datamodel ?? {}, 'datamodel_', connectorId),
          ...apiFields(change.first ?? {}, 'subscription_', connectorId),
        };
        await client.request('PATCH', path('pipelines', change.id), { json: body });
      } else await client.request('DELETE', path('pipelines', change.id));
      return;
    case 'subscription': {
      if (change.action === 'delete') {
        await client.request('DELETE', path('subscriptions', change.id));
        return;
      }
      const connectorId = (name: string) => ids.connector(change.environment, change.team, name);
      if (change.action === 'create')
        await client.request('POST', '/subscriptions/', {
          json: { pipeline_id: change.pipelineId, ...apiFields(change.spec, '', connectorId) },
        });
      else await client.request('PATCH', path('subscriptions', change.id), { json: apiFields(change.patch, '', connectorId) });
      return;
    }
  }
}

/** A pipeline with its first subscription (the flattened create), then the others in one request: one more version, all or none. */
async function createPipeline(client: ApiClient, ids: Ids, key: string, spec: DesiredPipeline): Promise<void> {
  const { name, environment, team, source, target, datamodel, subscriptions } = spec;
  const connectorId = (connector: string) => ids.connector(environment, team, connector);
  const [first, ...others] = subscriptions;
  const body = {
    name,
    team_id: ids.of('team', teamKey(environment, team)),
    existing_source_id: connectorId(source),
    existing_target_id: connectorId(target),
    ...apiFields(datamodel ?? {}, 'datamodel_', connectorId),
    ...apiFields(first ?? {}, 'subscription_', connectorId),
  };
  const pipelineId = ids.remember('pipeline', key, await client.request('POST', '/pipelines/', { json: body }));
  if (others.length > 0) {
    await client.request('POST', '/subscriptions/subscribe-all', {
      json: { pipeline_id: pipelineId, subscriptions: others.map((other) => apiFields(other, '', connectorId)) },
    });
  }
}

/** Applies every change of the plan, calling `done` after each; throws a CliFailure at the first refusal. */
export async function applyPlan(client: ApiClient, installation: Installation, plan: Plan, done: (change: Change) => void): Promise<void> {
  const ids = new Ids(installation);
  for (const [index, change] of plan.changes.entries()) {
    try {
      await perform(client, ids, change);
    } catch (error) {
      if (!(error instanceof CliFailure)) throw error;
      const before =
        index === 0
          ? 'nothing was changed'
          : `the ${index} change${index === 1 ? '' : 's'} before it ${index === 1 ? 'was' : 'were'} applied`;
      throw new CliFailure(
        error.exitCode,
        `${changeText(change)} failed: ${error.message}\n${before}; \`popsink plan\` shows what is left`,
      );
    }
    done(change);
  }
}
