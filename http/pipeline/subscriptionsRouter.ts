import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { pipelines } from '../../commands/aggregates';
import { execute } from '../../commands/execute';
import { SUBSCRIPTION_FIELDS, SubscriptionFields } from '../../commands/pipeline/pipelineFields';
import { addSubscriptions, updateSubscription } from '../../commands/pipeline/subscriptionService';
import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import type { PipelineDoc } from '../../projections/pipeline/pipelinesView';
import type { SubscriptionDoc } from '../../projections/pipeline/subscriptionsView';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, idParam, requiredBody } from '../decode';
import { commandContext } from '../execute';
import type { Guard, Need } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { Uuid } from '../queryCodecs';
import { flattenedCodec, pipelineFor, visibleTeams } from './pipelineRead';
import { PipelineStateName, SubscriptionSettings } from '../../domain/pipeline/pipeline';
import { MapperEntry } from '../../domain/mapper/mapperSpec';

export const SubscriptionCreate = t.intersection([t.type({ pipeline_id: t.string }), SubscriptionFields]);
export const SubscribeAll = t.type({ pipeline_id: t.string, subscriptions: t.array(SubscriptionFields) });
export const ListQuery = t.partial({ pipeline_id: Uuid, team_id: Uuid });

/** A subscription as `subscriptionRead` renders it. */
export const SubscriptionRead = t.intersection(
  [
    t.type({
      id: t.string,
      pipeline_id: t.string,
      team_id: t.string,
      backfill: t.boolean,
      mapper_config: t.array(MapperEntry),
      state: t.union([PipelineStateName, t.null]),
      updated_at: t.string,
    }),
    flattenedCodec('', SubscriptionSettings, SUBSCRIPTION_FIELDS),
  ],
  'SubscriptionRead',
);

/** A subscription runs with its pipeline unless it was paused on its own. */
const subscriptionRead = (doc: SubscriptionDoc, pipeline: PipelineDoc | undefined): t.TypeOf<typeof SubscriptionRead> => ({
  id: doc.id,
  pipeline_id: doc.pipeline_id,
  team_id: doc.team_id,
  ...Object.fromEntries(SUBSCRIPTION_FIELDS.map((field) => [field, doc[field] ?? null])),
  backfill: doc.backfill,
  mapper_config: doc.mapper_config,
  state: doc.paused === true ? 'paused' : (pipeline?.state ?? null),
  updated_at: doc.updated_at,
});

export function subscriptionsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/subscriptions' });
  const { views } = deps;

  const load = async (caller: Caller, id: string, need: Need): Promise<{ doc: SubscriptionDoc; pipeline: PipelineDoc }> => {
    const doc = await views.subscriptions.get(id);
    if (doc === undefined) throw new DomainFailure(notFound('SUBSCRIPTION_NOT_FOUND'));
    return { doc, pipeline: await pipelineFor(views, guard, caller, doc.pipeline_id, need) };
  };
  const loadOf = (ctx: Context, need: Need) => load(callerOf(ctx), idParam(ctx), need);
  const read = async (caller: Caller, id: string) => {
    const { doc, pipeline } = await load(caller, id, 'read');
    return subscriptionRead(doc, pipeline);
  };

  router.get('/', async (ctx) => {
    const paging = pagingOf(ctx.query);
    const query = decode(ListQuery, ctx.query, 'query');
    const page = await views.subscriptions.find({
      where: { ...(await visibleTeams(guard, callerOf(ctx), query.team_id)), pipeline_id: query.pipeline_id },
      sort: [
        { field: 'pipeline_id', direction: 'asc' },
        { field: 'order', direction: 'asc' },
      ],
      ...paging,
    });
    const pipelineDocs = new Map<string, PipelineDoc | undefined>();
    for (const id of new Set(page.items.map((doc) => doc.pipeline_id))) pipelineDocs.set(id, await views.pipelines.get(id));
    ctx.body = pagedBody(page, paging, (doc) => subscriptionRead(doc, pipelineDocs.get(doc.pipeline_id)));
  });

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const { pipeline_id: pipelineId, ...fields } = decode(SubscriptionCreate, ctx.request.body, 'body');
    const pipeline = await pipelineFor(views, guard, caller, pipelineId, 'operate');
    const [added] = await addSubscriptions(deps, commandContext(ctx, caller.id), pipeline.id, [fields], () => (field) => ['body', field]);
    ctx.status = 201;
    ctx.body = await read(caller, added?.id ?? '');
  });

  // Several subscriptions to one pipeline, all or none (one pipeline version).
  router.post('/subscribe-all', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(SubscribeAll, ctx.request.body, 'body');
    const pipeline = await pipelineFor(views, guard, caller, body.pipeline_id, 'operate');
    const added = await addSubscriptions(deps, commandContext(ctx, caller.id), pipeline.id, body.subscriptions, (index) => (field) => [
      'body',
      'subscriptions',
      index,
      field,
    ]);
    ctx.status = 201;
    ctx.body = await Promise.all(added.map((subscription) => read(caller, subscription.id)));
  });

  router.get('/:id', async (ctx) => {
    ctx.body = await read(callerOf(ctx), idParam(ctx));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const { doc, pipeline } = await loadOf(ctx, 'operate');
    const fields = decode(SubscriptionFields, requiredBody(ctx), 'body');
    await updateSubscription(deps, commandContext(ctx, caller.id), pipeline.id, doc.id, fields);
    ctx.body = await read(caller, doc.id);
  });

  router.delete('/:id', async (ctx) => {
    const { doc, pipeline } = await loadOf(ctx, 'operate');
    await execute(deps, commandContext(ctx, callerOf(ctx).id), pipelines, pipeline.id, {
      type: 'RemoveSubscription',
      subscriptionId: doc.id,
    });
    ctx.status = 204;
  });

  // Start and pause answer the subscription's state as an uppercase string, as pipelines do.
  const control = (command: 'StartSubscription' | 'PauseSubscription') => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const { doc, pipeline } = await loadOf(ctx, 'operate');
    await execute(deps, commandContext(ctx, caller.id), pipelines, pipeline.id, { type: command, subscriptionId: doc.id });
    const state = (await read(caller, doc.id)).state;
    ctx.status = 202;
    ctx.body = JSON.stringify(String(state).toUpperCase());
    ctx.type = 'application/json';
  };
  router.post('/:id/start', control('StartSubscription'));
  router.post('/:id/pause', control('PauseSubscription'));

  return router;
}
