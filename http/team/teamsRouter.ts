import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { teams } from '../../commands/aggregates';
import { conflict, invalid, notFound } from '../../domain/errors';
import { CONNECTORS, PIPELINES, TEAM_MEMBERS, TEAMS, USERS } from '../../projections/collections';
import type { FindQuery } from '../../projections/readStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode } from '../decode';
import { DomainFailure } from '../errors';
import { execute } from '../execute';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { NonEmptyQuery } from '../queryCodecs';
import { teamRead } from '../views';

export const TeamCreate = t.intersection([
  t.type({ name: t.string }),
  t.partial({ description: t.union([t.string, t.null]), env_id: t.string }),
]);
export const TeamPatch = t.exact(t.partial({ name: t.string, description: t.union([t.string, t.null]) }));
export const MembersBulk = t.intersection([t.type({ members: t.array(t.string) }), t.partial({ owners: t.array(t.string) })]);
export const TeamsQuery = t.partial({ env_id: t.string, search: t.string });
export const FilterOneQuery = t.intersection([t.type({ name: NonEmptyQuery }), t.partial({ env_id: t.string })]);

export function teamsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/teams' });

  /** Teams the caller can see: all for a superuser, else those of the caller's envs. */
  const visibleWhere = async (caller: Caller, envId: string | undefined): Promise<FindQuery['where']> => {
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
    await execute(deps, ctx, caller.id, teams, teamId, {
      type: 'CreateTeam',
      teamId,
      envId,
      ownerId: caller.id,
      name: body.name,
      description: body.description ?? null,
    });
    ctx.status = 201;
    ctx.body = teamRead(await deps.readStore.get(TEAMS, teamId));
  });

  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const query = decode(TeamsQuery, ctx.query, 'query');
    const page = await deps.readStore.find(TEAMS, {
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
    const where = { ...(await visibleWhere(caller, query.env_id)), name: query.name };
    const team = (await deps.readStore.find(TEAMS, { where, limit: 1 })).items[0];
    if (team === undefined) throw new DomainFailure(notFound('TEAM_NOT_FOUND'));
    ctx.body = teamRead(team);
  });

  router.get('/:id', async (ctx) => {
    ctx.body = teamRead(await guard.team(callerOf(ctx), ctx.params['id'] ?? '', 'read'));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const team = await guard.team(caller, ctx.params['id'] ?? '', 'manage');
    const patch = decode(TeamPatch, ctx.request.body, 'body');
    await execute(deps, ctx, caller.id, teams, team.id, { type: 'UpdateTeam', ...patch });
    ctx.body = teamRead(await deps.readStore.get(TEAMS, team.id));
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const team = await guard.team(caller, ctx.params['id'] ?? '', 'manage');
    const [pipelinesLeft, connectorsLeft] = await Promise.all([
      deps.readStore.find(PIPELINES, { where: { team_id: team.id }, limit: 1 }),
      deps.readStore.find(CONNECTORS, { where: { team_id: team.id }, limit: 1 }),
    ]);
    if (pipelinesLeft.total + connectorsLeft.total > 0) {
      throw new DomainFailure(conflict('TEAM_NOT_EMPTY', 'Delete the pipelines and connectors of this team first'));
    }
    await execute(deps, ctx, caller.id, teams, team.id, { type: 'DeleteTeam' });
    ctx.status = 204;
  });

  router.get('/:id/members', async (ctx) => {
    const team = await guard.team(callerOf(ctx), ctx.params['id'] ?? '', 'read');
    const members = await deps.readStore.find(TEAM_MEMBERS, { where: { team_id: team.id }, limit: 10_000 });
    const people = await deps.readStore.find(USERS, { where: { id: members.items.map((m) => String(m['user_id'])) }, limit: 10_000 });
    const emails = new Map(people.items.map((u) => [u.id, u['email']]));
    ctx.body = members.items
      .filter((m) => emails.has(String(m['user_id'])))
      .map((m) => ({ id: m['user_id'], email: emails.get(String(m['user_id'])), role: m['role'] }))
      .sort((a, b) => (a.role === b.role ? String(a.email).localeCompare(String(b.email)) : a.role === 'owner' ? -1 : 1));
  });

  router.post('/:id/members/bulk', async (ctx) => {
    const caller = callerOf(ctx);
    const team = await guard.team(caller, ctx.params['id'] ?? '', 'manage');
    const body = decode(MembersBulk, ctx.request.body, 'body');
    const owners = body.owners ?? [];
    const wanted = [...new Set([...body.members, ...owners])];
    const known = await deps.readStore.find(USERS, { where: { id: wanted }, limit: wanted.length });
    const missing = wanted.find((id) => !known.items.some((u) => u.id === id));
    if (missing !== undefined) throw new DomainFailure({ kind: 'not_found', code: `USER_NOT_FOUND: ${missing}` });
    const members = [
      ...body.members.filter((id) => !owners.includes(id)).map((userId) => ({ userId, role: 'member' as const })),
      ...owners.map((userId) => ({ userId, role: 'owner' as const })),
    ];
    await execute(deps, ctx, caller.id, teams, team.id, { type: 'AddMembers', members });
    ctx.status = 204;
  });

  router.delete('/:id/members/:userId', async (ctx) => {
    const caller = callerOf(ctx);
    const userId = ctx.params['userId'] ?? '';
    // Leaving a team is always allowed (the last owner rule still holds); removing others needs ownership.
    const team = await guard.team(caller, ctx.params['id'] ?? '', userId === caller.id ? 'read' : 'manage');
    await execute(deps, ctx, caller.id, teams, team.id, { type: 'RemoveMember', userId });
    ctx.status = 204;
  });

  return router;
}
