import Router from '@koa/router';
import * as t from 'io-ts';
import { envs } from '../../commands/aggregates';
import { notFound } from '../../domain/errors';
import { RetentionConfiguration } from '../../domain/env/env';
import { DisplayName } from '../../domain/names';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode, idParam, requiredBody } from '../decode';
import { DomainFailure } from '../../domain/failures';
import { execute } from '../../commands/execute';
import { commandContext } from '../execute';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { NonEmptyQuery } from '../queryCodecs';
import { envRead } from './envRead';
import { createEnv, deleteEnv } from '../../commands/env/envService';
import { checkByokCredentials } from '../connector/connectorTypesRouter';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);
export const EnvCreate = t.intersection([
  t.type({ name: DisplayName }),
  t.partial({
    description: Nullable(t.string),
    use_retention: t.boolean,
    retention_configuration: Nullable(RetentionConfiguration),
  }),
]);
export const EnvPatch = t.exact(
  t.partial({
    name: DisplayName,
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
    const env = {
      name: body.name,
      description: body.description ?? null,
      useRetention: body.use_retention ?? false,
      retentionConfiguration: body.retention_configuration ?? null,
    };
    const envId = await createEnv(deps, commandContext(ctx, caller.id), env, caller.activeEnvId !== null);
    ctx.status = 201;
    ctx.body = envRead(await deps.views.envs.get(envId));
  });

  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const where = caller.isSuperuser ? {} : { id: await guard.envIdsOf(caller) };
    const page = await deps.views.envs.find({ where, sort: [{ field: 'name', direction: 'asc' }], ...paging });
    ctx.body = pagedBody(page, paging, envRead);
  });

  router.get('/filter-one', async (ctx) => {
    const caller = callerOf(ctx);
    const { name } = decode(FilterOneQuery, ctx.query, 'query');
    const env = await deps.views.envs.first({ name });
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
    ctx.body = envRead(await guard.env(callerOf(ctx), idParam(ctx), 'read'));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const env = await guard.env(caller, idParam(ctx), 'manage');
    const patch = decode(EnvPatch, requiredBody(ctx), 'body');
    await execute(deps, commandContext(ctx, caller.id), envs, env.id, {
      type: 'UpdateEnv',
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.use_retention !== undefined ? { useRetention: patch.use_retention } : {}),
      ...(patch.retention_configuration !== undefined ? { retentionConfiguration: patch.retention_configuration } : {}),
    });
    ctx.body = envRead(await deps.views.envs.get(env.id));
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const env = await guard.env(caller, idParam(ctx), 'manage');
    await deleteEnv(deps, commandContext(ctx, caller.id), env.id, await deps.views.teams.count({ env_id: env.id }));
    ctx.status = 204;
  });

  return router;
}
