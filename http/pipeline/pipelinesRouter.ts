import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { pipelines } from '../../commands/aggregates';
import { execute } from '../../commands/execute';
import { Configuration, PipelineCreate, PipelinePatch } from '../../commands/pipeline/pipelineBodies';
import { createPipeline, importConfiguration, updatePipeline } from '../../commands/pipeline/pipelineService';
import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import { PipelineStateName } from '../../domain/pipeline/pipeline';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode, idParam, requiredBody } from '../decode';
import { commandContext } from '../execute';
import type { Guard } from '../guard';
import { keptJsonText, pagedBody, pagedText, pagingOf } from '../paging';
import { NonEmptyQuery, Uuid } from '../queryCodecs';
import { TeamQuery } from '../connector/connectorsRouter';
import { configurationRead, pipelineFor, pipelineRead, visibleTeams, workerConfigRead } from './pipelineRead';

export const ListQuery = t.partial({ state: t.string, team_id: Uuid, search: t.string });
export const FilterOneQuery = t.intersection([t.type({ name: NonEmptyQuery }), TeamQuery]);

export function pipelinesRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/pipelines' });
  const { views } = deps;
  const render = async (ctx: Context, id: string) => pipelineRead(views, await pipelineFor(views, guard, callerOf(ctx), id, 'read'));
  const idOf = (ctx: Context): string => idParam(ctx);

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(PipelineCreate, ctx.request.body, 'body');
    await guard.team(caller, body.team_id, 'operate');
    const pipelineId = await createPipeline(deps, commandContext(ctx, caller.id), body);
    ctx.status = 201;
    ctx.body = await render(ctx, pipelineId);
  });

  router.get('/', async (ctx) => {
    const paging = pagingOf(ctx.query);
    const query = decode(ListQuery, ctx.query, 'query');
    const where = {
      ...(await visibleTeams(guard, callerOf(ctx), query.team_id)),
      ...(query.state ? { state: query.state.toLowerCase() } : {}),
    };
    const page = await views.pipelines.find({
      where,
      ...(query.search ? { search: { field: 'name', text: query.search } } : {}),
      sort: [{ field: 'created_at', direction: 'desc' }],
      ...paging,
    });
    ctx.type = 'application/json';
    ctx.body = pagedText(await Promise.all(page.items.map((doc) => pipelineRead(views, doc))), page.total, paging);
  });

  router.get('/count-status', async (ctx) => {
    const query = decode(TeamQuery, ctx.query, 'query');
    const counts = await views.pipelines.countBy('state', await visibleTeams(guard, callerOf(ctx), query.team_id));
    const states = Object.keys(PipelineStateName.keys);
    const body: Record<string, number> = { all: states.reduce((sum, state) => sum + (counts[state] ?? 0), 0) };
    for (const state of states) body[state] = counts[state] ?? 0;
    ctx.body = body;
  });

  router.get('/filter-one', async (ctx) => {
    const query = decode(FilterOneQuery, ctx.query, 'query');
    const doc = await views.pipelines.first({ ...(await visibleTeams(guard, callerOf(ctx), query.team_id)), name: query.name });
    if (doc === undefined) throw new DomainFailure(notFound('PIPELINE_NOT_FOUND'));
    ctx.body = await pipelineRead(views, doc);
  });

  router.get('/status/all-non-draft', async (ctx) => {
    const paging = pagingOf(ctx.query);
    const states = Object.keys(PipelineStateName.keys).filter((state) => state !== 'draft');
    const page = await views.pipelines.find({
      where: { ...(await visibleTeams(guard, callerOf(ctx), undefined)), state: states },
      sort: [{ field: 'updated_at', direction: 'desc' }],
      ...paging,
    });
    ctx.body = pagedBody(page, paging, (doc) => ({
      id: doc.id,
      name: doc.name,
      state: doc.state,
      team_id: doc.team_id,
      updated_at: doc.updated_at,
    }));
  });

  router.get('/:id', async (ctx) => {
    const read = await render(ctx, idOf(ctx));
    ctx.type = 'application/json';
    ctx.body = keptJsonText(read);
  });

  router.get('/:id/status', async (ctx) => {
    const doc = await pipelineFor(views, guard, callerOf(ctx), idOf(ctx), 'read');
    ctx.body = { id: doc.id, state: doc.state, error_reason: doc.error_reason };
  });

  router.get('/:id/worker-config', async (ctx) => {
    ctx.body = await workerConfigRead(views, await pipelineFor(views, guard, callerOf(ctx), idOf(ctx), 'read'));
  });

  router.get('/:id/configuration', async (ctx) => {
    ctx.body = await configurationRead(views, await pipelineFor(views, guard, callerOf(ctx), idOf(ctx), 'read'));
  });

  router.post('/:id/configuration', async (ctx) => {
    const caller = callerOf(ctx);
    const doc = await pipelineFor(views, guard, caller, idOf(ctx), 'operate');
    await importConfiguration(deps, commandContext(ctx, caller.id), doc.id, decode(Configuration, ctx.request.body, 'body'));
    ctx.body = await render(ctx, doc.id);
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(PipelinePatch, requiredBody(ctx), 'body');
    const doc = await pipelineFor(views, guard, caller, idOf(ctx), 'operate');
    await updatePipeline(deps, commandContext(ctx, caller.id), doc.id, body);
    ctx.body = await render(ctx, doc.id);
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const doc = await pipelineFor(views, guard, caller, idOf(ctx), 'operate');
    await execute(deps, commandContext(ctx, caller.id), pipelines, doc.id, { type: 'DeletePipeline' });
    ctx.status = 204;
  });

  // Start and pause answer the state as an uppercase string, as the contract shows.
  const control = (command: 'StartPipeline' | 'PausePipeline') => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const doc = await pipelineFor(views, guard, caller, idOf(ctx), 'operate');
    const state = await execute(deps, commandContext(ctx, caller.id), pipelines, doc.id, { type: command });
    ctx.status = 202;
    ctx.body = JSON.stringify(state.status === 'exists' ? state.state.toUpperCase() : 'DELETED');
    ctx.type = 'application/json';
  };
  router.post('/:id/start', control('StartPipeline'));
  router.post('/:id/pause', control('PausePipeline'));

  return router;
}
