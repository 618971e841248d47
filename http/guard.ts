import { forbidden, notFound } from '../domain/errors';
import { ENVS, TEAM_MEMBERS, TEAMS } from '../projections/collections';
import type { Doc, ReadStore } from '../projections/readStore';
import type { Caller } from './auth';
import { DomainFailure } from './errors';

/**
 * What a caller may do with a resource: `read` it, `operate` it (a team's pipelines and
 * connectors: its members), or `manage` it (change, delete, add members).
 * Derived from the read models:
 * - superuser: manage everything;
 * - env: its owner manages it; members of any of its teams read it;
 * - team: its owners and the env's owner manage it; its members operate it; the env's members read it.
 * Anyone else is an outsider: 403 on a resource that exists, 404 on one that does not.
 */
export type Need = 'read' | 'operate' | 'manage';

const refuse = (): never => {
  throw new DomainFailure(forbidden('Unauthorized.'));
};

export interface Guard {
  env(caller: Caller, envId: string, need: Need): Promise<Doc>;
  team(caller: Caller, teamId: string, need: Need): Promise<Doc>;
  superuser(caller: Caller): void;
  /** Ids of the envs the caller belongs to (owner or team member). */
  envIdsOf(caller: Caller): Promise<string[]>;
  /** Ids of the teams whose resources the caller may read (those of the caller's envs); undefined = all (superuser). */
  visibleTeamIds(caller: Caller): Promise<string[] | undefined>;
  /** Ids of the teams the caller is a member of, with roles. */
  membershipsOf(caller: Caller): Promise<Doc[]>;
}

export function guard(readStore: ReadStore): Guard {
  const membershipsOf = async (caller: Caller): Promise<Doc[]> =>
    (await readStore.find(TEAM_MEMBERS, { where: { user_id: caller.id } })).items;

  const isEnvMember = async (caller: Caller, env: Doc): Promise<boolean> =>
    env['owner_id'] === caller.id ||
    (await readStore.find(TEAM_MEMBERS, { where: { user_id: caller.id, env_id: env.id }, limit: 1 })).total > 0;

  const envIdsOf = async (caller: Caller): Promise<string[]> => {
    const owned = await readStore.find(ENVS, { where: { owner_id: caller.id } });
    const memberships = await membershipsOf(caller);
    return [...new Set([...owned.items.map((e) => e.id), ...memberships.map((m) => String(m['env_id']))])];
  };

  const load = async (collection: string, id: string, code: string): Promise<Doc> => {
    const doc = await readStore.get(collection, id);
    if (doc === undefined) throw new DomainFailure(notFound(code));
    return doc;
  };

  return {
    async env(caller, envId, need) {
      const env = await load(ENVS, envId, 'ENV_NOT_FOUND');
      if (caller.isSuperuser || env['owner_id'] === caller.id) return env;
      if (need === 'read' && (await isEnvMember(caller, env))) return env;
      return refuse();
    },

    async team(caller, teamId, need) {
      const team = await load(TEAMS, teamId, 'TEAM_NOT_FOUND');
      if (caller.isSuperuser) return team;
      const membership = await readStore.get(TEAM_MEMBERS, `${teamId}:${caller.id}`);
      if (membership?.['role'] === 'owner') return team;
      const env = await readStore.get(ENVS, String(team['env_id']));
      if (env !== undefined && env['owner_id'] === caller.id) return team;
      if (need !== 'manage' && membership !== undefined) return team;
      if (need === 'read' && env !== undefined && (await isEnvMember(caller, env))) return team;
      return refuse();
    },

    superuser(caller) {
      if (!caller.isSuperuser) refuse();
    },

    envIdsOf,

    async visibleTeamIds(caller) {
      if (caller.isSuperuser) return undefined;
      const envIds = await envIdsOf(caller);
      return (await readStore.find(TEAMS, { where: { env_id: envIds }, limit: 10_000 })).items.map((team) => team.id);
    },

    membershipsOf,
  };
}
