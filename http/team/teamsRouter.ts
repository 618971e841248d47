import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { teams } from '../../commands/aggregates';
import { invalid, notFound } from '../../domain/errors';
import { DisplayName } from '../../domain/names';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, idParam, requiredBody } from '../decode';
import { DomainFailure } from '../../domain/failures';
import { execute } from '../../commands/execute';
import { commandContext } from '../execute';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { NonEmptyQuery, Uuid } from '../queryCodecs';
import { teamRead } from './teamRead';
import { addMembers, deleteTeam } from '../../commands/team/teamService';

export const TeamCreate = t.intersection([
  t.type({ name: DisplayName }),
  t.partial({ description: t.union([t.string, t.null]), env_id: t.string }),
]);
export const TeamPatch = t.exact(t.partial({ name: DisplayName, description: t.union([t.string, t.null]) }));
export const MembersBulk = t.intersection([t.type({ members: t.array(t.string) }), t.partial({ owners: t.array(t.string) })]);
export const TeamsQuery = t.partial({ env_id: Uuid, search: t.string });
export const FilterOneQuery = t.intersection([t.type({ name: NonEmptyQuery }), t.partial({ env_id: Uuid })]);

export function teamsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/teams' });

  /** Teams the caller can see: all for a superuser, else those of the caller's envs. */
  const visibleWhere = async (caller: Caller, envId: string | undefined): Promise<{ env_id?: string | string[] }> => {
    if (caller.isSuperuser) return envId === undefined ? {} : { env_id: envId };
    const envIds = await guard.envIdsOf(caller);
    return { env_id: envId === undefined ? envIds : envIds.filter((id) => id === envId) };
  };

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(TeamCreate, ctx.request.body, 'body');
    const envId = body.env_id ?? caller.activeEnvId;
    if (envId === null) throw new DomainFailure(invalid('NO_ACTIVE_ENV'));
    await guard.env(caller, envId, 'read');
    const teamId = randomUUID();
    await execute(deps, commandContext(ctx, caller.id), teams, teamId, {
      type: 'CreateTeam',
      teamId,
      envId,
      ownerId: caller.id,
      name: body.name,
      description: body.description ?? null,
    });
    ctx.status = 201;
    ctx.body = teamRead(await deps.views.teams.get(teamId));
  });

  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const query = decode(TeamsQuery, ctx.query, 'query');
    const page = await deps.views.teams.find({
      where: await visibleWhere(caller, query.env_id),
      ...(query.search ? { search: { field: 'name', text: query.search } } : {}),
      sort: [{ field: 'name', direction: 'asc' }],
      ...paging,
    });
    ctx.body = pagedBody(page, paging, teamRead);
  });

  router.get('/filter-one', async (ctx) => {
    const caller = callerOf(ctx);
    const query = decode(FilterOneQuery, ctx.query, 'query');
    const team = await deps.views.teams.first({ ...(await visibleWhere(caller, query.env_id)), name: query.name });
    if (team === undefined) throw new DomainFailure(notFound('TEAM_NOT_FOUND'));
    ctx.body = teamRead(team);
  });

  router.get('/:id', async (ctx) => {
    ctx.body = teamRead(await guard.team(callerOf(ctx), idParam(ctx), 'read'));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const team = await guard.team(caller, idParam(ctx), 'manage');
    const patch = decode(TeamPatch, requiredBody(ctx), 'body');
    await execute(deps, commandContext(ctx, caller.id), teams, team.id, { type: 'UpdateTeam', ...patch });
    ctx.body = teamRead(await deps.views.teams.get(team.id));
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const team = await guard.team(caller, idParam(ctx), 'manage');
    const held = await Promise.all([deps.views.pipelines.count({ team_id: team.id }), deps.views.connectors.count({ team_id: team.id })]);
    await deleteTeam(deps, commandContext(ctx, caller.id), team.id, held[0] + held[1]);
    ctx.status = 204;
  });

  router.get('/:id/members', async (ctx) => {
    const team = await guard.team(callerOf(ctx), idParam(ctx), 'read');
    const members = await deps.views.teamMembers.find({ where: { team_id: team.id }, limit: 10_000 });
    const people = await deps.views.users.find({ where: { id: members.items.map((m) => m.user_id) }, limit: 10_000 });
    const emails = new Map(people.items.map((u) => [u.id, u.email]));
    ctx.body = members.items
      .flatMap((m) => {
        const email = emails.get(m.user_id);
        return email === undefined ? [] : [{ id: m.user_id, email, role: m.role }];
      })
      .sort((a, b) => (a.role === b.role ? a.email.localeCompare(b.email) : a.role === 'owner' ? -1 : 1));
  });

  router.post('/:id/members/bulk', async (ctx) => {
    const caller = callerOf(ctx);
    const team = await guard.team(caller, idParam(ctx), 'manage');
    const body = decode(MembersBulk, ctx.request.body, 'body');
    await addMembers(deps, commandContext(ctx, caller.id), team.id, body.members, body.owners ?? []);
    ctx.status = 204;
  });

  router.delete('/:id/members/:userId', async (ctx) => {
    const caller = callerOf(ctx);
    const userId = idParam(ctx, 'userId');
    // Leaving a team is always allowed (the last owner rule still holds); removing others needs ownership.
    const team = await guard.team(caller, idParam(ctx), userId === caller.id ? 'read' : 'manage');
    await execute(deps, commandContext(ctx, caller.id), teams, team.id, { type: 'RemoveMember', userId });
    ctx.status = 204;
  });

  return router;
}
