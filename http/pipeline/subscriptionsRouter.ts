import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { pipelines } from '../../commands/aggregates';
import { notFound } from '../../domain/errors';
import type { SubscriptionSettings } from '../../domain/pipeline/pipeline';
import { PIPELINES, SUBSCRIPTIONS } from '../../projections/collections';
import { settingsOfDoc } from '../../projections/pipeline/pipelinesView';
import type { Doc } from '../../projections/readStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode } from '../decode';
import { DomainFailure } from '../errors';
import { execute } from '../execute';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { SUBSCRIPTION_FIELDS, SubscriptionFields, subscriptionFrom } from './pipelineSettingsInput';

export const SubscriptionCreate = t.intersection([t.type({ pipeline_id: t.string }), SubscriptionFields]);
export const SubscribeAll = t.type({ pipeline_id: t.string, subscriptions: t.array(SubscriptionFields) });
export const ListQuery = t.partial({ pipeline_id: t.string, team_id: t.string });

/**
 * Subscriptions live inside their pipeline (one stream, one version): every change here is a
 * pipeline command, so a pipeline and its subscriptions never disagree.
 */
export function subscriptionsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/subscriptions' });

  /** A subscription runs with its pipeline unless it was paused on its own. */
  const subscriptionRead = (doc: Doc, pipeline: Doc | undefined) => ({
    id: doc.id,
    pipeline_id: doc['pipeline_id'],
    team_id: doc['team_id'],
    ...Object.fromEntries(SUBSCRIPTION_FIELDS.map((field) => [field, doc[field] ?? null])),
    backfill: doc['backfill'] === true,
    mapper_config: doc['mapper_config'] ?? [],
    state: doc['paused'] === true ? 'paused' : (pipeline?.['state'] ?? null),
    updated_at: doc['updated_at'],
  });

  const pipelineOf = async (caller: Caller, pipelineId: string, need: 'read' | 'operate'): Promise<Doc> => {
    const pipeline = await deps.readStore.get(PIPELINES, pipelineId);
    if (pipeline === undefined) throw new DomainFailure(notFound('PIPELINE_NOT_FOUND'));
    await guard.team(caller, String(pipeline['team_id']), need);
    return pipeline;
  };

  const load = async (caller: Caller, id: string, need: 'read' | 'operate'): Promise<{ doc: Doc; pipeline: Doc }> => {
    const doc = await deps.readStore.get(SUBSCRIPTIONS, id);
    if (doc === undefined) throw new DomainFailure(notFound('SUBSCRIPTION_NOT_FOUND'));
    return { doc, pipeline: await pipelineOf(caller, String(doc['pipeline_id']), need) };
  };

  const read = async (caller: Caller, id: string) => {
    const { doc, pipeline } = await load(caller, id, 'read');
    return subscriptionRead(doc, pipeline);
  };


  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const query = decode(ListQuery, ctx.query, 'query');
    const visible = await guard.visibleTeamIds(caller);
    const teams = visible === undefined ? query.team_id : visible.filter((id) => query.team_id === undefined || id === query.team_id);
    const page = await deps.readStore.find(SUBSCRIPTIONS, {
      where: { ...(teams === undefined ? {} : { team_id: teams }), ...(query.pipeline_id === undefined ? {} : { pipeline_id: query.pipeline_id }) },
      sort: [
        { field: 'pipeline_id', direction: 'asc' },
        { field: 'order', direction: 'asc' },
      ],
      ...paging,
    });
    const pipelineDocs = new Map<string, Doc | undefined>();
    for (const id of new Set(page.items.map((doc) => String(doc['pipeline_id'])))) pipelineDocs.set(id, await deps.readStore.get(PIPELINES, id));
    ctx.body = pagedBody(page, paging, (doc) => subscriptionRead(doc, pipelineDocs.get(String(doc['pipeline_id']))));
  });

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const { pipeline_id: pipelineId, ...fields } = decode(SubscriptionCreate, ctx.request.body, 'body');
    const pipeline = await pipelineOf(caller, pipelineId, 'operate');
    const added = await subscriptionFrom(deps, String(pipeline['team_id']), fields, undefined, (field) => ['body', field]);
    await execute(deps, ctx, caller.id, pipelines, pipeline.id, { type: 'AddSubscriptions', subscriptions: [added] });
    ctx.status = 201;
    ctx.body = await read(caller, added.id);
  });

  // Several subscriptions to one pipeline, all or none (one pipeline version).
  router.post('/subscribe-all', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(SubscribeAll, ctx.request.body, 'body');
    const pipeline = await pipelineOf(caller, body.pipeline_id, 'operate');
    const added: SubscriptionSettings[] = [];
    for (const [index, fields] of body.subscriptions.entries()) {
      added.push(await subscriptionFrom(deps, String(pipeline['team_id']), fields, undefined, (field) => ['body', 'subscriptions', index, field]));
    }
    await execute(deps, ctx, caller.id, pipelines, pipeline.id, { type: 'AddSubscriptions', subscriptions: added });
    ctx.status = 201;
    ctx.body = await Promise.all(added.map((subscription) => read(caller, subscription.id)));
  });

  router.get('/:id', async (ctx: Context) => {
    ctx.body = await read(callerOf(ctx), ctx.params['id'] ?? '');
  });

  router.patch('/:id', async (ctx: Context) => {
    const caller = callerOf(ctx);
    const { doc, pipeline } = await load(caller, ctx.params['id'] ?? '', 'operate');
    const fields = decode(SubscriptionFields, ctx.request.body, 'body');
    const stored = settingsOfDoc(pipeline).subscriptions.find((subscription) => subscription.id === doc.id);
    const subscription = await subscriptionFrom(deps, String(pipeline['team_id']), fields, stored, (field) => ['body', field]);
    await execute(deps, ctx, caller.id, pipelines, pipeline.id, { type: 'ReplaceSubscription', subscription });
    ctx.body = await read(caller, doc.id);
  });

  router.delete('/:id', async (ctx: Context) => {
    const caller = callerOf(ctx);
    const { doc, pipeline } = await load(caller, ctx.params['id'] ?? '', 'operate');
    await execute(deps, ctx, caller.id, pipelines, pipeline.id, { type: 'RemoveSubscription', subscriptionId: doc.id });
    ctx.status = 204;
  });

  // Start and pause answer the subscription's state as an uppercase string, as pipelines do.
  const control = (command: 'StartSubscription' | 'PauseSubscription') => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const { doc, pipeline } = await load(caller, ctx.params['id'] ?? '', 'operate');
    await execute(deps, ctx, caller.id, pipelines, pipeline.id, { type: command, subscriptionId: doc.id });
    const state = (await read(caller, doc.id)).state;
    ctx.status = 202;
    ctx.body = JSON.stringify(String(state).toUpperCase());
    ctx.type = 'application/json';
  };
  router.post('/:id/start', control('StartSubscription'));
  router.post('/:id/pause', control('PauseSubscription'));

  return router;
}
