import { forbidden, notFound } from '../domain/errors';
import type { EnvDoc } from '../projections/env/envsView';
import type { ReadModels } from '../projections/readModels';
import { memberId, type TeamDoc, type TeamMemberDoc } from '../projections/team/teamsView';
import { keptWhileUnchanged } from '../projections/keptWhileUnchanged';
import type { Caller } from './auth';
import { DomainFailure } from '../domain/failures';

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
  env(caller: Caller, envId: string, need: Need): Promise<EnvDoc>;
  team(caller: Caller, teamId: string, need: Need): Promise<TeamDoc>;
  superuser(caller: Caller): void;
  /** Ids of the envs the caller belongs to (owner or team member). */
  envIdsOf(caller: Caller): Promise<string[]>;
  /** Ids of the teams whose resources the caller may read (those of the caller's envs); undefined = all (superuser). */
  visibleTeamIds(caller: Caller): Promise<string[] | undefined>;
  /** Ids of the teams the caller is a member of, with roles. */
  membershipsOf(caller: Caller): Promise<TeamMemberDoc[]>;
}

export function guard(views: Pick<ReadModels, 'envs' | 'teams' | 'teamMembers'>): Guard {
  const membershipsOf = async (caller: Caller): Promise<TeamMemberDoc[]> =>
    (await views.teamMembers.find({ where: { user_id: caller.id } })).items;

  const isEnvMember = async (caller: Caller, env: EnvDoc): Promise<boolean> =>
    env.owner_id === caller.id || (await views.teamMembers.count({ user_id: caller.id, env_id: env.id })) > 0;

  const envIdsOf = async (caller: Caller): Promise<string[]> => {
    const owned = await views.envs.find({ where: { owner_id: caller.id } });
    const memberships = await membershipsOf(caller);
    return [...new Set([...owned.items.map((e) => e.id), ...memberships.map((m) => m.env_id)])];
  };

  const present = <D>(doc: D | undefined, code: string): D => {
    if (doc === undefined) throw new DomainFailure(notFound(code));
    return doc;
  };

  const team = async (caller: Caller, teamId: string, need: Need): Promise<TeamDoc> => {
    const found = present(await views.teams.get(teamId), 'TEAM_NOT_FOUND');
    if (caller.isSuperuser) return found;
    const membership = await views.teamMembers.get(memberId(teamId, caller.id));
    if (membership?.role === 'owner') return found;
    const env = await views.envs.get(found.env_id);
    if (env !== undefined && env.owner_id === caller.id) return found;
    if (need !== 'manage' && membership !== undefined) return found;
    if (need === 'read' && env !== undefined && (await isEnvMember(caller, env))) return found;
    return refuse();
  };
  // Every route on a team's resources asks this first: its answers are kept per caller while
  // the teams, memberships and envs are unchanged (refusals are not kept; they throw).
  const teamAccess = keptWhileUnchanged<TeamDoc>([views.teams, views.teamMembers, views.envs]);

  return {
    async env(caller, envId, need) {
      const env = present(await views.envs.get(envId), 'ENV_NOT_FOUND');
      if (caller.isSuperuser || env.owner_id === caller.id) return env;
      if (need === 'read' && (await isEnvMember(caller, env))) return env;
      return refuse();
    },

    team: (caller, teamId, need) => teamAccess.answer(caller, `${need} ${teamId}`, () => team(caller, teamId, need)),

    superuser(caller) {
      if (!caller.isSuperuser) refuse();
    },

    envIdsOf,

    async visibleTeamIds(caller) {
      if (caller.isSuperuser) return undefined;
      const envIds = await envIdsOf(caller);
      return (await views.teams.find({ where: { env_id: envIds }, limit: 10_000 })).items.map((team) => team.id);
    },

    membershipsOf,
  };
}
