import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { envs, users } from '../../commands/aggregates';
import { conflict, notFound } from '../../domain/errors';
import { RetentionConfiguration } from '../../domain/env/env';
import { ENVS, TEAMS } from '../../projections/collections';
import type { FindQuery } from '../../projections/readStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode } from '../decode';
import { DomainFailure } from '../errors';
import { execute } from '../execute';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { NonEmptyQuery } from '../queryCodecs';
import { envRead } from '../views';
import { checkByokCredentials } from '../connector/connectorTypesRouter';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);
export const EnvCreate = t.intersection([
  t.type({ name: t.string }),
  t.partial({
    description: Nullable(t.string),
    use_retention: t.boolean,
    retention_configuration: Nullable(RetentionConfiguration),
  }),
]);
export const EnvPatch = t.exact(
  t.partial({
    name: t.string,
    description: Nullable(t.string),
    use_retention: t.boolean,
    retention_configuration: Nullable(RetentionConfiguration),
  }),
);
export const FilterOneQuery = t.type({ name: NonEmptyQuery });

export function envsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/envs' });

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(EnvCreate, ctx.request.body, 'body');
    const envId = randomUUID();
    await execute(deps, ctx, caller.id, envs, envId, {
      type: 'CreateEnv',
      envId,
      ownerId: caller.id,
      name: body.name,
      description: body.description ?? null,
      useRetention: body.use_retention ?? false,
      retentionConfiguration: body.retention_configuration ?? null,
    });
    if (caller.activeEnvId === null) await execute(deps, ctx, caller.id, users, caller.id, { type: 'SetActiveEnv', envId });
    ctx.status = 201;
    ctx.body = envRead(await deps.readStore.get(ENVS, envId));
  });

  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const where: FindQuery['where'] = caller.isSuperuser ? {} : { id: await guard.envIdsOf(caller) };
    const page = await deps.readStore.find(ENVS, { where, sort: [{ field: 'name', direction: 'asc' }], ...paging });
    ctx.body = pagedBody(page, paging, envRead);
  });

  router.get('/filter-one', async (ctx) => {
    const caller = callerOf(ctx);
    const { name } = decode(FilterOneQuery, ctx.query, 'query');
    const env = (await deps.readStore.find(ENVS, { where: { name }, limit: 1 })).items[0];
    // An env the caller cannot see answers as if it did not exist: names are not for probing.
    const visible = env !== undefined && (caller.isSuperuser || (await guard.envIdsOf(caller)).includes(env.id));
    if (!visible) throw new DomainFailure(notFound('ENV_NOT_FOUND'));
    ctx.body = envRead(env);
  });

  // Body and answers: see checkByokCredentials (a Kafka cluster connection → 200 {"status": "ok"}, 400 with the reason).
  router.post('/check-byok-credentials', async (ctx) => {
    callerOf(ctx);
    ctx.body = await checkByokCredentials(ctx.request.body);
  });

  router.get('/:id', async (ctx) => {
    ctx.body = envRead(await guard.env(callerOf(ctx), ctx.params['id'] ?? '', 'read'));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const env = await guard.env(caller, ctx.params['id'] ?? '', 'manage');
    const patch = decode(EnvPatch, ctx.request.body, 'body');
    await execute(deps, ctx, caller.id, envs, env.id, {
      type: 'UpdateEnv',
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.use_retention !== undefined ? { useRetention: patch.use_retention } : {}),
      ...(patch.retention_configuration !== undefined ? { retentionConfiguration: patch.retention_configuration } : {}),
    });
    ctx.body = envRead(await deps.readStore.get(ENVS, env.id));
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const env = await guard.env(caller, ctx.params['id'] ?? '', 'manage');
    const teams = await deps.readStore.find(TEAMS, { where: { env_id: env.id }, limit: 1 });
    if (teams.total > 0) throw new DomainFailure(conflict('ENV_NOT_EMPTY', 'Delete the teams of this env first'));
    await execute(deps, ctx, caller.id, envs, env.id, { type: 'DeleteEnv' });
    ctx.status = 204;
  });

  return router;
}
